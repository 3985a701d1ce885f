"""tools/translations.py: the report translators read and the check CI runs."""

import pytest

from tests.translations_support import docs_tree
from tools import translations

POT = """msgid ""
msgstr ""

msgid "甲"
msgstr ""

msgid "乙"
msgstr ""
"""


def catalog(*entries):
    body = "".join(
        f'{"#, fuzzy" + chr(10) if fuzzy else ""}msgid "{source}"\nmsgstr "{target}"\n\n'
        for source, target, fuzzy in entries
    )
    return 'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n' + body


EDITIONS = """
[editions.zh_CN]
name = "简体中文"
status = "source"
[editions.en]
name = "English"
status = "published"
[editions.ja]
name = "日本語"
status = "in-progress"
[drafts]
pages = ["draft"]
"""


@pytest.fixture
def tree(tmp_path, monkeypatch):
    """A docs/ tree with one page template and an empty English catalog folder."""
    templates = docs_tree(tmp_path, monkeypatch, EDITIONS)
    (templates / "page.pot").write_text(POT, "utf-8")
    (templates / "draft.pot").write_text(POT, "utf-8")
    return write_catalog(tmp_path / "locales", "en")


def write_catalog(locales, language, *entries):
    """locales/<language>/LC_MESSAGES, with a page.po of `entries` (source, target, fuzzy)
    unless there are none: the folder."""
    folder = locales / language / "LC_MESSAGES"
    folder.mkdir(parents=True)
    if entries:
        (folder / "page.po").write_text(catalog(*entries), "utf-8")
    return folder


def test_complete_catalog_passes(tree):
    (tree / "page.po").write_text(catalog(("甲", "A", False), ("乙", "B", False)), "utf-8")
    assert translations.problems("en") == []


def test_missing_catalog_is_reported(tree):
    assert translations.problems("en") == ["en: no catalog for page page"]


def test_fuzzy_untranslated_and_stale_are_reported(tree):
    (tree / "page.po").write_text(catalog(("甲", "A", True), ("丙", "", False)), "utf-8")
    assert translations.problems("en") == [
        "en/page: 1 fuzzy, 1 untranslated",
        "en/page: stale (1 new, 1 gone); run `nox -s translations`",
    ]


def test_drafts_are_not_checked(tree):
    (tree / "page.po").write_text(catalog(("甲", "A", False), ("乙", "B", False)), "utf-8")
    (tree / "draft.po").write_text(catalog(("甲", "", False)), "utf-8")
    assert translations.problems("en") == []


def test_stats_counts_each_page(tree, capsys):
    (tree / "page.po").write_text(catalog(("甲", "A", False), ("乙", "", True)), "utf-8")
    translations.stats(["en"])
    out = capsys.readouterr().out
    assert "page                              1      1            0" in out
    assert "50.0% translated" in out


@pytest.mark.parametrize("code", ["", "xx", "english", "../ja", "ja-JP"])
def test_new_language_rejects_bad_codes(tree, code):
    with pytest.raises(SystemExit, match="error: .* (is not a language|language code)"):
        translations.new_language(code)


@pytest.mark.parametrize("code", ["en", "zh_CN"])
def test_new_language_refuses_existing(tree, code):
    (tree.parent.parent / "zh_CN").mkdir()
    with pytest.raises(SystemExit, match="already exists"):
        translations.new_language(code)


def test_new_language_accepts_a_real_code(tree, capsys):
    assert translations.new_language("pt_BR") == 0
    assert "Portuguese (Brazil)" in capsys.readouterr().out


def test_check_fails_a_published_edition_with_gaps(tree, capsys):
    (tree / "page.po").write_text(catalog(("甲", "A", False), ("乙", "", False)), "utf-8")
    assert translations.check(["en"]) == 1
    out = capsys.readouterr().out
    assert out == "en/page: 0 fuzzy, 1 untranslated\ntranslations: 1 problem(s)\n"


JA_PAGE = "locales/ja/LC_MESSAGES/page.po"


@pytest.mark.parametrize(
    ("first", "status", "mistakes", "verdict"),
    [
        ("A", 0, [], "translations: OK"),
        (
            "TODO",
            1,
            ["locales/ja/LC_MESSAGES/page.po:6: TODO left in the msgstr"],
            "translations: 1 problem(s)",
        ),
    ],
    ids=["gaps-reported-not-failed", "a-mistake-fails"],
)
def test_check_of_an_edition_in_progress(tree, capsys, first, status, mistakes, verdict):
    """Its gaps are reported without failing; a mistake in what it has translated fails."""
    write_catalog(tree.parents[1], "ja", ("甲", first, False), ("乙", "", False))
    assert translations.check(["ja"]) == status
    gaps = "ja: in progress, 50% translated; 1 gap(s) reported, not failed"
    lines = ["ja/page: 0 fuzzy, 1 untranslated", *mistakes, gaps, verdict]
    assert capsys.readouterr().out == "".join(f"{line}\n" for line in lines)
    assert translations.lint(["ja"]) == status


def test_check_covers_a_language_started_but_not_listed(tree, capsys):
    (tree / "page.po").write_text(catalog(("甲", "A", False), ("乙", "B", False)), "utf-8")
    fr = write_catalog(tree.parents[1], "fr", ("甲", "A", False), ("乙", "", False))
    assert translations.check() == 0
    assert "fr: not in docs/editions.toml (not built), 50% translated" in capsys.readouterr().out
    (fr / "page.po").write_text(catalog(("甲", "甲", False), ("乙", "", False)), "utf-8")
    assert translations.check() == 1
    assert "page.po:6: msgstr is the msgid" in capsys.readouterr().out
    assert translations.check(["fr"]) == 1


def test_check_refuses_a_language_the_book_does_not_list(tree):
    with pytest.raises(SystemExit, match="de is not a translation listed in docs/editions.toml"):
        translations.check(["de"])


def test_the_templates_messages_are_not_a_page(tree):
    """sphinx.pot holds the templates' words, translated in docs/_theme_locales, not a page."""
    (tree / "page.po").write_text(catalog(("甲", "A", False), ("乙", "B", False)), "utf-8")
    (translations.TEMPLATES / "sphinx.pot").write_text(POT, "utf-8")
    assert translations.problems("en") == []


def interface_template(tree):
    """The tree's docs/pot/sphinx.pot, the interface's one label Download in it: docs/."""
    docs = tree.parent.parent.parent / "docs"
    (docs / "pot").mkdir()
    (docs / "pot" / "sphinx.pot").write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        'msgid "Download"\nmsgstr ""\n',
        "utf-8",
    )
    return docs


def test_new_language_starts_its_interface_catalog(tree, capsys):
    """`nox -s translations -- --new ja` writes docs/_theme_locales/ja/LC_MESSAGES/sphinx.po
    from the committed template docs/pot/sphinx.pot, with the book's header."""
    docs = interface_template(tree)
    assert translations.new_language("ja") == 0
    interface = docs / "_theme_locales" / "ja" / "LC_MESSAGES" / "sphinx.po"
    assert "wrote docs/_theme_locales/ja/LC_MESSAGES/sphinx.po" in capsys.readouterr().out
    text = interface.read_text("utf-8")
    assert '"Language: ja\\n"' in text and 'msgid "Download"\nmsgstr ""' in text
    assert "FULL NAME" not in text and "#, fuzzy" not in text


def test_an_untranslated_label_fails_the_source_and_not_an_edition_in_progress(tree, capsys):
    """A label left empty in an interface catalog is shown in English: a gap like any other,
    which fails the Chinese edition (the source, always complete) and not one in progress."""
    from tools import catalogs

    (tree / "page.po").write_text(catalog(("甲", "A", False), ("乙", "B", False)), "utf-8")
    docs = interface_template(tree)
    for code in ("zh_CN", "ja"):
        catalogs.start_interface(code, docs / "pot", docs / "_theme_locales")
    assert translations.check(["ja"]) == 0
    label = "sphinx.po:21: label not translated (shown in English): 'Download'"
    assert label in capsys.readouterr().out
    assert translations.check() == 1
    assert f"docs/_theme_locales/zh_CN/LC_MESSAGES/{label}" in capsys.readouterr().out
