"""tools/pdfcheck.py: what `nox -s pdf` reads in XeLaTeX's log and in poppler's output."""

from tools import pdfcheck

TEX = r"""\chapter{前言}
\label{\detokenize{preface:id1}}
Some text.
\begin{sphinxVerbatim}[commandchars=\\\{\}]
a very long line
\end{sphinxVerbatim}
\chapter{第 1 章　初识 Tornado}
\label{\detokenize{ch01:id1}}
More text.
"""

LOG = r"""(./tornado-book-zh_CN.tex
Missing character: There is no ⚠ (U+26A0) in font [lmroman10-regular]:mapping=tex-text;!
Missing character: There is no ⚠ (U+26A0) in font [lmroman10-bold]:mapping=tex-text;!
Missing character: There is no 🐍 (U+1F40D) in font [lmroman10-regular]:mapping=tex-text;!
Overfull \hbox (18.50873pt too wide) in paragraph at lines 5--5
[]\TU/NotoSansMonoCJKSC(0)/m/n/9 a very long line
Overfull \hbox (0.5pt too wide) in paragraph at lines 4--6
[]\TU/NotoSansMonoCJKSC(0)/m/n/9 a
Overfull \hbox (9.76772pt too wide) in paragraph at lines 9--9
[]\TU/lmr/m/n/10 Threaded
Overfull \hbox (9.76772pt too wide) detected at line 9
[]\TU/lmr/m/n/10 Threaded
Overfull \vbox (1.5pt too high) detected at line 3
"""

PDFFONTS = """\
name                                 type              encoding         emb sub uni object ID
------------------------------------ ----------------- ---------------- --- --- --- ---------
BLWWWR+LMSans10-Bold-Identity-H      CID Type 0C       Identity-H       yes yes yes      4  0
Helvetica                            Type 1            Custom           no  no  no      12  0
VQQLKB+NotoSerifCJKjp-Regular-Identity-H CID Type 0C       Identity-H       yes yes yes     24  0
"""

FRONT_ZH = "Tornado 入门：现代注释版\n发行版本 6.6.1\n目录\n前言 3\n第 1 章 初识 Tornado 7\n"
BODY_ZH = FRONT_ZH + "现代注释·Tornado 6.0\n经典教程里的异步代码\n"


def test_missing_characters_are_listed_once_each():
    assert pdfcheck.missing_characters(LOG) == ["⚠ (U+26A0)", "🐍 (U+1F40D)"]
    assert pdfcheck.missing_characters("Overfull \\hbox (1pt too wide)") == []


def test_missing_fonts_are_named():
    log = '! Package fontspec Error: The font "Noto Serif CJK SC" cannot be found.\n'
    assert pdfcheck.missing_fonts(log) == ["Noto Serif CJK SC"]


def test_missing_tex_files_are_named():
    log = (
        "! LaTeX Error: File `ctexhook.sty' not found.\n"
        "/usr/share/texlive/texmf-dist/tex/latex/hyperref/hyperref.sty:4872:"
        " Font \\XeTeXLink@font=pzdr at 0.00002pt not loadable: Metric (TFM) file or"
        " installed font not found.\n"
    )
    assert pdfcheck.missing_files(log) == ["ctexhook.sty", "pzdr"]
    problems, _ = pdfcheck.log_problems(log, TEX)
    assert problems == ["TeX Live has no ctexhook.sty", "TeX Live has no pzdr"]


def test_overfull_boxes_measured_twice_count_once():
    assert pdfcheck.overfull_boxes(LOG) == [
        (18.50873, 5, 5),
        (0.5, 4, 6),
        (9.76772, 9, 9),
    ]


def test_listing_lines_are_inside_verbatim():
    assert pdfcheck.listing_lines(TEX) == {4, 5, 6}


def test_overflows_split_listings_from_text():
    listings, text = pdfcheck.overflows(LOG, TEX)
    assert listings == [(18.50873, 5), (0.5, 4)]
    assert text == [(9.76772, 9)]


def test_log_problems_fail_on_wide_listings_and_missing_characters_only():
    problems, summary = pdfcheck.log_problems(LOG, TEX)
    assert problems == [
        "no font has the character ⚠ (U+26A0)",
        "no font has the character 🐍 (U+1F40D)",
        "listing 18.5pt wider than the page at .tex line 5",
    ]
    assert summary == "listings: widest overflow 18.5pt; 1 overfull lines of text (widest 9.8pt)"


def test_a_clean_log_has_no_problems():
    problems, summary = pdfcheck.log_problems("(./tornado-book-en.tex [1] [2])", TEX)
    assert problems == []
    assert summary == "listings: widest overflow 0.0pt; 0 overfull lines of text"


def test_page_count_and_unembedded_fonts():
    assert pdfcheck.page_count("Title:  Book\nPages:           191\nEncrypted: no\n") == 191
    assert pdfcheck.page_count("garbage") == 0
    assert pdfcheck.unembedded_fonts(PDFFONTS) == ["Helvetica"]
    assert pdfcheck.unembedded_fonts("") == []


def test_chapter_titles_come_from_the_tex():
    assert pdfcheck.chapter_titles(TEX) == ["前言", "第 1 章　初识 Tornado"]


def test_chinese_text_that_reads_back_passes():
    assert pdfcheck.text_problems("zh_CN", TEX, BODY_ZH, FRONT_ZH) == []


def test_text_problems_name_what_is_wrong():
    front = FRONT_ZH.replace("目录", "Contents")
    body = front.replace("初识", "") + "\ufffd"
    assert pdfcheck.text_problems("zh_CN", TEX, body, front) == [
        "the text has U+FFFD replacement characters: a font has no Unicode map",
        "chapter title not found in the PDF's text: 第 1 章　初识 Tornado",
        "'目录' missing from the title page and contents",
        "'Contents' (en) on the title page or contents",
        "'现代注释 · Tornado' not found in the PDF's text",
    ]


def test_chapter_titles_must_be_in_the_editions_language():
    english = TEX.replace("前言", "Preface")
    front = "Getting Started\nRelease 6.6.1\nCONTENTS\nPreface\n第 1 章 初识 Tornado\n"
    body = front + "Modern note · Tornado 6.0"
    assert pdfcheck.text_problems("en", english, body, front) == [
        "chapter title in the wrong language for en: 第 1 章　初识 Tornado"
    ]


def test_a_language_without_labels_is_checked_for_titles_only():
    japanese = TEX.replace("前言", "まえがき")
    assert pdfcheck.text_problems("ja", japanese, "まえがき\n第 1 章　初识 Tornado", "") == []
    assert pdfcheck.text_problems("ja", japanese, "まえがき", "") == [
        "chapter title not found in the PDF's text: 第 1 章　初识 Tornado"
    ]


def test_main_checks_the_log_beside_the_pdf(tmp_path, capsys):
    book = tmp_path / "tornado-book-zh_CN.pdf"
    book.with_suffix(".tex").write_text(TEX, "utf-8")
    book.with_suffix(".log").write_text(LOG, "utf-8")
    assert pdfcheck.main(["--lang=zh_CN", "--log-only", str(book)]) == 1
    out = capsys.readouterr().out
    assert out.startswith("tornado-book-zh_CN.pdf: listings: widest overflow 18.5pt")
    assert "  listing 18.5pt wider than the page at .tex line 5\n" in out
    book.with_suffix(".log").write_text("(./tornado-book-zh_CN.tex [1])", "utf-8")
    assert pdfcheck.main(["--lang=zh_CN", "--log-only", str(book)]) == 0


def test_an_edition_in_progress_may_show_the_sources_contents_heading():
    """LaTeX's contents heading is the index page's toctree caption: a partial edition that has
    not translated it yet prints the Chinese 目录 (a ja PDF failed the check for it)."""
    assert pdfcheck.labels("zh_TW")["in_progress"]
    traditional = TEX.replace("初识", "初識")
    front = FRONT_ZH.replace("初识", "初識").replace("发行版本", "發佈")
    body = front + "現代註釋 · Tornado 6.0\n"
    assert pdfcheck.text_problems("zh_TW", traditional, body, front) == []
    english = front.replace("目录", "Contents")
    assert pdfcheck.text_problems("zh_TW", traditional, body, english) == [
        "'目錄' missing from the title page and contents",
        "'Contents' (en) on the title page or contents",
    ]
