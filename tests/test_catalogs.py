"""tools/catalogs.py: catalogs in the form standard tools keep (`nox -s translations`).

A changed source paragraph leaves the old source beside the fuzzy entry (`#| msgid`); headers
are the book's; every catalog and template is wrapped as msgcat wraps it, and one saved by an
editor that wraps otherwise fails the check with its file name; the templates in docs/pot/ are
current; copy-through messages are not extracted at all.
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
PAGE = "preface"

pytestmark = pytest.mark.skipif(  # under CI a missing msgcat fails (.ci/run installs it)
    shutil.which("msgcat") is None and not os.environ.get("CI"),
    reason="msgcat is not installed (Debian: apt-get install gettext)",
)


@pytest.fixture
def book(tmp_path):
    """A copy of the committed template and English catalog of one page."""
    templates, locales = tmp_path / "pot", tmp_path / "locales"
    templates.mkdir()
    (locales / "en" / "LC_MESSAGES").mkdir(parents=True)
    shutil.copy(ROOT / "docs" / "pot" / f"{PAGE}.pot", templates)
    shutil.copy(EN / f"{PAGE}.po", locales / "en" / "LC_MESSAGES")
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
    assert re.match(rf"{re.escape(str(po))}:\d+: not wrapped as msgcat wraps", problem)
    assert "nox -s translations -- --lang" in problem
    catalogs.update_language("en", templates, locales)  # the fix the message gives
    assert catalogs.problems(templates, locales, extracted=templates / "none") == []


def test_msgcat_keeps_the_committed_catalogs_unchanged():
    for path in sorted(EN.glob("*.po")) + sorted((ROOT / "docs" / "pot").glob("*.pot")):
        text = path.read_text("utf-8")
        resaved = subprocess.run(["msgcat", str(path)], capture_output=True, text=True).stdout
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
