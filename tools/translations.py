"""Translation status of the book's editions: per language and page, translated/fuzzy/untranslated.

    python tools/translations.py stats [--lang en]   # a report for translators
    python tools/translations.py check [--lang ja]   # CI: exit 1 if a message of any edition
                                                     # fails tools/catalog_lint.py, or a
                                                     # published edition is incomplete or stale;
                                                     # an edition in progress's gaps are reported
    python tools/translations.py lint [--lang ja]    # only tools/catalog_lint.py's rules (no
                                                     # templates needed): `nox -s docs` runs it
                                                     # for the offered editions

Markup, structure and placeholder mistakes fail every edition that has catalogs: published, in
progress (offered or not), or started with `--new` and not yet in docs/editions.toml. Only the
completeness of an edition in progress (untranslated, fuzzy, stale) is reported without failing.
The interface catalog (docs/_theme_locales/<code>/LC_MESSAGES/sphinx.po) is linted with the
pages', and the source edition's too.

`check` compares each catalog with freshly extracted templates in docs/_build/gettext
(run `sphinx-build -b gettext docs docs/_build/gettext` first; `nox -s translations` does).
Editions and their status (published, in-progress) are docs/editions.toml's, read through
docs/_ext/bookconfig.py.
"""

import argparse
import re
import sys
from pathlib import Path

from babel import Locale, UnknownLocaleError

try:
    from tools import catalog_lint  # imported as tools.translations (the tests)
    from tools import catalogs as catalog_files
except ImportError:
    import catalog_lint  # run as tools/translations.py
    import catalogs as catalog_files

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "docs" / "_ext"))
import bookconfig  # noqa: E402

LOCALES = ROOT / "docs" / "locales"
TEMPLATES = ROOT / "docs" / "_build" / "gettext"
SOURCE_LANGUAGE = bookconfig.SOURCE


def edition_list():
    return bookconfig.editions(ROOT / "docs")


def drafts():
    return bookconfig.drafts(ROOT / "docs")


def languages():
    return catalog_files.languages(LOCALES)


load = catalog_files.load


def page_stats(po_path):
    counts = {"translated": 0, "fuzzy": 0, "untranslated": 0}
    for message in load(po_path):
        if not message.id:
            continue
        if message.fuzzy:
            counts["fuzzy"] += 1
        elif message.string:
            counts["translated"] += 1
        else:
            counts["untranslated"] += 1
    return counts


def catalogs(lang):
    return bookconfig.catalogs(lang, LOCALES.parent)


def row(name, counts):
    return (
        f"  {name:<24} {counts['translated']:>10} {counts['fuzzy']:>6} {counts['untranslated']:>12}"
    )


def stats(langs):
    for lang in langs:
        total = {"translated": 0, "fuzzy": 0, "untranslated": 0}
        print(f"{lang}:")
        print(f"  {'page':<24} {'translated':>10} {'fuzzy':>6} {'untranslated':>12}")
        for po in catalogs(lang):
            counts = page_stats(po)
            print(
                row(
                    po.relative_to(LOCALES / lang / "LC_MESSAGES").with_suffix("").as_posix(),
                    counts,
                )
            )
            for key in total:
                total[key] += counts[key]
        print(row("total", total))
        print(f"  {100 * total['translated'] / (sum(total.values()) or 1):.1f}% translated\n")


def problems(lang):
    """Why an edition is not complete and current, or has a mistake, one line per reason."""
    return gaps(lang) + mistakes(lang)


def entry_of(lang):
    """The edition's entry in docs/editions.toml; a language started but not listed: no Han."""
    return catalog_lint.edition(lang, ROOT / "docs")


def shown(path):
    return path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else str(path)


def mistakes(lang):
    """tools/catalog_lint.py's problems in the edition's page and interface catalogs."""
    entry = entry_of(lang)
    found = []
    for po in catalogs(lang) if lang != SOURCE_LANGUAGE else []:
        found += catalog_lint.check_file(po, lang, display=shown(po), entry=entry)
    ui = bookconfig.interface_catalog(lang, ROOT / "docs")
    if ui.is_file():
        found += catalog_lint.check_interface(ui, lang, display=shown(ui), entry=entry)
    return found


def gaps(lang):
    """What an edition lacks: catalogs, translated and current messages."""
    found = []
    templates = {p.relative_to(TEMPLATES).with_suffix("") for p in TEMPLATES.rglob("*.pot")}
    templates.discard(Path(bookconfig.INTERFACE))  # the templates' words: docs/_theme_locales
    pos = {p.relative_to(LOCALES / lang / "LC_MESSAGES").with_suffix(""): p for p in catalogs(lang)}
    templates -= drafts()
    pos = {page: po for page, po in pos.items() if page not in drafts()}
    for page in sorted(templates - pos.keys()):
        found.append(f"{lang}: no catalog for page {page}")
    found += interface_gaps(lang)
    for page, po in sorted(pos.items()):
        counts = page_stats(po)
        if counts["fuzzy"] or counts["untranslated"]:
            found.append(
                f"{lang}/{page}: {counts['fuzzy']} fuzzy, {counts['untranslated']} untranslated"
            )
        pot = TEMPLATES / page.with_suffix(".pot")
        if not pot.is_file():
            found.append(f"{lang}/{page}: the page no longer exists")
            continue
        wanted = {m.id for m in load(pot) if m.id}
        have = {m.id for m in load(po) if m.id}
        if wanted != have:
            found.append(
                f"{lang}/{page}: stale ({len(wanted - have)} new, {len(have - wanted)} gone);"
                " run `nox -s translations`"
            )
    return found


def interface_gaps(lang):
    """Labels of the edition's interface catalog left empty or fuzzy: shown in English."""
    ui = bookconfig.interface_catalog(lang, ROOT / "docs")
    if not ui.is_file():
        return []  # the msgids are English: an English edition needs no interface catalog
    where = catalog_lint.msgstr_lines(ui)
    return [
        f"{shown(ui)}:{where.get(m.lineno, m.lineno)}: label not translated (shown in English):"
        f" {m.id if isinstance(m.id, str) else m.id[0]!r}"
        for m in load(ui)
        if m.id and (m.fuzzy or not (all(m.string) if m.pluralizable else m.string))
    ]


def percent(lang):
    """The share of messages translated and not fuzzy, rounded down: the site's banner's."""
    return bookconfig.percent(lang, LOCALES.parent)


def started():
    """Every language with catalogs, listed in docs/editions.toml or not, and every listed one."""
    listed = bookconfig.translations(ROOT / "docs")
    return listed + [lang for lang in languages() if lang not in listed]


def check(langs=None):
    """Print every problem of each edition; 1 if any message has a mistake, or a published
    edition has a gap. An edition in progress (or started but not listed in docs/editions.toml)
    is reported with its completion, which never fails it. Without `langs`, every started
    language and the source's interface catalog; a language with neither an entry nor catalogs
    is an error."""
    known = edition_list()
    everything = langs is None
    failed = total = 0
    for lang in started() if everything else langs:
        entry = known.get(lang)
        if entry is None and not catalogs(lang) or entry and entry["status"] == "source":
            sys.exit(f"error: {lang} is not a translation listed in docs/editions.toml")
        wrong, missing = mistakes(lang), gaps(lang)
        for line in missing + wrong:
            print(line)
        total += len(wrong) + len(missing)
        failed += len(wrong)
        if entry is None:
            print(
                f"{lang}: not in docs/editions.toml (not built), {percent(lang)}% translated;"
                f" checked as a language not written with Han characters"
            )
        if entry is None or entry["status"] == "in-progress":
            if missing:
                print(
                    f"{lang}: in progress, {percent(lang)}% translated;"
                    f" {len(missing)} gap(s) reported, not failed"
                )
        else:
            failed += len(missing)
    if everything:
        wrong = mistakes(SOURCE_LANGUAGE) + interface_gaps(SOURCE_LANGUAGE)  # its interface
        for line in wrong:
            print(line)
        failed += len(wrong)
    print("translations: OK" if not failed else f"translations: {failed} problem(s)")
    return 1 if failed else 0


def lint(langs):
    """Only the mistakes (tools/catalog_lint.py) of the given editions: 1 if any."""
    found = [line for lang in langs for line in mistakes(lang)]
    for line in found:
        print(line)
    print("catalog lint: OK" if not found else f"catalog lint: {len(found)} problem(s)")
    return 1 if found else 0


def new_language(code):
    """Refuse codes that are not languages, the source language, and languages already started."""
    if not code or not re.fullmatch(r"[a-z]{2,3}(_[A-Z][a-z]{3})?(_[A-Z]{2})?", code):
        sys.exit(f"error: {code!r} is not a language code like ja, de or pt_BR")
    try:
        Locale.parse(code)
    except (UnknownLocaleError, ValueError):
        sys.exit(f"error: {code!r} is not a language Babel knows")
    if code == SOURCE_LANGUAGE or (LOCALES / code).exists():
        sys.exit(
            f"error: {code} already exists; update it with `nox -s translations -- --lang {code}`"
        )
    # its interface catalog (docs/_theme_locales) from docs/pot/sphinx.pot; the pages' catalogs
    # are written by the update that `nox -s translations -- --new CODE` runs next
    docs = ROOT / "docs"
    interface = catalog_files.start_interface(code, docs / "pot", docs / "_theme_locales")
    if interface is not None:
        print(f"wrote {interface.relative_to(ROOT)}")
    print(
        f"starting {Locale.parse(code).english_name} ({code});"
        f' add [editions.{code}] with status = "in-progress" to docs/editions.toml'
        " to build, preview and check it"
    )
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["stats", "check", "lint", "new"])
    parser.add_argument("code", nargs="?", help="with `new`: the language code, e.g. ja or pt_BR")
    parser.add_argument("--lang", action="append", help="only this language (repeatable)")
    args = parser.parse_args()
    if args.command == "new":
        return new_language(args.code)
    if args.command == "stats":
        stats(args.lang or languages())
        return 0
    if args.command == "lint":
        return lint(args.lang or [SOURCE_LANGUAGE, *started()])
    if not TEMPLATES.is_dir():
        sys.exit(f"no message templates in {TEMPLATES}: run `nox -s translations` first")
    return check(args.lang)


if __name__ == "__main__":
    sys.exit(main())
