"""Sphinx configuration for 《Tornado 入门：现代注释版》."""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent / "_ext"))
import bookconfig  # noqa: E402


def edition_for(rtd_language):
    """The edition whose code matches a Read the Docs project language ("zh-cn" -> "zh_CN"),
    or the language spelled Sphinx's way, which edition_settings.py rejects if no edition has it."""
    code = rtd_language.replace("-", "_")
    return next((c for c in bookconfig.built() if c.lower() == code.lower()), code)


# The source; other editions are built with --define=language=<code>, which wins over this.
# On Read the Docs, each edition is a project whose language is in READTHEDOCS_LANGUAGE.
language = edition_for(os.environ.get("READTHEDOCS_LANGUAGE") or "zh_CN")
# What differs per edition (title, author, copyright, search language, the 404 page, the banner
# of an edition in progress) is set by docs/_ext/edition_settings.py from docs/editions.toml and the
# edition's interface catalog, docs/_theme_locales/<code>/LC_MESSAGES/sphinx.po.
project = author = copyright = ""  # noqa: A001 (set by edition_settings.py)
version = "6.6"  # the Tornado release the book is written for
release = "6.6.1"

extensions = [
    "myst_parser",
    "notfound.extension",
    # the book's own, in docs/_ext/, one concern each; bookconfig.py is what they all read
    "edition_settings",  # title, search language, 404 page, EPUB, the in-progress banner
    "latex_pdf",  # the PDF's LaTeX settings, SVG redrawn as PDF
    "translated_text",  # messages copied through, untranslated text marked as Chinese
    "modern_notes",  # {modern}
    "listings",  # literalinclude without ANCHOR lines, {ctrl-c}
    "version_matrix",  # {version-matrix}, Appendix B
    "edition_progress",  # {edition-progress}, the progress page
    "graphviz_figures",  # translatable Graphviz figures
    "notices",  # draft, unreviewed and in-progress notices
    "downloads",  # the sidebar's EPUB and PDF links
    "switcher",  # the sidebar's language switcher and edit link
    "page_meta",  # description and Open Graph tags
    "hreflang",  # alternates, canonical, the edition's sitemap.xml
    "accessibility",  # ARIA and focus fixes to Sphinx's HTML
    "zh_search",  # Chinese search: jieba with the book's words
    "search_labels",  # the search page's JavaScript labels from the interface catalog
    "copy_code",  # a copy button on every code block
]
myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3
exclude_patterns = ["_build", "locales", "_theme_locales", "README.md"]

locale_dirs = ["locales/", "_theme_locales/"]
gettext_compact = False
gettext_uuid = False
gettext_location = False

html_theme = "furo"
html_theme_options = {}  # edition_settings.py adds the in-progress banner
# Where the book is published and where its sources live. Both are optional: with a base URL
# the build writes sitemap.xml and og:url; with a repository every page links to its source.
html_baseurl = os.environ.get("BOOK_BASE_URL", "")
book_repository = os.environ.get("BOOK_REPOSITORY", "")
# The edition's EPUB and PDF, offered in the sidebar ("下载 EPUB / PDF") when `nox -s epub` and
# `nox -s pdf` have built them before the HTML: the HTML build copies each one found here into
# the site's downloads/ folder and links it. A book not built is not linked.
book_downloads = {
    "EPUB": "_build/epub/{language}/tornado-book-{language}.epub",
    "PDF": "_build/pdf/{language}/tornado-book-{language}.pdf",
}

templates_path = ["_templates"]
html_static_path = ["_static"]
html_sidebars = {
    "**": [
        "sidebar/brand.html",
        "sidebar/search.html",
        "sidebar/languages.html",
        "sidebar/scroll-start.html",
        "sidebar/navigation.html",
        "sidebar/scroll-end.html",
    ]
}
html_css_files = ["book.css"]
html_favicon = "_static/favicon.svg"
html_search_options = {"dict": str(Path(__file__).parent / "jieba-dict.txt")}  # zh only

epub_show_urls = "no"
epub_exclude_files = ["search.html"]

# The PDF (`nox -s pdf`): XeLaTeX, Latin Modern for Latin text, Noto CJK (Debian: fonts-noto-cjk)
# for Chinese and for code. docs/_ext/latex_pdf.py adds what differs per edition: file name, title,
# and how the edition's language is set up. Chapters are not numbered by LaTeX: their titles
# already say "第 1 章" / "Chapter 1", as on the website.
latex_engine = "xelatex"
# The same document class for every language: Sphinx would pick the pLaTeX class jsbook for
# Japanese, which XeLaTeX cannot load. xeCJK (latex_pdf.py) sets any script in this one.
latex_docclass = {"manual": "report", "howto": "article"}
latex_use_xindy = False  # makeindex comes with TeX Live; xindy would be one more package
latex_elements = {
    "papersize": "a4paper",
    "pointsize": "10pt",
    "extraclassoptions": "openany,oneside",  # read on screen: no blank pages before chapters
    # No index: makeindex groups entries by their first byte, so the glossary's Chinese terms
    # would get headings of half a character (xindy would not, but it is another package);
    # Appendix C, the glossary, lists the terms in the PDF too.
    "printindex": "",
    # Latin text in fontspec's default, Latin Modern; Han characters and all code in Noto CJK.
    "fontpkg": r"""
\setmonofont{Noto Sans Mono CJK SC}[Scale=MatchLowercase, AutoFakeSlant]
\setCJKmainfont{Noto Serif CJK SC}
\setCJKsansfont{Noto Sans CJK SC}
\setCJKmonofont{Noto Sans Mono CJK SC}[Scale=MatchLowercase]
""",
    "fvset": r"\fvset{fontsize=\small,formatcom=\xeCJKVerbAddon}",  # xeCJK: no extra spaces
    # Long lines in listings wrap, at any character if need be, instead of leaving the page.
    # The notes (现代注释) in the website's colours.
    "sphinxsetup": "verbatimwrapslines=true, verbatimforcewraps=true, verbatimmaxoverfull=0,"
    " div.note_border-TeXcolor={HTML}{C2410C}, div.note_title-background-TeXcolor={HTML}{F8E8E2}",
    # A character missing from every font is reported in the log (nox -s pdf fails on it).
    "preamble": r"""
\setcounter{secnumdepth}{-1}
\setlength{\headheight}{14pt}
\tracinglostchars=2
""",
}
