"""The book's configuration, read in one place: every tool, the build and the tests import this.

- docs/editions.toml: the editions (languages), their status and settings, and the draft pages;
- docs/matrix.toml: the Python × Tornado versions `nox -s matrix` tests and Appendix B shows
  (`matrix()`), and the eras of Appendix A's old programs that `nox -s legacy` runs (`legacy()`);
- docs/glossary.toml: the book's terms in every language (`glossary()`);
- pyproject.toml: the project's name, version, URLs and tool settings (`pyproject()`);
- and where an edition's catalogs are and how complete they are.

The Sphinx extensions, noxfile.py, tools/, bench/ and tests/ put docs/_ext on sys.path and
`import bookconfig`. It needs only the standard library, except `completion()` and `translate()`,
which read catalogs with Babel (installed with Sphinx).
"""

import re
import tomllib
from pathlib import Path

DOCS = Path(__file__).resolve().parents[1]
ROOT = DOCS.parent
EDITIONS_FILE = "editions.toml"
MATRIX_FILE = "matrix.toml"
GLOSSARY_FILE = "glossary.toml"
SOURCE = "zh_CN"
STATUSES = ("source", "published", "in-progress")
# The book's title is a message of the interface catalog, like every other label; its msgid
# (the English title) is what a language that has not translated it shows.
INTERFACE = "sphinx"  # the domain of docs/_theme_locales/<code>/LC_MESSAGES/sphinx.po
TITLE = "Getting Started with Tornado: A Modern Annotated Edition"


def read(name, docs=DOCS):
    """One of the book's TOML files in `docs` (EDITIONS_FILE, MATRIX_FILE, GLOSSARY_FILE)."""
    return tomllib.loads((Path(docs) / name).read_text("utf-8"))


def settings(docs=DOCS):
    """docs/editions.toml as written."""
    return read(EDITIONS_FILE, docs)


def editions(docs=DOCS):
    """{code: {"name", "status", "publish", "search", "cjk"}}, in the file's order."""
    found = {}
    for code, entry in settings(docs)["editions"].items():
        if not isinstance(entry, dict) or "name" not in entry:
            raise ValueError(f"editions.toml: [editions.{code}] needs a name")
        status = entry.get("status", "in-progress")
        if status not in STATUSES:
            raise ValueError(f"editions.toml: {code}: status must be one of {', '.join(STATUSES)}")
        found[code] = {
            "name": entry["name"],
            "status": status,
            "publish": status != "in-progress" or bool(entry.get("publish", False)),
            "search": entry.get("search", code.split("_")[0]),
            "cjk": bool(entry.get("cjk", False)),
            "cjk_fonts": entry.get("cjk_fonts", "SC"),
            "charset": entry.get("charset", ""),
            "convert": entry.get("convert", ""),
            "reviewed": list(entry.get("reviewed", [])),
            "browser": list(entry.get("browser", [html_lang(code)])),
        }
    if [c for c, e in found.items() if e["status"] == "source"] != [SOURCE]:
        raise ValueError(f'editions.toml: {SOURCE}, and only it, has status = "source"')
    return found


def built(docs=DOCS):
    """Every edition `nox -s docs` builds: the source, published and in-progress ones."""
    return list(editions(docs))


def offered(docs=DOCS):
    """The editions readers are offered: switcher, root page, sitemap."""
    return [code for code, entry in editions(docs).items() if entry["publish"]]


def unreviewed(code, docs=DOCS):
    """The pages of an edition converted by a tool (`convert`) that no reviewer has read yet."""
    entry = editions(docs)[code]
    if not entry["convert"]:
        return set()
    folder = Path(docs) / "locales" / code / "LC_MESSAGES"
    pages = {po.relative_to(folder).with_suffix("").as_posix() for po in catalogs(code, docs)}
    return pages - set(entry["reviewed"])


def translations(docs=DOCS):
    """Every edition but the source."""
    return [code for code in editions(docs) if code != SOURCE]


def drafts(docs=DOCS):
    return {Path(page) for page in settings(docs).get("drafts", {}).get("pages", [])}


def catalogs(code, docs=DOCS):
    """The page catalogs of an edition (not its interface catalog, docs/_theme_locales)."""
    folder = Path(docs) / "locales" / code / "LC_MESSAGES"
    return sorted(folder.rglob("*.po")) if folder.is_dir() else []


def completion(code, docs=DOCS):
    """(translated, total) messages of the edition's page catalogs; fuzzy ones count as not."""
    from babel.messages.pofile import read_po

    translated = total = 0
    for po in catalogs(code, docs):
        with po.open("rb") as f:
            for message in read_po(f):
                if message.id:
                    total += 1
                    translated += bool(message.string) and not message.fuzzy
    return translated, total


def percent(code, docs=DOCS):
    translated, total = completion(code, docs)
    return int(100 * translated / total) if total else 0  # rounded down: 99.6% is not 100%


def percent_shown(translated, total):
    """The completion as the banner shows it: rounded down, with one decimal below 10%, so the
    first messages of a new edition show (5 of 2,309 is 0.2%, not 0%)."""
    share = 100 * translated / total if total else 0
    if share >= 10:
        return str(int(share))
    return f"{int(share * 10) / 10:.1f}" if share else "0"


def interface_catalog(code, docs=DOCS):
    return Path(docs) / "_theme_locales" / code / "LC_MESSAGES" / f"{INTERFACE}.po"


def translate(code, msgid, docs=DOCS):
    """One message of an edition's interface catalog, outside Sphinx; the msgid if missing."""
    from babel.messages.pofile import read_po

    path = interface_catalog(code, docs)
    if not path.is_file():
        return msgid
    with path.open("rb") as f:
        message = read_po(f).get(msgid)
    return message.string if message and message.string and not message.fuzzy else msgid


def title(code, docs=DOCS):
    return translate(code, TITLE, docs)


def html_lang(code):
    """The BCP 47 tag of an edition (zh_CN -> zh-CN), for lang and hreflang."""
    return code.replace("_", "-")


def matrix(docs=DOCS):
    """{"python": [...], "tornado": [...]}: the versions of docs/matrix.toml, oldest first."""
    return read(MATRIX_FILE, docs)["matrix"]


def legacy(docs=DOCS):
    """{era: {"python", "tornado", ...}}: docs/matrix.toml's [legacy] eras (Appendix A)."""
    return read(MATRIX_FILE, docs)["legacy"]


def version_tuple(version):
    """(6, 6, 0) for "6.6", "6.6.0" or "v6.6.0"; a published "6.6" is the release 6.6.0."""
    numbers = [int(n) for n in re.findall(r"\d+", version)[:3]]
    return tuple(numbers + [0] * (3 - len(numbers)))


def glossary(path=None):
    """docs/glossary.toml (or the glossary file at `path`) as written: [[term]], [[conversion]],
    [mainland]."""
    return tomllib.loads(Path(path or DOCS / GLOSSARY_FILE).read_text("utf-8"))


def pyproject(root=ROOT):
    """pyproject.toml as written."""
    return tomllib.loads((Path(root) / "pyproject.toml").read_text("utf-8"))
