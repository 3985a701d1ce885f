"""The book's editions, read from docs/editions.toml: the one parser every tool imports.

The Sphinx extension (book.py), the noxfile, tools/translations.py, tools/pdfcheck.py,
bench/budgets.py and the tests all ask this module which languages exist, which are built, which
readers are offered, and how complete each one is. It needs only the standard library, except
`completion()` and `title()`, which read catalogs with Babel (installed with Sphinx).

    python docs/_ext/editions.py redirect docs/_build/html/index.html   # the site's root page
"""

import html
import sys
import tomllib
from pathlib import Path

DOCS = Path(__file__).resolve().parents[1]
SOURCE = "zh_CN"
STATUSES = ("source", "published", "in-progress")
# The book's title is a message of the interface catalog, like every other label; its msgid
# (the English title) is what a language that has not translated it shows.
INTERFACE = "sphinx"  # the domain of docs/_theme_locales/<code>/LC_MESSAGES/sphinx.po
TITLE = "Getting Started with Tornado: A Modern Annotated Edition"


def settings(docs=DOCS):
    return tomllib.loads((Path(docs) / "editions.toml").read_text("utf-8"))


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
            "convert": entry.get("convert", ""),
            "reviewed": list(entry.get("reviewed", [])),
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


def redirect_page(docs=DOCS):
    """The site's root page: to the source edition, with a link to every offered one."""
    source_title = html.escape(title(SOURCE, docs))
    names = editions(docs)
    links = " · ".join(
        f'<a href="{code}/index.html" hreflang="{code.replace("_", "-")}"'
        f' lang="{code.replace("_", "-")}">{html.escape(names[code]["name"])}</a>'
        for code in offered(docs)
    )
    return f"""<!DOCTYPE html>
<html lang="{SOURCE.replace("_", "-")}"><head><meta charset="utf-8">
<title>{source_title}</title>
<meta http-equiv="refresh" content="0; url={SOURCE}/index.html">
<link rel="canonical" href="{SOURCE}/index.html">
</head><body><p>{links}</p>
</body></html>
"""


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] != "redirect":
        sys.exit(__doc__.strip().splitlines()[-1].strip())
    Path(sys.argv[2]).write_text(redirect_page(), encoding="utf-8")
