"""The book's Sphinx extensions in docs/_ext/, one concern each, tested without a build (the
builds of tests/test_editions.py, test_site.py and test_zh_tw.py test them together)."""

import ast
from types import SimpleNamespace

import bookconfig
import downloads
import hreflang
import latex_pdf
import modern_notes
import page_meta
import pytest
import switcher
import tables
import translated_text
import version_matrix
from docutils import nodes
from docutils.core import publish_doctree

from tests.support import ROOT

EXTENSIONS = sorted((ROOT / "docs" / "_ext").glob("*.py"))
NOT_EXTENSIONS = {"bookconfig", "site_root", "tables"}  # imported by the extensions and tools


def listed_in_conf():
    tree = ast.parse((ROOT / "docs" / "conf.py").read_text("utf-8"))
    (node,) = [
        n for n in tree.body if isinstance(n, ast.Assign) and n.targets[0].id == "extensions"
    ]
    return ast.literal_eval(node.value)


def test_conf_lists_every_extension_of_the_book():
    ours = {path.stem for path in EXTENSIONS} - NOT_EXTENSIONS
    assert ours <= set(listed_in_conf()), sorted(ours - set(listed_in_conf()))


def app(language="en", baseurl="", **config):
    return SimpleNamespace(
        config=SimpleNamespace(language=language, html_baseurl=baseurl, root_doc="index", **config),
        env=SimpleNamespace(found_docs={"index", "ch01"}),
    )


@pytest.mark.parametrize("version, valid", [("6.0", True), ("6.6.1", True), ("6", False)])
def test_a_modern_note_names_a_tornado_version(version, valid):
    assert bool(modern_notes.VERSION.match(version)) == valid


@pytest.mark.parametrize(
    "text, copied",
    [
        ("examples/ch01/hello.py", True),
        ("10,002", True),
        ("`IOLoop.instance()`", True),
        ("—", True),
        ("一句话", False),
    ],
)
def test_what_a_translation_copies_through(text, copied):
    assert bool(translated_text.COPY_THROUGH.fullmatch(text)) == copied


def test_a_table_row_has_one_entry_per_cell():
    row = tables.table_row([[nodes.Text("a")], [nodes.Text("b")]])
    assert [entry.astext() for entry in row.children] == ["a", "b"]


def test_the_matrix_notes_set_the_option_as_code():
    parts = version_matrix.with_option("The oldest ({option}), run by CI", "--oldest")
    assert [type(p) for p in parts] == [nodes.Text, nodes.literal, nodes.Text]
    assert "".join(p.astext() for p in parts) == "The oldest (--oldest), run by CI"


def test_alternates_name_every_offered_edition_then_x_default():
    links = dict(hreflang.alternates(app(baseurl="https://example.org/book/"), "ch01"))
    assert links["x-default"] == "https://example.org/book/zh_CN/ch01.html"
    assert set(links) == {*map(bookconfig.html_lang, bookconfig.offered()), "x-default"}
    front = dict(hreflang.alternates(app(), "index"))
    assert front["x-default"] == "../" and front["en"] == "../en/index.html"


@pytest.mark.parametrize("baseurl, path", [("", "/"), ("https://owner.github.io/repo/", "/repo/")])
def test_the_site_path_is_the_base_urls(baseurl, path):
    assert hreflang.site_path(SimpleNamespace(html_baseurl=baseurl)) == path


@pytest.mark.parametrize(
    "language, url",
    [
        ("zh_CN", "https://github.com/o/book/edit/main/docs/ch01.md"),
        ("en", "https://github.com/o/book/edit/main/docs/locales/en/LC_MESSAGES/ch01.po"),
    ],
)
def test_the_edit_link_is_the_source_or_the_catalog(language, url):
    assert (
        switcher.edit_url(app(language, book_repository="https://github.com/o/book"), "ch01") == url
    )
    assert switcher.edit_url(app(language, book_repository=""), "ch01") == ""


def test_the_description_is_the_first_paragraph_outside_a_note():
    doctree = publish_doctree(".. note:: Not this.\n\nThis one, " + "long " * 40)
    text = page_meta.first_paragraph(doctree)
    assert text.startswith("This one,") and len(text) == 150 and text.endswith("…")


def test_downloads_offer_only_the_books_that_were_built(tmp_path):
    (tmp_path / "book-en.pdf").write_bytes(b"%PDF")
    patterns = {"EPUB": "book-{language}.epub", "PDF": "book-{language}.pdf"}
    config = SimpleNamespace(language="en", book_downloads=patterns)
    downloads.find_downloads(SimpleNamespace(confdir=tmp_path), config)
    assert config.book_downloads_found == [("PDF", "book-en.pdf")]


@pytest.mark.parametrize("language", bookconfig.built())
def test_the_pdf_uses_the_editions_fonts(language):
    config = SimpleNamespace(
        language=language,
        latex_engine="xelatex",
        root_doc="index",
        project="T",
        author="A",
        latex_elements={"fontpkg": r"\setCJKmainfont{Noto Serif CJK SC}"},
    )
    latex_pdf.apply_latex_language(config)
    entry = bookconfig.editions()[language]
    assert config.latex_documents[0][1] == f"tornado-book-{language}.tex"
    assert f"CJK {entry['cjk_fonts']}}}" in config.latex_elements["fontpkg"]
    assert (latex_pdf.LATEX_LATIN_PUNCTUATION in config.latex_elements["fontenc"]) != entry["cjk"]
