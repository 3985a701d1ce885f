"""The book's gettext catalogs in the form standard tools keep: templates, headers, wrapping.

    python tools/catalogs.py update [--lang en]   # what `nox -s translations` runs
    python tools/catalogs.py check                # part of `nox -s translations -- --check`

Both read the templates Sphinx extracts into docs/_build/gettext
(`sphinx-build -b gettext docs docs/_build/gettext`; the nox session runs it first).

`update` writes
- docs/pot/<page>.pot: the templates, committed, so that a hosted tool (Weblate, Pontoon, ...)
  or `msginit` can start a language from them. Their POT-Creation-Date changes only when
  their messages do.
- docs/pot/sphinx.pot: the template of the interface catalogs (the theme's and the book's
  labels): the source edition's interface catalog's messages (the Chinese edition translates
  every English label the book shows), the templates' `{{ _("...") }}` that Sphinx extracted
  and every literal `_("...")` of docs/_ext/*.py.
- docs/locales/<code>/LC_MESSAGES/<page>.po for every language (or the ones given), and
  docs/_theme_locales/<code>/LC_MESSAGES/sphinx.po where it exists (`start_interface` makes
  it for a new language): merged with the template by GNU `msgmerge --previous`, i.e. a
  message whose source changed is marked fuzzy and keeps the old source as `#| msgid "..."`,
  so the translator sees what changed; messages gone from the source are dropped (git keeps
  them). The header is the book's (no template placeholders, never fuzzy, `Language:` the
  folder's code). No `#:` source references: the catalog's file is the page, and line
  numbers would change every catalog at every edit of the source.
Every file is written as `msgcat --no-wrap` writes it: each string on one line (a line break
only after a `\\n` inside it). That is the one form every tool the book's translators use can
keep for an edited entry: `msgcat --no-wrap`, `msgmerge --no-wrap`, `powrap --no-wrap`, Poedit
with line wrapping turned off, and Weblate (translate-toolkit) with po_line_wrap -1 ("no line
wrapping"). No setting of translate-toolkit reproduces msgcat's 79-column wrapping
(tests/test_catalogs.py measures it). An update leaves a file alone when nothing but its dates
would change, and rewrites one another editor wrapped.

`check` fails, naming each file, when a catalog or template is not in that form: wrapped
differently, a template header, or a template older than the source.

Needs GNU gettext's `msgcat`, `msgmerge` and `msgattrib` (Debian: apt-get install gettext).
"""

import argparse
import io
import subprocess
import sys
from pathlib import Path

from babel import Locale
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_file
from babel.messages.pofile import denormalize, read_po, write_po

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "docs" / "_ext"))
import bookconfig  # noqa: E402

LOCALES = ROOT / "docs" / "locales"
TEMPLATES = ROOT / "docs" / "pot"
EXTRACTED = ROOT / "docs" / "_build" / "gettext"
SOURCE_LANGUAGE = bookconfig.SOURCE
WRAP = "--no-wrap"  # the option of msgcat, msgmerge, msgattrib (and powrap) for the book's form
THEME_LOCALES = ROOT / "docs" / "_theme_locales"
EXTENSIONS = ROOT / "docs" / "_ext"
INTERFACE = bookconfig.INTERFACE  # sphinx.pot / sphinx.po: the interface catalogs' domain
PLACEHOLDERS = ("SOME DESCRIPTIVE TITLE", "LL@li.org", "FULL NAME", "EMAIL@ADDRESS", "YEAR-MO-DA")
# Babel flags a message with "%" or "{...}" in it as a Python format string; the book's are
# Markdown ({ctrl-c}`8000`, 100%) and the labels' placeholders are checked by the lint.
GUESSED_FLAGS = {"python-format", "python-brace-format"}
TEMPLATE_REVISION_DATE = "YEAR-MO-DA HO:MI+ZONE"  # a template's, as xgettext writes it
GETTEXT_MISSING = "GNU gettext is not installed (Debian: apt-get install gettext)"
MSGCAT_MISSING = GETTEXT_MISSING


def project():
    """(Project-Id-Version, Report-Msgid-Bugs-To) from pyproject.toml."""
    meta = bookconfig.pyproject(ROOT)["project"]
    urls = {key.lower(): url for key, url in meta.get("urls", {}).items()}
    tracker = next((urls[k] for k in ("issues", "bug tracker", "tracker") if k in urls), "")
    return f"{meta['name']} {meta['version']}", tracker


def header_comment(language, interface=False):
    if language is None:
        about = "Message template of"
    else:
        about = f"{Locale.parse(language).english_name} ({language}) translation of"
    what = ",\n# its interface: the theme's and the book's labels" if interface else ""
    return (
        f"# {about} the book Tornado 入门：现代注释版 (tornado-book){what}.\n"
        "# Distributed under the same license as the book's text, CC BY-SA 4.0.\n"
        "# How to translate: CONTRIBUTING.md, section 翻译指南 / Translator's guide."
    )


def set_header(catalog, language, interface=False):
    """The book's header: the same project id everywhere, no placeholders, never fuzzy."""
    version, tracker = project()
    catalog.project, catalog.version = version.split(" ", 1)
    catalog.msgid_bugs_address = tracker
    catalog.header_comment = header_comment(language, interface)
    catalog.fuzzy = False
    if language is not None:
        catalog.locale = language  # a string: `Language: zh_TW`, not Babel's zh_Hant_TW
    catalog.language_team = catalog.locale.english_name if catalog.locale else ""
    if language is None:
        catalog.revision_date = TEMPLATE_REVISION_DATE  # msginit fills it in, not a copy
    elif not isinstance(catalog.revision_date, type(catalog.creation_date)):
        catalog.revision_date = catalog.creation_date  # instead of "YEAR-MO-DA HO:MI+ZONE"
    if "FULL NAME" in (catalog.last_translator or ""):
        catalog.last_translator = ""


def gettext_tool(command, text):
    """Run a GNU gettext tool on `text` (its standard input); its output."""
    try:
        result = subprocess.run(
            command, input=text, capture_output=True, text=True, encoding="utf-8"
        )
    except FileNotFoundError:
        sys.exit(GETTEXT_MISSING)
    if result.returncode:
        raise ValueError(result.stderr.strip())
    return result.stdout


def msgcat(text):
    """The catalog as `msgcat --no-wrap` writes it (the form `powrap --no-wrap` checks)."""
    return gettext_tool(["msgcat", WRAP, "-", "-o", "-"], text)


def msgmerge(text, pot):
    """`text` merged with the template `pot` as GNU msgmerge does: a message whose msgid
    changed is fuzzy with the old one as `#| msgid`; messages gone are dropped."""
    merged = gettext_tool(
        ["msgmerge", "--quiet", "--previous", WRAP, "-", str(pot), "-o", "-"], text
    )
    return gettext_tool(["msgattrib", "--no-obsolete", WRAP, "-", "-o", "-"], merged)


def render(catalog):
    """Babel's catalog (never one read from a file with `#|` lines: babel cannot read msgcat's
    multi-line form of them) written as msgcat writes it."""
    for message in catalog:  # prose and labels, not printf strings: no flags Babel guesses
        message.flags -= GUESSED_FLAGS
    buffer = io.BytesIO()
    # babel must not wrap: it would wrap a `#| msgid` comment inside its string (at 76 columns
    # even when told width=0), which gettext's tools cannot read.
    write_po(buffer, catalog, width=10**6, include_previous=True, ignore_obsolete=True)
    return msgcat(buffer.getvalue().decode("utf-8"))


def without_dates(text):
    return "".join(
        line
        for line in text.splitlines(keepends=True)
        if not line.startswith(('"POT-Creation-Date:', '"PO-Revision-Date:'))
        or TEMPLATE_REVISION_DATE in line  # a template's: a change to it is written
    )


def load(path):
    with Path(path).open("rb") as f:
        return read_po(f)


def load_keeping_previous(path):
    """Babel's catalog of a file the update wrote, its `#| msgid` lines kept as previous msgids:
    Babel reads msgcat's `#|` lines as translator comments ("| msgid ..."), and render() would
    write them back as `# | msgid`, no longer a previous msgid for any tool."""
    catalog = load(path)
    for message in catalog:
        previous = [c[2:] for c in message.user_comments if c.startswith("| ")]
        if not previous:
            continue
        message.user_comments = [c for c in message.user_comments if not c.startswith("| ")]
        parts, key = {}, None  # {"msgctxt"/"msgid"/"msgid_plural": its quoted lines}
        for line in previous:
            keyword, _space, rest = line.partition(" ")
            if not line.startswith('"'):
                key, line = keyword, rest
            parts.setdefault(key, []).append(line.strip())
        if "msgid" in parts:
            message.previous_id = [denormalize("\n".join(parts["msgid"]))]
    return catalog


def write_if_changed(path, text):
    """Write unless only the dates would change; True if written."""
    if path.is_file() and without_dates(path.read_text("utf-8")) == without_dates(text):
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, "utf-8")
    return True


def update_templates(extracted=EXTRACTED, templates=TEMPLATES, theme_locales=None):
    """docs/pot/ from Sphinx's fresh templates; the old creation date while nothing changed."""
    theme_locales = theme_locales or THEME_LOCALES
    written = []
    fresh = pages(extracted)
    for name, source in sorted(fresh.items()):
        catalog = load(source)
        set_header(catalog, None)
        target = templates / name
        if target.is_file() and [m.id for m in load(target)] == [m.id for m in catalog]:
            catalog.creation_date = load(target).creation_date
        if write_if_changed(target, render(catalog)):
            written.append(target)
    target = templates / f"{INTERFACE}.pot"
    if write_if_changed(target, render(interface_template(extracted, templates, theme_locales))):
        written.append(target)
    for old in sorted(templates.rglob("*.pot")) if templates.is_dir() else []:
        if old.relative_to(templates) not in fresh and old != target:
            old.unlink()
            written.append(old)
    return written


def pages(extracted):
    """{page.pot: Sphinx's template} of the pages (not the templates' sphinx.pot)."""
    found = {p.relative_to(extracted).with_suffix(".pot"): p for p in extracted.rglob("*.pot")}
    found.pop(Path(f"{INTERFACE}.pot"), None)
    return found


def interface_messages(extracted=EXTRACTED, theme_locales=None, extensions=EXTENSIONS):
    """The interface's msgids: the source edition's interface catalog's (the Chinese edition
    translates every English label), then the templates' that Sphinx extracted, then every
    literal `_("...")` of the book's extensions; each once, in that order."""
    theme_locales = theme_locales or THEME_LOCALES
    ids = []
    source = theme_locales / SOURCE_LANGUAGE / "LC_MESSAGES" / f"{INTERFACE}.po"
    if source.is_file():
        ids += [m.id for m in load(source) if m.id]
    if (extracted / f"{INTERFACE}.pot").is_file():
        ids += [m.id for m in load(extracted / f"{INTERFACE}.pot") if m.id]
    for path in sorted(extensions.glob("*.py")) if extensions.is_dir() else []:
        for _line, message, _comments, _context in extract_from_file(
            "python", path, keywords={"_": None}
        ):
            if isinstance(message, str) and message:
                ids.append(message)
    return list(dict.fromkeys(ids))


def interface_template(extracted=EXTRACTED, templates=TEMPLATES, theme_locales=None):
    """docs/pot/sphinx.pot's catalog; its creation date the committed one while unchanged."""
    theme_locales = theme_locales or THEME_LOCALES
    committed = templates / f"{INTERFACE}.pot"
    catalog = Catalog(header_comment="")
    for msgid in interface_messages(extracted, theme_locales):
        catalog.add(msgid)
    if committed.is_file() and [m.id for m in load(committed)] == [m.id for m in catalog]:
        catalog.creation_date = load(committed).creation_date
    set_header(catalog, None, interface=True)
    return catalog


def header_text(old, language, creation_date, interface=False):
    """The book's header entry (Babel writes it), from a catalog's old header or none."""
    if old:
        catalog = read_po(io.BytesIO(old.split("\n\n", 1)[0].encode("utf-8")))
        catalog.creation_date = creation_date
    else:
        catalog = Catalog(locale=language, creation_date=creation_date)
    set_header(catalog, language, interface)
    buffer = io.BytesIO()
    write_po(buffer, catalog, width=10**6)  # msgcat writes it with the messages
    return buffer.getvalue().decode("utf-8").rstrip("\n")


def merge(po, pot, language, interface=False):
    """Write `po` merged with `pot` (msgmerge --previous) under the book's header; True if written.

    The header is Babel's form of it (the one tools/zh_convert.py writes too), not msgmerge's
    reordering of it, so that either tool leaves the other's file alone."""
    old = po.read_text("utf-8") if po.is_file() else ""
    head = header_text(old, language, load(pot).creation_date, interface)
    body = old.split("\n\n", 1)[1] if "\n\n" in old else ""
    merged = msgmerge(head + "\n\n" + body, pot)
    body = merged.split("\n\n", 1)[1] if "\n\n" in merged else ""
    return write_if_changed(po, msgcat(head + "\n\n" + body) if body else head + "\n")


def update_language(language, templates=TEMPLATES, locales=LOCALES, theme_locales=None):
    """Merge every template into the language's catalogs, and its interface catalog if it has
    one; for the source language, only its interface catalog (it has no page catalogs)."""
    theme_locales = theme_locales or THEME_LOCALES
    written = []
    interface = templates / f"{INTERFACE}.pot"
    for pot in sorted(templates.rglob("*.pot")):
        if pot == interface or language == SOURCE_LANGUAGE:
            continue
        po = locales / language / "LC_MESSAGES" / pot.relative_to(templates).with_suffix(".po")
        if merge(po, pot, language):
            written.append(po)
    po = theme_locales / language / "LC_MESSAGES" / f"{INTERFACE}.po"
    if po.is_file() and interface.is_file() and merge(po, interface, language, interface=True):
        written.append(po)
    return written


def start_interface(language, templates=TEMPLATES, theme_locales=None):
    """A new language's interface catalog from docs/pot/sphinx.pot; its path, or None if it
    exists already or there is no template."""
    theme_locales = theme_locales or THEME_LOCALES
    po = theme_locales / language / "LC_MESSAGES" / f"{INTERFACE}.po"
    pot = templates / f"{INTERFACE}.pot"
    if po.exists() or not pot.is_file():
        return None
    merge(po, pot, language, interface=True)
    return po


def body(text):
    """A catalog's text after its header entry (the first blank line)."""
    return text.split("\n\n", 1)[1] if "\n\n" in text else ""


def problems(templates=TEMPLATES, locales=LOCALES, extracted=EXTRACTED, theme_locales=None):
    """Why a catalog or template is not in the book's form, one line per file and reason."""
    theme_locales = theme_locales or THEME_LOCALES
    found = []
    files = (
        sorted(templates.rglob("*.pot"))
        + sorted(
            po
            for po in locales.rglob("*.po")
            if po.relative_to(locales).parts[0] != SOURCE_LANGUAGE
        )
        + sorted(theme_locales.glob(f"*/LC_MESSAGES/{INTERFACE}.po"))
    )
    for path in files:
        shown = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
        text = path.read_text("utf-8")
        try:
            wrapped = msgcat(text)
        except ValueError as error:
            found.append(f"{shown}: msgcat cannot read it: {error}")
            continue
        fix = f"nox -s translations{fix_option(path, locales, theme_locales)}"
        # The header entry may be laid out any way: Weblate (translate-toolkit without wrapping)
        # writes it on one line when it updates Last-Translator and PO-Revision-Date, and the
        # next update writes it back; the messages must be exactly as msgcat writes them.
        if body(wrapped) != body(text):
            before = text[: len(text) - len(body(text))].count("\n")  # the header's lines
            first = before + first_difference(body(text).splitlines(), body(wrapped).splitlines())
            found.append(
                f"{shown}:{first}: not in the book's form, one line per string (another editor"
                f" wrapped it?); fix with `{fix}` (or `msgcat --no-wrap FILE -o FILE`)"
            )
        header = text.split("\n\n", 1)[0]
        if path.suffix == ".pot":
            header = header.replace(f'"PO-Revision-Date: {TEMPLATE_REVISION_DATE}\\n"', "")
        placeholders = [p for p in PLACEHOLDERS if p in header]
        if placeholders or "\n#, fuzzy\n" in "\n" + header:
            what = ", ".join(placeholders + (["#, fuzzy"] if "#, fuzzy" in header else []))
            found.append(f"{shown}:1: template header ({what}); run `{fix}`")
    if extracted.is_dir():
        fresh = {name: [m.id for m in load(p) if m.id] for name, p in pages(extracted).items()}
        if (extracted / f"{INTERFACE}.pot").is_file():  # Sphinx writes it with the pages'
            fresh[Path(f"{INTERFACE}.pot")] = [
                m.id for m in interface_template(extracted, templates, theme_locales) if m.id
            ]
        have = {p.relative_to(templates): p for p in templates.rglob("*.pot")}
        for name in sorted(fresh.keys() | have.keys()):
            shown = (templates / name).relative_to(ROOT) if templates.is_relative_to(ROOT) else name
            if name not in have:
                found.append(f"{shown}: missing; run `nox -s translations` and commit it")
            elif name not in fresh and name != Path(f"{INTERFACE}.pot"):
                found.append(f"{shown}: the page is gone; run `nox -s translations`")
            elif name in fresh and fresh[name] != [m.id for m in load(have[name]) if m.id]:
                found.append(f"{shown}: older than the source; run `nox -s translations`")
    return found


def fix_option(path, locales, theme_locales=None):
    """` -- --lang <code>` for a catalog: the update that rewrites it in the book's form."""
    theme_locales = theme_locales or THEME_LOCALES
    for folder in (locales, theme_locales):
        if path.suffix == ".po" and path.is_relative_to(folder):
            return f" -- --lang {path.relative_to(folder).parts[0]}"
    return ""


def first_difference(lines, wanted):
    """The number of the first line of `lines` that differs from `wanted`."""
    for number, (line, good) in enumerate(zip(lines, wanted, strict=False), 1):
        if line != good:
            return number
    return min(len(lines), len(wanted)) + 1


def languages(locales=LOCALES):
    return (
        sorted(p.name for p in locales.iterdir() if p.is_dir() and p.name != SOURCE_LANGUAGE)
        if locales.is_dir()
        else []
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["update", "check"])
    parser.add_argument("--lang", action="append", help="update only this language (repeatable)")
    args = parser.parse_args()
    if not EXTRACTED.is_dir():
        sys.exit(f"no message templates in {EXTRACTED}: run `nox -s translations` first")
    if args.command == "update":
        for path in update_templates():
            print(f"wrote {path.relative_to(ROOT)}")
        # the source edition's interface catalog too: the same header and form as the others
        for language in dict.fromkeys([*(args.lang or languages()), SOURCE_LANGUAGE]):
            for path in update_language(language):
                print(f"wrote {path.relative_to(ROOT)}")
        return 0
    found = problems()
    for line in found:
        print(line)
    print("catalog format: OK" if not found else f"catalog format: {len(found)} problem(s)")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
