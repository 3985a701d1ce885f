"""Editions in progress: a new language is started with catalogs and a docs/editions.toml entry
only, and is built, previewed and checked with its banner, labels and search language.

The test copies docs/ (two pages, to keep the build short), adds a throwaway Japanese edition
with a partial catalog, builds it with the book's own configuration and reads the pages back.
"""

import shutil
import subprocess
import sys

import pytest
from babel.messages.pofile import read_po, write_po
from bs4 import BeautifulSoup

from tests.support import ROOT, sphinx_build

sys.path.insert(0, str(ROOT / "docs" / "_ext"))
import bookconfig  # noqa: E402
import site_root  # noqa: E402

PAGES = ("index", "ch01")
JA = """
[editions.ja]
name = "日本語"
status = "in-progress"
publish = true
search = "ja"
cjk = true
cjk_fonts = "JP"
"""
# The interface catalog translates two labels and leaves the rest to fall back to English.
JA_INTERFACE = """msgid ""
msgstr ""
"Language: ja\\n"
"Content-Type: text/plain; charset=UTF-8\\n"

msgid "Modern note"
msgstr "現代の注記"

msgid "Language"
msgstr "言語"
"""


def books_editions_toml(docs, extra=""):
    text = (ROOT / "docs" / "editions.toml").read_text("utf-8")
    (docs / "editions.toml").write_text(text.replace("[drafts]", extra + "\n[drafts]"), "utf-8")


def partial_catalog(source, target, keep):
    """The English catalog `source` as a Japanese one with only its first `keep` messages
    translated; returns (translated, total)."""
    with source.open("rb") as f:
        catalog = read_po(f, locale="ja")
    total = 0
    for message in catalog:
        if message.id:
            total += 1
            if total > keep:
                message.string = ""
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("wb") as f:
        write_po(f, catalog, width=76)
    return min(keep, total), total


@pytest.fixture(scope="module")
def book(tmp_path_factory):
    """A copy of docs/ with a Japanese edition in progress: 1 of index's messages and 5 of
    ch01's translated. Returns the copy's docs folder and the expected completion."""
    root = tmp_path_factory.mktemp("book")
    docs = root / "docs"
    ignore = shutil.ignore_patterns("_build", "locales")
    shutil.copytree(ROOT / "docs", docs, ignore=ignore)
    (root / "examples").symlink_to(ROOT / "examples")
    for page in docs.glob("*.md"):
        if page.stem not in PAGES:
            page.unlink()
    text = (docs / "index.md").read_text("utf-8")
    (docs / "index.md").write_text(
        "\n".join(line for line in text.splitlines() if line not in editions_pages_left(docs))
        + "\n",
        "utf-8",
    )
    books_editions_toml(docs, JA)
    english = ROOT / "docs" / "locales" / "en" / "LC_MESSAGES"
    ja = docs / "locales" / "ja" / "LC_MESSAGES"
    counts = [
        partial_catalog(english / f"{p}.po", ja / f"{p}.po", 1 if p == "index" else 5)
        for p in PAGES
    ]
    interface = docs / "_theme_locales" / "ja" / "LC_MESSAGES" / "sphinx.po"
    interface.parent.mkdir(parents=True)
    interface.write_text(JA_INTERFACE, "utf-8")
    translated = sum(t for t, _ in counts)
    total = sum(n for _, n in counts)
    return docs, 100 * translated // total


def editions_pages_left(docs):
    """The toctree lines of the pages the copy leaves out."""
    return {p.stem for p in (ROOT / "docs").glob("*.md")} - set(PAGES)


def build(docs, language, out=None):
    out = out or docs / "_build" / language
    return sphinx_build(docs, out, f"--define=language={language}", cwd=docs.parent)


def page(out, name):
    return BeautifulSoup((out / f"{name}.html").read_text("utf-8"), "html.parser")


@pytest.fixture(scope="module")
def japanese(book):
    docs, _ = book
    return build(docs, "ja")


def test_the_throwaway_edition_is_read_from_editions_toml(book):
    docs, _ = book
    assert bookconfig.editions(docs)["ja"] == {
        "name": "日本語",
        "status": "in-progress",
        "publish": True,
        "search": "ja",
        "cjk": True,
        "cjk_fonts": "JP",
        "charset": "",
        "convert": "",
        "reviewed": [],
        "browser": ["ja"],
    }
    assert bookconfig.built(docs) == [*bookconfig.built(), "ja"]  # the book's editions, then ja
    assert bookconfig.offered(docs) == [*bookconfig.offered(), "ja"]


def test_every_page_has_a_banner_with_the_completion(book, japanese):
    _, percent = book
    assert 0 < percent < 10
    assert bookconfig.percent("ja", book[0]) == percent
    shown = bookconfig.percent_shown(*bookconfig.completion("ja", book[0]))
    assert shown.startswith(f"{percent}.")  # below 10%: one decimal
    for name in PAGES:
        banner = page(japanese, name).select_one(".announcement")
        assert banner is not None, name
        assert f"{shown}% is translated" in banner.get_text(), banner.get_text()


@pytest.mark.parametrize(
    ("translated", "total", "shown"),
    [
        (5, 2309, "0.2"),
        (0, 2309, "0"),
        (230, 2309, "9.9"),
        (231, 2309, "10"),
        (2299, 2309, "99"),
        (2309, 2309, "100"),
        (0, 0, "0"),
    ],
)
def test_the_banner_shows_a_decimal_below_ten_percent(translated, total, shown):
    assert bookconfig.percent_shown(translated, total) == shown


def test_the_switcher_lists_the_edition_and_its_labels_come_from_its_catalog(japanese):
    html = page(japanese, "ch01")
    switcher = html.select_one("nav.book-languages")
    assert switcher["aria-label"] == "言語"
    names = [e.get_text() for e in switcher.select(".book-language")]
    assert names == [
        *(bookconfig.editions()[code]["name"] for code in bookconfig.offered()),
        "日本語",
    ]
    assert switcher.select_one('[aria-current="true"]').get_text() == "日本語"
    notes = [t.get_text() for t in html.select(".admonition.modern .admonition-title")]
    assert notes and all(t.startswith("現代の注記 · Tornado ") for t in notes)


def test_a_label_the_catalog_leaves_out_is_english_and_untranslated_text_is_chinese(japanese):
    html = page(japanese, "ch01")
    # the book's title: not in the Japanese interface catalog, so the English msgid
    assert "Getting Started with Tornado: A Modern Annotated Edition" in html.title.get_text()
    text = html.select_one("article").get_text()
    assert "Tornado" in text and any("\u4e00" <= c <= "\u9fff" for c in text)


def test_the_search_language_is_the_entrys(japanese):
    options = (japanese / "_static" / "documentation_options.js").read_text("utf-8")
    assert "LANGUAGE: 'ja'" in options
    data = (japanese / "_static" / "language_data.js").read_text("utf-8")
    # Sphinx's Japanese search: no stop words and no stemmer, not the English ones of en or zh
    assert "const stopwords = new Set([]);" in data
    assert "Stemmer" not in data.split("Non-minified")[0] and "porter" not in data.lower()


def test_the_root_page_offers_the_edition(book):
    docs, _ = book
    root = BeautifulSoup(site_root.root_page(docs), "html.parser")
    links = {a["href"]: a.get_text() for a in root.select("a")}
    offered = {f"{c}/index.html": bookconfig.editions()[c]["name"] for c in bookconfig.offered()}
    assert links == {**offered, "ja/index.html": "日本語"}
    assert root.title.get_text() == "Tornado 入门：现代注释版"


def test_an_unpublished_edition_in_progress_is_built_but_not_offered(book):
    docs, _ = book
    books_editions_toml(docs, JA.replace("publish = true", "publish = false"))
    try:
        assert "ja" in bookconfig.built(docs)
        assert "ja" not in bookconfig.offered(docs)
        assert "ja/index.html" not in site_root.root_page(docs)
        # built for its translators, kept out of search engines if it reaches a server
        out = build(docs, "ja", out=docs / "_build" / "ja-unpublished")
        assert page(out, "ch01").select('meta[name="robots"][content="noindex"]')
    finally:
        books_editions_toml(docs, JA)


def test_an_offered_edition_is_indexed(japanese):
    assert not page(japanese, "ch01").select('meta[name="robots"]')


def test_the_check_reports_an_edition_in_progress_and_fails_it_once_published(book):
    docs, percent = book
    sphinx_build(docs, docs / "_build" / "gettext", builder="gettext", cwd=docs.parent)
    script = f"""
import sys
from pathlib import Path
sys.path.insert(0, {str(ROOT)!r})
from tools import translations
docs = Path({str(docs)!r})
translations.ROOT = docs.parent
translations.LOCALES = docs / "locales"
translations.TEMPLATES = docs / "_build" / "gettext"
sys.exit(translations.check(["ja"]))
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"ja: in progress, {percent}% translated" in done.stdout
    assert "ja/ch01: 0 fuzzy," in done.stdout
    books_editions_toml(docs, JA.replace('"in-progress"', '"published"'))
    try:
        done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    finally:
        books_editions_toml(docs, JA)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "ja: in progress" not in done.stdout


def test_the_chinese_editions_theme_labels_are_chinese(book):
    docs, _ = book
    out = build(docs, "zh_CN")
    html = page(out, "index")
    titles = [t.get_text() for t in html.select("svg symbol title")]
    assert {"目录", "菜单", "浅色模式", "深色模式"} <= set(titles), titles
    assert html.select_one(".announcement") is None  # the source has no banner
    assert html.select_one("nav.book-languages")["aria-label"] == "语言"


ENGLISH_LABELS = {
    "Toggle site navigation sidebar",
    "Toggle table of contents sidebar",
    "Toggle Light / Dark / Auto color theme",
}


@pytest.mark.parametrize("code", ["zh_CN", "zh_TW"])
def test_furos_buttons_and_skip_link_are_in_the_editions_language(book, code):
    docs, _ = book
    out = build(docs, code)
    for name in PAGES:
        html = page(out, name)
        labels = {tag["aria-label"] for tag in html.select("[aria-label]")}
        assert labels and not labels & ENGLISH_LABELS, (name, labels)
        skip = html.select_one("a.skip-to-content").get_text(strip=True)
        assert skip == "跳到正文", skip


def test_the_english_edition_keeps_furos_own_labels(book):
    docs, _ = book
    html = page(build(docs, "en"), "index")
    assert {tag["aria-label"] for tag in html.select("[aria-label]")} >= ENGLISH_LABELS
    assert html.select_one("a.skip-to-content").get_text(strip=True) == "Skip to content"


def test_untranslated_text_is_marked_as_the_source_language(book, japanese):
    docs, _ = book
    with (docs / "locales" / "ja" / "LC_MESSAGES" / "ch01.po").open("rb") as f:
        done = {" ".join(m.string.split()) for m in read_po(f) if m.id and m.string}
    article = page(japanese, "ch01").select_one("article")
    source = bookconfig.SOURCE.replace("_", "-")  # zh-CN
    blocks = article.select("h1, h2, h3, p, dt, th")
    marked = [b for b in blocks if b.get("lang") == source]
    assert marked and all(any("\u4e00" <= c <= "\u9fff" for c in b.get_text()) for b in marked)
    translated = [b for b in blocks if " ".join(b.get_text().split()).rstrip("#¶ ") in done]
    assert translated, "no translated block found"
    assert all(b.get("lang") is None for b in translated), translated
    assert not article.select("[lang]:not([lang='zh-CN'])")
    # the source edition marks nothing
    source_page = page(build(docs, bookconfig.SOURCE), "ch01").select_one("article")
    assert not source_page.select("[lang]")


def test_every_edition_uses_a_document_class_xelatex_loads(book):
    """Sphinx picks the pLaTeX class jsbook for Japanese; conf.py sets one class for all."""
    docs, _ = book
    out = docs / "_build" / "latex-ja"
    sphinx_build(docs, out, "--define=language=ja", builder="latex", cwd=docs.parent)
    tex = (out / "tornado-book-ja.tex").read_text("utf-8")
    assert r"\def\sphinxdocclass{report}" in tex
    assert "jsbook" not in tex
    assert r"\setCJKmainfont{Noto Serif CJK JP}" in tex  # cjk_fonts = "JP"
    # a partial edition's PDF says so at its start, as the website's banner does
    front = tex.split(r"\sphinxtableofcontents", 1)[1].split(r"\chapter", 1)[0]
    assert "This edition is a translation in progress" in front


def test_a_partial_editions_epub_opens_with_the_banner(book):
    docs, _ = book
    out = docs / "_build" / "epub-ja"
    sphinx_build(docs, out, "--define=language=ja", builder="epub", cwd=docs.parent)
    opening = (out / "index.xhtml").read_text("utf-8")
    assert "This edition is a translation in progress" in opening
    assert "in progress" not in (out / "ch01.xhtml").read_text("utf-8")


def test_a_changed_interface_catalog_rewrites_every_page(book, tmp_path):
    """What `nox -s serve` does after an edit: build again. A label changed in the interface
    catalog must reach every page, not only pages whose source changed."""
    docs, _ = book
    copy = tmp_path / "docs"
    shutil.copytree(docs, copy, ignore=shutil.ignore_patterns("_build"))
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    build(copy, "ja")
    interface = copy / "_theme_locales" / "ja" / "LC_MESSAGES" / "sphinx.po"
    interface.write_text(interface.read_text("utf-8").replace('"言語"', '"ことば"'), "utf-8")
    out = build(copy, "ja")
    for name in PAGES:
        assert page(out, name).select_one("nav.book-languages")["aria-label"] == "ことば", name
