"""tools/catalogs.py: catalogs in the form standard tools keep (`nox -s translations`).

A changed source paragraph leaves the old source beside the fuzzy entry (`#| msgid`), and
later updates keep it as it is; headers are the book's; every catalog and template is written as
`msgcat --no-wrap` writes it, the form Weblate (translate-toolkit, po_line_wrap -1) keeps, and one
saved by an editor that wraps otherwise fails the check with its file name and the command that
fixes it; the templates in docs/pot/ are current, the interface catalogs' (sphinx.pot) too;
copy-through messages are not extracted at all.
"""

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from babel.messages.pofile import read_po, write_po

from tools import catalogs

ROOT = Path(__file__).resolve().parents[1]
EN = ROOT / "docs" / "locales" / "en" / "LC_MESSAGES"
ZH_TW = ROOT / "docs" / "locales" / "zh_TW" / "LC_MESSAGES"
PAGE = "preface"

pytestmark = pytest.mark.skipif(  # under CI a missing msgcat fails (.ci/run installs it)
    shutil.which("msgcat") is None and not os.environ.get("CI"),
    reason="msgcat is not installed (Debian: apt-get install gettext)",
)


@pytest.fixture
def book(tmp_path, monkeypatch):
    """A copy of the committed template and English catalog of one page (no interface catalogs)."""
    templates, locales = tmp_path / "pot", tmp_path / "locales"
    templates.mkdir()
    (locales / "en" / "LC_MESSAGES").mkdir(parents=True)
    shutil.copy(ROOT / "docs" / "pot" / f"{PAGE}.pot", templates)
    shutil.copy(EN / f"{PAGE}.po", locales / "en" / "LC_MESSAGES")
    monkeypatch.setattr(catalogs, "THEME_LOCALES", tmp_path / "_theme_locales")
    template = catalogs.load(templates / f"{PAGE}.pot")  # both in the current form
    catalogs.set_header(template, None)
    (templates / f"{PAGE}.pot").write_text(catalogs.render(template), "utf-8")
    catalogs.update_language("en", templates, locales)
    return templates, locales


def change_a_paragraph(pot):
    """What extraction gives after an author edits one paragraph of the Chinese source."""
    with pot.open("rb") as f:
        template = read_po(f)
    message = next(m for m in template if m.id and len(m.id) > 60)
    old = message.id
    del template[old]
    template.add(old.replace("。", "，而且更短。", 1) if "。" in old else old + "（已改）")
    with pot.open("wb") as f:
        write_po(f, template, width=0)
    pot.write_text(catalogs.msgcat(pot.read_text("utf-8")), "utf-8")  # as update_templates does
    return old


def entry(text, msgid_start):
    """The lines of the entry whose msgid starts with msgid_start (as msgcat wrapped it)."""
    for block in text.split("\n\n"):
        joined = "".join(re.findall(r'^msgid (?:"")?\n?((?:".*"\n?)+)', block, re.MULTILINE))
        if joined.replace('"\n"', "").strip('"').startswith(msgid_start[:10]):
            return block
    return ""


def test_a_changed_paragraph_is_fuzzy_with_its_previous_msgid(book):
    templates, locales = book
    old = change_a_paragraph(templates / f"{PAGE}.pot")
    written = catalogs.update_language("en", templates, locales)
    po = locales / "en" / "LC_MESSAGES" / f"{PAGE}.po"
    assert written == [po]
    text = po.read_text("utf-8")
    fuzzy = [b for b in text.split("\n\n") if "#, fuzzy" in b]
    assert len(fuzzy) == 1, fuzzy
    assert "#| msgid " in fuzzy[0]
    previous = "".join(re.findall(r'^#\| (?:msgid )?"(.*)"$', fuzzy[0], re.MULTILINE))
    assert previous == old.replace('"', '\\"')
    assert not text.startswith("#, fuzzy") and '\n#, fuzzy\nmsgid ""\n' not in text
    assert catalogs.problems(templates, locales, extracted=templates / "none") == []
    po.write_text(text.replace("#, fuzzy\n", ""), "utf-8")  # the translator reviewed it
    catalogs.update_language("en", templates, locales)
    assert "#|" not in po.read_text("utf-8")


def test_update_writes_nothing_when_nothing_changed(book):
    templates, locales = book
    assert catalogs.update_language("en", templates, locales) == []


def test_a_new_language_gets_the_books_header(book):
    templates, locales = book
    [po] = catalogs.update_language("ja", templates, locales)
    header = po.read_text("utf-8").split("\n\n", 1)[0]
    version, _tracker = catalogs.project()
    assert f'"Project-Id-Version: {version}\\n"' in header
    assert '"Language: ja\\n"' in header
    assert '"Language-Team: Japanese\\n"' in header
    assert '"Plural-Forms: nplurals=1; plural=0;\\n"' in header
    assert "#, fuzzy" not in header
    assert not [p for p in catalogs.PLACEHOLDERS if p in header]
    assert catalogs.update_language("ja", templates, locales) == []


def babel_wrapped(path):
    """The catalog as the old update (sphinx-intl, babel at width 76) or another editor saves it."""
    with path.open("rb") as f:
        catalog = read_po(f)
    with path.open("wb") as f:
        write_po(f, catalog, width=76)


def test_a_catalog_wrapped_otherwise_fails_the_check_naming_it(book):
    templates, locales = book
    po = locales / "en" / "LC_MESSAGES" / f"{PAGE}.po"
    babel_wrapped(po)
    [problem] = catalogs.problems(templates, locales, extracted=templates / "none")
    assert re.match(rf"{re.escape(str(po))}:\d+: not in the book's form", problem)
    assert "nox -s translations -- --lang" in problem
    catalogs.update_language("en", templates, locales)  # the fix the message gives
    assert catalogs.problems(templates, locales, extracted=templates / "none") == []


def test_msgcat_keeps_the_committed_catalogs_unchanged():
    for path in sorted(EN.glob("*.po")) + sorted((ROOT / "docs" / "pot").glob("*.pot")):
        text = path.read_text("utf-8")
        resaved = subprocess.run(
            ["msgcat", "--no-wrap", str(path)], capture_output=True, text=True
        ).stdout
        assert resaved == text, path


OLD_HEADER = """# SOME DESCRIPTIVE TITLE.
# FIRST AUTHOR <EMAIL@ADDRESS>, 2026.
#
#, fuzzy
msgid ""
msgstr ""
"Project-Id-Version: Tornado 入门：现代注释版 \\n"
"PO-Revision-Date: YEAR-MO-DA HO:MI+ZONE\\n"
"Last-Translator: FULL NAME <EMAIL@ADDRESS>\\n"
"Language: en\\n"
"Language-Team: en <LL@li.org>\\n"
"Content-Type: text/plain; charset=utf-8\\n"
"""


def test_a_template_header_fails_the_check(book):
    """The header sphinx-intl wrote (before this check): placeholders, and fuzzy."""
    templates, locales = book
    po = locales / "en" / "LC_MESSAGES" / f"{PAGE}.po"
    body = po.read_text("utf-8").split("\n\n", 1)[1]
    po.write_text(catalogs.msgcat(OLD_HEADER + "\n" + body), "utf-8")
    [problem] = catalogs.problems(templates, locales, extracted=templates / "none")
    assert problem == (
        f"{po}:1: template header (SOME DESCRIPTIVE TITLE, LL@li.org, FULL NAME, EMAIL@ADDRESS,"
        " YEAR-MO-DA, #, fuzzy); run `nox -s translations -- --lang en`"
    )


def test_a_template_older_than_the_source_fails_the_check(book, tmp_path):
    templates, locales = book
    extracted = tmp_path / "gettext"
    extracted.mkdir()
    shutil.copy(templates / f"{PAGE}.pot", extracted)
    change_a_paragraph(extracted / f"{PAGE}.pot")
    assert catalogs.problems(templates, locales, extracted) == [
        f"{PAGE}.pot: older than the source; run `nox -s translations`"
    ]
    catalogs.update_templates(extracted, templates)
    assert catalogs.problems(templates, locales, extracted) == []


COPY_THROUGH = re.compile(
    r"examples/[A-Za-z0-9_./@-]+"  # a listing's caption
    r"|[\d,.\s–]+(?: [KMG]iB)?|—"  # table cells
    r"|现代注释 · Tornado [\d.]+"  # a title the modern directive writes itself
)


@pytest.mark.parametrize("po", sorted(EN.glob("*.po")), ids=lambda p: p.stem)
def test_copy_through_messages_are_not_in_the_catalogs(po):
    """File-name captions, numbers and sizes, and the titles the modern directive writes itself
    are shown as they are in every edition: no translator is asked to copy them."""
    with po.open("rb") as f:
        found = [m.id for m in read_po(f) if m.id and COPY_THROUGH.fullmatch(m.id)]
    assert found == []


def test_bug_address_is_the_projects_tracker_or_empty(tmp_path, monkeypatch):
    """Report-Msgid-Bugs-To comes from pyproject.toml's [project.urls], never a placeholder."""
    monkeypatch.setattr(catalogs, "ROOT", tmp_path)
    project = '[project]\nname = "tornado-book"\nversion = "1.2.3"\n'
    (tmp_path / "pyproject.toml").write_text(project, "utf-8")
    assert catalogs.project() == ("tornado-book 1.2.3", "")
    tracker = "https://example.org/book/issues"
    (tmp_path / "pyproject.toml").write_text(f'{project}[project.urls]\nIssues = "{tracker}"\n')
    assert catalogs.project() == ("tornado-book 1.2.3", tracker)


def test_later_updates_keep_the_previous_msgids(book):
    """Babel read msgcat's multi-line `#|` back as `# |` translator comments, which piled up."""
    templates, locales = book
    po = locales / "en" / "LC_MESSAGES" / f"{PAGE}.po"
    assert catalogs.update_language("en", templates, locales) == []
    unchanged = po.read_bytes()
    assert catalogs.update_language("en", templates, locales) == []
    assert po.read_bytes() == unchanged
    change_a_paragraph(templates / f"{PAGE}.pot")
    catalogs.update_language("en", templates, locales)
    changed = po.read_text("utf-8")
    [fuzzy] = [b for b in changed.split("\n\n") if "#, fuzzy" in b]
    assert "#| msgid " in fuzzy and "# |" not in changed
    for _ in range(2):
        assert catalogs.update_language("en", templates, locales) == []
        assert po.read_text("utf-8") == changed


def test_a_long_previous_msgid_survives_updates(book):
    """The same with msgcat's wrapping of `#|` (the form of the first finding)."""
    templates, locales = book
    po = locales / "en" / "LC_MESSAGES" / f"{PAGE}.po"
    change_a_paragraph(templates / f"{PAGE}.pot")
    catalogs.update_language("en", templates, locales)
    wrapped = subprocess.run(
        ["msgcat", "--width=79", str(po)], capture_output=True, text=True
    ).stdout
    assert '\n#| "' in wrapped  # a continuation line of the previous msgid
    po.write_text(wrapped, "utf-8")
    catalogs.update_language("en", templates, locales)
    text = po.read_text("utf-8")
    assert "# |" not in text and "#| msgid " in text
    assert catalogs.problems(templates, locales, extracted=templates / "none") == []


def weblate_save(path, width):
    """Edit every unit's translation and save the file as Weblate does (translate-toolkit with
    the component's po_line_wrap); untouched units are left byte-identical by it."""
    from translate.storage import pypo

    store = pypo.pofile(path.read_bytes(), width=width)
    for unit in store.units:
        if not unit.isheader() and unit.target:
            unit.target = unit.target + " " if unit is store.units[1] else unit.target
    # and Weblate's commit rewrites the header (without wrapping, on one line)
    store.updateheader(
        add=True,
        Last_Translator="A Translator <translator@example.org>",
        PO_Revision_Date="2026-12-05 10:00+0000",
        X_Generator="Weblate 5.14",
    )
    path.write_bytes(bytes(store))


def test_weblate_with_no_line_wrapping_keeps_the_form(book):
    """po_line_wrap -1 ("No line wrapping"): every edited unit in the book's form."""
    pytest.importorskip("translate.storage.pypo")
    templates, locales = book
    (locales / "zh_TW" / "LC_MESSAGES").mkdir(parents=True)
    shutil.copy(ZH_TW / f"{PAGE}.po", locales / "zh_TW" / "LC_MESSAGES")
    catalogs.update_language("zh_TW", templates, locales)
    for language in ("en", "zh_TW"):  # CJK text too
        target = locales / language / "LC_MESSAGES" / f"{PAGE}.po"
        before = target.read_text("utf-8")
        weblate_save(target, -1)
        assert target.read_text("utf-8") != before
        assert catalogs.problems(templates, locales, extracted=templates / "none") == []


@pytest.mark.parametrize("width", [77, 79])
def test_weblate_wrapping_fails_the_check_and_the_update_fixes_it(book, width):
    """Weblate's default (77) or msgcat's width (79): translate-toolkit wraps otherwise than
    msgcat; the check names the file and the command that rewrites it."""
    pytest.importorskip("translate.storage.pypo")
    templates, locales = book
    po = locales / "en" / "LC_MESSAGES" / f"{PAGE}.po"
    weblate_save(po, width)
    edited = {m.id: m.string for m in catalogs.load(po)}
    [problem] = catalogs.problems(templates, locales, extracted=templates / "none")
    assert "not in the book's form" in problem and "nox -s translations -- --lang en" in problem
    catalogs.update_language("en", templates, locales)
    assert catalogs.problems(templates, locales, extracted=templates / "none") == []
    assert {m.id: m.string for m in catalogs.load(po)} == edited


def test_the_interface_template_has_every_label(tmp_path):
    """docs/pot/sphinx.pot: the source edition's interface msgids, the templates' and the
    extensions' `_("...")`; the committed one is current."""
    extracted = tmp_path / "gettext"
    extracted.mkdir()
    (extracted / "sphinx.pot").write_text('msgid ""\nmsgstr ""\n\nmsgid "A new label"\nmsgstr ""\n')
    ids = catalogs.interface_messages(extracted)
    with (ROOT / "docs" / "_theme_locales" / "zh_CN" / "LC_MESSAGES" / "sphinx.po").open("rb") as f:
        chinese = [m.id for m in read_po(f) if m.id]
    assert ids[: len(chinese)] == chinese
    assert "A new label" in ids and "Improve this translation" in ids  # docs/_ext/switcher.py
    with (ROOT / "docs" / "pot" / "sphinx.pot").open("rb") as f:
        committed = [m.id for m in read_po(f) if m.id]
    assert set(chinese) <= set(committed)


def test_interface_catalogs_are_merged_and_checked(book, tmp_path):
    templates, locales = book
    theme = tmp_path / "_theme_locales"
    extracted = tmp_path / "gettext"
    extracted.mkdir()
    (theme / "zh_CN" / "LC_MESSAGES").mkdir(parents=True)
    (theme / "zh_CN" / "LC_MESSAGES" / "sphinx.po").write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        'msgid "Download"\nmsgstr "下载"\n',
        "utf-8",
    )
    (extracted / "sphinx.pot").write_text('msgid ""\nmsgstr ""\n\nmsgid "Menu"\nmsgstr ""\n')
    catalogs.update_templates(extracted, templates, theme)
    assert [m.id for m in catalogs.load(templates / "sphinx.pot") if m.id][:2] == [
        "Download",
        "Menu",
    ]
    catalogs.update_language("zh_CN", templates, locales, theme)  # the source: its interface only
    assert not (locales / "zh_CN").exists()
    ja = catalogs.start_interface("ja", templates, theme)
    assert ja == theme / "ja" / "LC_MESSAGES" / "sphinx.po"
    text = ja.read_text("utf-8")
    assert '"Language: ja\\n"' in text and 'msgid "Menu"' in text
    assert not [p for p in catalogs.PLACEHOLDERS if p in text]
    assert (
        not (locales / "ja").exists()
        and not (locales / "en" / "LC_MESSAGES" / "sphinx.po").exists()
    )
    # a label added to the book reaches every interface catalog with the update
    (extracted / "sphinx.pot").write_text('msgid ""\nmsgstr ""\n\nmsgid "Skip"\nmsgstr ""\n')
    catalogs.update_templates(extracted, templates, theme)
    assert catalogs.update_language("ja", templates, locales, theme) == [ja]
    assert 'msgid "Skip"' in ja.read_text("utf-8")
    assert catalogs.problems(templates, locales, extracted, theme) == []
    # a Babel-written copy (template placeholders) fails the format check
    with ja.open("rb") as f:
        catalog = read_po(f)
    catalog.project, catalog.version = "PROJECT", "VERSION"
    catalog.last_translator = "FULL NAME <EMAIL@ADDRESS>"
    with ja.open("wb") as f:
        write_po(f, catalog, width=0)
    found = catalogs.problems(templates, locales, extracted, theme)
    assert any(p.startswith(f"{ja}:1: template header (FULL NAME") for p in found), found
    assert all("nox -s translations -- --lang ja" in p for p in found)


def test_headers_language_code_and_template_dates(book):
    templates, locales = book
    [po] = catalogs.update_language("zh_TW", templates, locales)
    header = po.read_text("utf-8").split("\n\n", 1)[0]
    assert '"Language: zh_TW\\n"' in header  # the folder's code, not Babel's zh_Hant_TW
    catalogs.update_templates(templates, templates / "out")
    pot = (templates / "out" / f"{PAGE}.pot").read_text("utf-8")
    assert '"PO-Revision-Date: YEAR-MO-DA HO:MI+ZONE\\n"' in pot
    assert "python-format" not in pot and "python-brace-format" not in pot
    assert catalogs.problems(templates / "out", locales, extracted=templates / "none") == []


def test_the_catalogs_name_the_books_issue_tracker():
    assert catalogs.project()[1] == "https://github.com/tornado-book/tornado-book/issues"
