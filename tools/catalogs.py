"""The book's gettext catalogs in the form standard tools keep: templates, headers, wrapping.

    python tools/catalogs.py update [--lang en]   # what `nox -s translations` runs
    python tools/catalogs.py check                # part of `nox -s translations -- --check`

Both read the templates Sphinx extracts into docs/_build/gettext
(`sphinx-build -b gettext docs docs/_build/gettext`; the nox session runs it first).

`update` writes
- docs/pot/<page>.pot: the templates, committed, so that a hosted tool (Weblate, Pontoon, ...)
  or `msginit` can start a language from them. Their POT-Creation-Date changes only when
  their messages do.
- docs/locales/<code>/LC_MESSAGES/<page>.po for every language (or the ones given): merged
  with the template as `msgmerge --previous` would, i.e. a message whose source changed is
  marked fuzzy and keeps the old source as `#| msgid "..."`, so the translator sees what
  changed; messages gone from the source are dropped (git keeps them). The header is the
  book's (no template placeholders, never fuzzy).
Every file is written as GNU gettext's `msgcat` writes it (lines wrapped at 79 columns),
which is also what `powrap`, Poedit (wrap at 79) and Weblate (po_line_wrap 79) write,
and is left alone when nothing but its dates would change.

`check` fails, naming each file, when a catalog or template is not in that form: wrapped
differently, a template header, or a template older than the source.

Needs `msgcat` (Debian: apt-get install gettext).
"""

import argparse
import io
import subprocess
import sys
import tomllib
from pathlib import Path

from babel import Locale
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "docs" / "_ext"))
import editions  # noqa: E402

LOCALES = ROOT / "docs" / "locales"
TEMPLATES = ROOT / "docs" / "pot"
EXTRACTED = ROOT / "docs" / "_build" / "gettext"
SOURCE_LANGUAGE = editions.SOURCE
WIDTH = 79  # msgcat's default
PLACEHOLDERS = ("SOME DESCRIPTIVE TITLE", "LL@li.org", "FULL NAME", "EMAIL@ADDRESS", "YEAR-MO-DA")
MSGCAT_MISSING = "msgcat is not installed (Debian: apt-get install gettext)"


def project():
    """(Project-Id-Version, Report-Msgid-Bugs-To) from pyproject.toml."""
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    urls = {key.lower(): url for key, url in meta.get("urls", {}).items()}
    tracker = next((urls[k] for k in ("issues", "bug tracker", "tracker") if k in urls), "")
    return f"{meta['name']} {meta['version']}", tracker


def header_comment(language):
    if language is None:
        about = "Message template of"
    else:
        about = f"{Locale.parse(language).english_name} ({language}) translation of"
    return (
        f"# {about} the book Tornado 入门：现代注释版 (tornado-book).\n"
        "# Distributed under the same license as the book's text, CC BY-SA 4.0.\n"
        "# How to translate: CONTRIBUTING.md, section 翻译指南 / Translator's guide."
    )


def set_header(catalog, language):
    """The book's header: the same project id everywhere, no placeholders, never fuzzy."""
    version, tracker = project()
    catalog.project, catalog.version = version.split(" ", 1)
    catalog.msgid_bugs_address = tracker
    catalog.header_comment = header_comment(language)
    catalog.fuzzy = False
    if language is not None:
        catalog.locale = Locale.parse(language)
    catalog.language_team = catalog.locale.english_name if catalog.locale else ""
    if not isinstance(catalog.revision_date, type(catalog.creation_date)):
        catalog.revision_date = catalog.creation_date  # instead of "YEAR-MO-DA HO:MI+ZONE"
    if "FULL NAME" in (catalog.last_translator or ""):
        catalog.last_translator = ""


def msgcat(text):
    """The catalog as GNU msgcat writes it (the form `powrap` checks)."""
    try:
        result = subprocess.run(
            ["msgcat", f"--width={WIDTH}", "-", "-o", "-"],
            input=text,
            capture_output=True,
            text=True,
            encoding="utf-8",
        )
    except FileNotFoundError:
        sys.exit(MSGCAT_MISSING)
    if result.returncode:
        raise ValueError(result.stderr.strip())
    return result.stdout


def render(catalog):
    buffer = io.BytesIO()
    # msgcat wraps; babel must not: it would wrap a `#| msgid` comment inside its string
    # (at 76 columns even when told width=0), which gettext's tools cannot read.
    write_po(buffer, catalog, width=10**6, include_previous=True, ignore_obsolete=True)
    return msgcat(buffer.getvalue().decode("utf-8"))


def without_dates(text):
    return "".join(
        line
        for line in text.splitlines(keepends=True)
        if not line.startswith(('"POT-Creation-Date:', '"PO-Revision-Date:'))
    )


def load(path):
    with Path(path).open("rb") as f:
        return read_po(f)


def write_if_changed(path, text):
    """Write unless only the dates would change; True if written."""
    if path.is_file() and without_dates(path.read_text("utf-8")) == without_dates(text):
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, "utf-8")
    return True


def update_templates(extracted=EXTRACTED, templates=TEMPLATES):
    """docs/pot/ from Sphinx's fresh templates; the old creation date while nothing changed."""
    written = []
    fresh = {p.relative_to(extracted).with_suffix(".pot"): p for p in extracted.rglob("*.pot")}
    for name, source in sorted(fresh.items()):
        catalog = load(source)
        set_header(catalog, None)
        target = templates / name
        if write_if_changed(target, render(catalog)):
            written.append(target)
    for old in sorted(templates.rglob("*.pot")) if templates.is_dir() else []:
        if old.relative_to(templates) not in fresh:
            old.unlink()
            written.append(old)
    return written


def update_language(language, templates=TEMPLATES, locales=LOCALES):
    """Merge every template into the language's catalogs, as `msgmerge --previous` does."""
    written = []
    for pot in sorted(templates.rglob("*.pot")):
        template = load(pot)
        po = locales / language / "LC_MESSAGES" / pot.relative_to(templates).with_suffix(".po")
        if po.is_file():
            catalog = load(po)
            catalog.update(template, update_header_comment=False)
        else:
            catalog = Catalog(locale=language, creation_date=template.creation_date)
            catalog.update(template)
        for message in catalog:
            if not message.fuzzy:  # reviewed: the old source is no longer of use
                message.previous_id = []
        set_header(catalog, language)
        if write_if_changed(po, render(catalog)):
            written.append(po)
    return written


def problems(templates=TEMPLATES, locales=LOCALES, extracted=EXTRACTED):
    """Why a catalog or template is not in the book's form, one line per file and reason."""
    found = []
    files = sorted(templates.rglob("*.pot")) + sorted(
        po for po in locales.rglob("*.po") if po.relative_to(locales).parts[0] != SOURCE_LANGUAGE
    )
    for path in files:
        shown = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
        text = path.read_text("utf-8")
        try:
            wrapped = msgcat(text)
        except ValueError as error:
            found.append(f"{shown}: msgcat cannot read it: {error}")
            continue
        if wrapped != text:
            first = first_difference(text.splitlines(), wrapped.splitlines())
            found.append(
                f"{shown}:{first}: not wrapped as msgcat wraps (width {WIDTH}; another editor"
                f" saved it?); fix with `nox -s translations{fix_option(path, locales)}`"
                " (or `powrap FILE`, or `msgcat FILE -o FILE`)"
            )
        header = text.split("\n\n", 1)[0]
        placeholders = [p for p in PLACEHOLDERS if p in header]
        if placeholders or "\n#, fuzzy\n" in "\n" + header:
            what = ", ".join(placeholders + (["#, fuzzy"] if "#, fuzzy" in header else []))
            found.append(
                f"{shown}:1: template header ({what});"
                f" run `nox -s translations{fix_option(path, locales)}`"
            )
    if extracted.is_dir():
        fresh = {p.relative_to(extracted).with_suffix(".pot"): p for p in extracted.rglob("*.pot")}
        have = {p.relative_to(templates): p for p in templates.rglob("*.pot")}
        for name in sorted(fresh.keys() | have.keys()):
            shown = (templates / name).relative_to(ROOT) if templates.is_relative_to(ROOT) else name
            if name not in have:
                found.append(f"{shown}: missing; run `nox -s translations` and commit it")
            elif name not in fresh:
                found.append(f"{shown}: the page is gone; run `nox -s translations`")
            elif [m.id for m in load(fresh[name])] != [m.id for m in load(have[name])]:
                found.append(f"{shown}: older than the source; run `nox -s translations`")
    return found


def fix_option(path, locales):
    """` -- --lang <code>` for a catalog: the update that rewrites it in the book's form."""
    if path.suffix != ".po" or not path.is_relative_to(locales):
        return ""
    return f" -- --lang {path.relative_to(locales).parts[0]}"


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
        for language in args.lang or languages():
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
