"""Sphinx extension for the book: the 现代注释 admonition and anchor-free literalincludes.

``` {modern} 6.0
Body text.
```
renders an admonition titled "现代注释 · Tornado 6.0" (in the English edition "Modern note ·
Tornado 6.0"). The argument is the Tornado version in which the change happened, and is required.

``` {version-matrix}
```
renders the table of Python and Tornado versions that `nox -s matrix` tests, read from
docs/matrix.toml, the same file the noxfile reads, so the table cannot drift from the session.

literalinclude drops `ANCHOR: name` / `ANCHOR_END: name` marker lines (any comment syntax), so a
listing can be excerpted with :start-after:/:end-before: and shown whole without the markers.

For the PDF: every edition's LaTeX settings (file name, title, xeCJK), and SVG figures redrawn as
PDF by rsvg-convert. For the website: "下载 EPUB / PDF" links in the sidebar, to the copies of
the books that were built before the HTML (see `book_downloads` in conf.py).

Figures are Graphviz files in docs/figures/, shown with `sphinx.ext.graphviz`'s directive:

``` {graphviz} figures/event_loop.dot
:alt: What a screen reader says instead of the figure.
:caption: The caption under it.
```

Their text is translated like the rest of the page: the alt text and every double-quoted `label`
or `xlabel` in the file that holds a non-ASCII character (a pure-ASCII one, such as `prepare()`, is
code, not prose) become messages of the page's catalog, and each edition draws the figure with its
own labels. Without Graphviz's `dot`, a figure is replaced by its alt text and the build says so
once (`nox -s docs` fails under CI, warns elsewhere). The directive requires `:alt:`, `:caption:`.
"""

import html
import os
import re
import shutil
import subprocess
import tomllib
import urllib.parse
from pathlib import Path

import editions
from docutils import nodes
from myst_parser.parsers import docutils_ as myst_docutils
from sphinx import addnodes
from sphinx.directives.code import LiteralInclude
from sphinx.errors import ExtensionError
from sphinx.ext import graphviz as sphinx_graphviz
from sphinx.locale import _
from sphinx.transforms import SphinxTransform
from sphinx.transforms.post_transforms.images import ImageConverter
from sphinx.util import logging, texescape
from sphinx.util.docutils import SphinxDirective
from sphinx.util.nodes import LITERAL_TYPE_NODES, extract_messages
from sphinx.writers.html5 import HTML5Translator

VERSION = re.compile(r"^\d+\.\d+(\.\d+)?$")
MEDIA_TYPES = {"EPUB": "application/epub+zip", "PDF": "application/pdf"}
# Every label below is a message of the edition's interface catalog,
# docs/_theme_locales/<code>/LC_MESSAGES/sphinx.po (Sphinx's own domain, so the theme's words and
# the book's share one file). A label a catalog does not translate falls back to Sphinx's own
# catalog for the language, then to the English msgid written here.
MATRIX_LABELS = {
    "python": "Python",
    "tornado": "Tornado",
    "command": "Run only this combination",
    "note": "Notes",
    "oldest": "The oldest ({option}), run by CI every time",
    "newest": "The newest ({option}), run by CI every time",
}
MATRIX_FILE = Path(__file__).parents[1] / "matrix.toml"  # the file noxfile.py's matrix reads
EDITIONS = editions.editions()
DRAFTS = {page.as_posix() for page in editions.drafts()}
SOURCE_LANGUAGE = editions.SOURCE
# Built by Read the Docs, which serves each edition as a project of its own and links them itself
READ_THE_DOCS = os.environ.get("READTHEDOCS") == "True"
FIGURE_LABEL = re.compile(r'(\bx?label\s*=\s*")((?:[^"\\]|\\.)*)(")')
ANCHOR_LINE = re.compile(
    r"^[ \t]*(#|//|/\*|;|<!--|\{#)[ \t]*ANCHOR(_END)?: [\w-]+.*\n?", re.MULTILINE
)
# xeCJK sets the Han characters of every edition (English listings show a few). The middle dot
# stays Latin, so "现代注释 · Tornado 6.0" keeps its spaces; in Chinese xeCJK also sets quotes,
# dashes and ellipses full width, elsewhere they stay Latin too.
LATEX_CJK = r"""\usepackage{fontspec}
\defaultfontfeatures[\rmfamily,\sffamily,\ttfamily]{}
\usepackage{xeCJK}
\xeCJKDeclareCharClass{Default}{"00B7}"""
LATEX_LATIN_PUNCTUATION = (
    r'\xeCJKDeclareCharClass{Default}{"2013, "2014, "2018, "2019, "201C, "201D, "2026}'
)


class ModernNote(SphinxDirective):
    required_arguments = 1
    has_content = True

    def run(self):
        version = self.arguments[0]
        if not VERSION.match(version):
            raise self.error(f"modern: expected a Tornado version such as 6.0, got {version!r}")
        node = nodes.admonition(classes=["modern"])
        title = nodes.title(text=f"{_('Modern note')} · Tornado {version}")
        title["translatable"] = False  # made here in the edition's language: not a message
        node += title
        self.set_source_info(node)
        self.state.nested_parse(self.content, self.content_offset, node)
        return [node]


# Messages a translator would only copy (docs/locales/<code>/*.po never has them): a file name,
# a number or size, code alone, punctuation alone. Every edition shows them as the source does.
COPY_THROUGH = re.compile(
    r"[A-Za-z0-9_.@/-]+/[A-Za-z0-9_.@-]+"  # a file name with its folder (literalinclude captions)
    r"|\d[\d,.\s–-]*(?:\s?[KMGT]iB)?"  # 10,002 · 289–295 MiB
    r"|(?:`[^`]+`[\s,/]*)+"  # `IOLoop.instance()`
    r"|\W+"  # —
)


class CopyThrough(SphinxTransform):
    """Mark messages that need no translation untranslatable, before they are extracted into the
    catalogs (the gettext builder) or looked up in them (Sphinx's Locale transform, priority 20)."""

    default_priority = 15

    def apply(self, **kwargs):
        for node in self.document.findall(nodes.TextElement):
            if COPY_THROUGH.fullmatch(node.rawsource.strip()):
                node["translatable"] = False


class SourceLanguageFallback(SphinxTransform):
    """On a page of a translation, mark what its catalog does not translate (a paragraph, a
    title, a list item's text shown in the original) as written in the source language, so
    browsers and screen readers treat it as Chinese, not as the edition's language.

    Sphinx's Locale transform (priority 20) sets node["translated"] on each message it looks up
    (a page without a catalog gets none); docutils' HTML writer turns a class `language-X` into
    lang="X" (xml:lang in the EPUB's XHTML) and writes no class for it. Text in ASCII alone (an
    English status line such as "200 OK") is left in the edition's language."""

    default_priority = 21

    def apply(self, **kwargs):
        from sphinx.builders.gettext import MessageCatalogBuilder

        if self.config.language == SOURCE_LANGUAGE or issubclass(
            self.env._builder_cls, MessageCatalogBuilder
        ):
            return
        source = f"language-{html_lang(SOURCE_LANGUAGE)}"
        for node, _message in extract_messages(self.document):
            if (
                isinstance(node, nodes.TextElement)
                and not isinstance(node, LITERAL_TYPE_NODES)
                and not node.get("translated")
                and not node.astext().isascii()  # "200 OK", a command: no Chinese to read
                and source not in node["classes"]
            ):
                node["classes"].append(source)


def interface_catalog_dependency(app, doctree):
    """Every page depends on the edition's interface catalog (its .po and the .mo Sphinx compiles
    from it): a changed label rewrites every page, also under `nox -s serve`."""
    po = editions.interface_catalog(app.config.language, app.srcdir)
    for path in (po, po.with_suffix(".mo")):
        if path.is_file():  # a missing dependency would make every page outdated at every build
            app.env.note_dependency(str(path))


class VersionMatrix(SphinxDirective):
    """One row per Python × Tornado combination of docs/matrix.toml, oldest first."""

    def run(self):
        self.env.note_dependency(str(MATRIX_FILE))
        matrix = tomllib.loads(MATRIX_FILE.read_text("utf-8"))["matrix"]
        text = {key: str(_(msgid)) for key, msgid in MATRIX_LABELS.items()}
        combinations = [(p, t) for p in matrix["python"] for t in matrix["tornado"]]
        notes = {
            combinations[0]: with_option(text["oldest"], "--oldest"),
            combinations[-1]: with_option(text["newest"], "--newest"),
        }
        rows = [
            [
                [nodes.Text(python)],
                [nodes.Text(tornado)],
                [nodes.literal(text=f"nox -s matrix -- --python {python} --tornado {tornado}")],
                notes.get((python, tornado), []),
            ]
            for python, tornado in combinations
        ]
        header = [[nodes.Text(text[key])] for key in ("python", "tornado", "command", "note")]
        table = nodes.table(classes=["version-matrix"])
        group = nodes.tgroup(cols=len(header))
        table += group
        for width in (10, 10, 55, 25):
            group += nodes.colspec(colwidth=width)
        group += nodes.thead("", table_row(header))
        group += nodes.tbody("", *(table_row(cells) for cells in rows))
        self.set_source_info(table)
        return [table]


def with_option(template, option):
    """Text nodes for `template` with the command-line `option` set as code where {option} is."""
    before, after = template.split("{option}")
    return [nodes.Text(before), nodes.literal(text=option), nodes.Text(after)]


def table_row(cells):
    row = nodes.row()
    for cell in cells:
        row += nodes.entry("", nodes.paragraph("", "", *cell))
    return row


class BookLiteralInclude(LiteralInclude):
    def run(self):
        result = super().run()
        for block in result:
            for literal in block.findall(nodes.literal_block):
                text = ANCHOR_LINE.sub("", literal.astext())
                literal.rawsource = text
                literal.children = [nodes.Text(text)]
        return result


def html_lang(code):
    return code.replace("_", "-")


def first_paragraph(doctree, limit=150):
    for paragraph in doctree.findall(nodes.paragraph):
        if not any(isinstance(a, nodes.Admonition) for a in _ancestors(paragraph)):
            text = " ".join(paragraph.astext().split())
            return text if len(text) <= limit else text[: limit - 1] + "…"
    return ""


def _ancestors(node):
    while node.parent is not None:
        node = node.parent
        yield node


def add_meta(app, pagename, templatename, context, doctree):
    """A description and Open Graph tags, so a shared link shows the page's title and summary."""
    if app.builder.name != "html":
        return
    entry = EDITIONS.get(app.config.language)
    if entry and not entry["publish"]:
        # an edition built for its translators' preview, not offered to readers: a copy that
        # reaches a web server anyway is kept out of search engines
        context["metatags"] = (
            context.get("metatags", "") + '<meta name="robots" content="noindex" />\n'
        )
    if doctree is None:
        # genindex, search and the 404 page have no source: their description is their title
        # and the book's, both in the edition's language (Lighthouse's SEO audit wants one).
        titles = {"genindex": _("Index"), "search": _("Search")}  # Sphinx's own messages
        title = titles.get(pagename) or context.get("title", "")
        description = f"{title} · {app.config.project}".strip(" ·")
        context["metatags"] = (
            context.get("metatags", "")
            + f'<meta name="description" content="{html.escape(description)}" />\n'
        )
        return
    title = next((t.astext() for t in doctree.findall(nodes.title)), app.config.project)
    description = first_paragraph(doctree)
    tags = {
        "description": description,
        "og:title": title,
        "og:description": description,
        "og:type": "book" if pagename == app.config.root_doc else "article",
        "og:site_name": app.config.project,
        "og:locale": app.config.language,
    }
    if app.config.html_baseurl:
        tags["og:url"] = (
            f"{app.config.html_baseurl.rstrip('/')}/{app.config.language}/{pagename}.html"
        )
    lines = []
    for key, value in tags.items():
        attribute = "property" if key.startswith("og:") else "name"
        lines.append(f'<meta {attribute}="{key}" content="{html.escape(value)}" />')
    context["metatags"] = context.get("metatags", "") + "\n".join(lines) + "\n"


def edition_url(app, code, pagename):
    """The address of a page of an edition: absolute under html_baseurl (the site's root, which
    holds every edition's folder), else relative to the page being written."""
    if app.config.html_baseurl:
        return f"{app.config.html_baseurl.rstrip('/')}/{code}/{pagename}.html"
    return f"{'../' * (pagename.count('/') + 1)}{code}/{pagename}.html"


def alternates(app, pagename):
    """(hreflang, href) of the page in every offered edition, then x-default (see below)."""
    links = [(html_lang(code), edition_url(app, code, pagename)) for code in editions.offered()]
    if pagename == app.config.root_doc:
        root = f"{app.config.html_baseurl.rstrip('/')}/" if app.config.html_baseurl else None
        links.append(("x-default", root or "../" * (pagename.count("/") + 1)))
    else:
        links.append(("x-default", edition_url(app, SOURCE_LANGUAGE, pagename)))
    return links


def add_alternates(app, pagename, templatename, context, doctree):
    """<link rel="alternate" hreflang> to the page in every offered edition, and x-default: for
    the front page the site's root (a page listing the editions, which picks one from the
    browser's languages), for every other page the source edition's, which is what the root
    gives a reader whose languages match no edition and the page every translation comes from.
    With html_baseurl, rel="canonical" names the page in its own edition's folder (Sphinx's
    would leave the folder out: the base URL is the site's, not the edition's)."""
    if app.builder.name != "html":
        return
    if pagename not in app.env.found_docs:  # the 404 page: no address of its own
        context["pageurl"] = None
        return
    if READ_THE_DOCS:
        # Read the Docs serves each edition as a project of its own, /<language>/<version>/:
        # its own menu links the translations, and it gives the page's canonical address.
        canonical = os.environ.get("READTHEDOCS_CANONICAL_URL", "")
        context["pageurl"] = f"{canonical}{pagename}.html" if canonical else None
        return
    if not app.config.html_baseurl:
        return  # hreflang links must be absolute URLs (search engines, Lighthouse ignore others)
    lines = [
        f'<link rel="alternate" hreflang="{tag}" href="{html.escape(href)}" />'
        for tag, href in alternates(app, pagename)
    ]
    context["metatags"] = context.get("metatags", "") + "\n".join(lines) + "\n"
    if app.config.html_baseurl:
        context["pageurl"] = edition_url(app, app.config.language, pagename)


class BookHTMLTranslator(HTML5Translator):
    """Sphinx's HTML writer, made accessible where axe and Lighthouse found it was not.

    An `aria-level` on a toctree's caption (the sidebar's section
    names and the contents on the front page). Sphinx writes `<p class="caption" role="heading">`:
    a heading role without a level is invalid ARIA (axe and Lighthouse's aria-required-attr), so
    screen readers do not list it. Level 2: the captions head parts of the book under the
    page's title."""

    def visit_title(self, node):
        start = len(self.body)
        super().visit_title(node)
        if isinstance(node.parent, addnodes.compact_paragraph) and node.parent.get("toctree"):
            self.body[start] = self.body[start].replace(
                'role="heading"', 'role="heading" aria-level="2"'
            )

    def visit_literal_block(self, node):
        """A listing gets `tabindex="0"`: one wider than the text scrolls sideways, and a reader
        without a mouse can scroll it only once it can take the focus (axe's
        scrollable-region-focusable)."""
        start = len(self.body)
        try:
            super().visit_literal_block(node)
        finally:
            for index in range(start, len(self.body)):
                if "<pre>" in self.body[index]:
                    self.body[index] = self.body[index].replace("<pre>", '<pre tabindex="0">', 1)
                    break


def html_visit_container(self, node):
    """MyST's container <div>; furo's wrapper of a table scrolls sideways like a listing (see
    BookHTMLTranslator.visit_literal_block), so it takes the focus too. A node handler, not a
    translator method: MyST registers one for containers, which would win over a method."""
    myst_docutils.visit_container_html(self, node)
    if "table-wrapper" in node["classes"]:
        self.body[-1] = self.body[-1].replace("<div ", '<div tabindex="0" ', 1)


def edit_url(app, pagename):
    """Where to change this page: the Chinese source, or this edition's catalog."""
    config = app.config
    if not config.book_repository or pagename not in app.env.found_docs:
        return ""
    base = f"{config.book_repository.rstrip('/')}/edit/main/docs"
    if config.language == SOURCE_LANGUAGE:
        return f"{base}/{pagename}.md"
    return f"{base}/locales/{config.language}/LC_MESSAGES/{pagename}.po"


def write_sitemap(app, exception):
    """sitemap.xml of this edition, with the page's alternates (as on the page: every offered
    edition and x-default). `editions.py redirect` gathers every edition's into the site's."""
    base = app.config.html_baseurl.rstrip("/")
    if exception or not base or app.builder.format != "html":
        return
    entries = []
    for page in sorted(app.env.found_docs):
        links = "".join(
            f'<xhtml:link rel="alternate" hreflang="{tag}" href="{href}"/>'
            for tag, href in alternates(app, page)
        )
        entries.append(f"<url><loc>{base}/{app.config.language}/{page}.html</loc>{links}</url>")
    Path(app.outdir, "sitemap.xml").write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'
        ' xmlns:xhtml="http://www.w3.org/1999/xhtml">\n' + "\n".join(entries) + "\n</urlset>\n",
        encoding="utf-8",
    )


def site_root(config):
    """The path of the site's root, which holds every edition's folder: "/", or under a base
    URL with a path (a GitHub project site, https://owner.github.io/repo/) "/repo/"."""
    path = urllib.parse.urlsplit(config.html_baseurl).path.strip("/")
    return f"/{path}/" if path else "/"


def add_editions(app, pagename, templatename, context, doctree):
    """Links to the same page in every offered edition (each built into docs/_build/html/<code>/),
    and the edition being built even when it is not offered yet, so its preview shows it."""
    up = "../" * (pagename.count("/") + 1)
    language = app.config.language
    target = pagename
    if pagename not in app.env.found_docs:
        # The 404 page is sent for any missing path, at any depth: absolute links, to each
        # edition's front page
        up, target = site_root(app.config), app.config.root_doc
    context["book_switcher_label"] = str(_("Language"))
    context["book_remember_choice"] = editions.REMEMBER
    if language == SOURCE_LANGUAGE:
        context["book_edit_label"] = str(_("Edit this page"))
    else:
        context["book_edit_label"] = str(_("Improve this translation"))
    context["book_edit_url"] = edit_url(app, pagename)
    context["book_editions"] = [
        {
            "name": entry["name"],
            "code": code,
            "html_lang": html_lang(code),
            "href": f"{up}{code}/{target}.html",
            "current": code == language,
        }
        for code, entry in EDITIONS.items()
        if (entry["publish"] and not READ_THE_DOCS) or code == language
    ]


def in_progress_banner(language):
    """The notice on every page of an edition in progress: how much is translated, and what the
    reader sees where it is not; for an edition converted by a tool (`convert`), complete from
    the start, how many of its pages a reviewer has read."""
    if EDITIONS[language].get("convert"):
        total = len(editions.catalogs(language))
        text = _(
            "This edition was converted automatically from Simplified Chinese;"
            " {reviewed} of {total} pages reviewed."
        )
        return str(text).format(reviewed=total - len(editions.unreviewed(language)), total=total)
    text = _(
        "This edition is a translation in progress: {percent}% is translated. Paragraphs not"
        " translated yet are shown in the original Chinese."
    )
    return str(text).format(percent=editions.percent_shown(*editions.completion(language)))


def apply_language(app, config):
    """Title, copyright, search language, EPUB and PDF settings of the edition being built, and
    which of its books (EPUB, PDF) have been built for the website to offer. Every text comes
    from the edition's interface catalog; the rest from its docs/editions.toml entry."""
    entry = EDITIONS.get(config.language)
    if entry is None:
        raise ExtensionError(
            f"{config.language} is not in docs/editions.toml: add [editions.{config.language}]"
        )
    config.project = str(_(editions.TITLE))
    config.author = str(_("the authors of Getting Started with Tornado"))
    config.copyright = str(_("2026, the book's authors. Text under CC BY-SA 4.0, code under MIT"))
    config.html_search_language = entry["search"]
    config.notfound_context = {
        "title": str(_("Page not found")),
        "body": "<h1>{}</h1><p>{}</p>".format(
            html.escape(str(_("Page not found"))),
            html.escape(
                str(
                    _(
                        "Nothing lives at this address. Use the table of contents or the search"
                        " box to find the chapter you want."
                    )
                )
            ),
        ),
    }
    if entry["status"] == "in-progress":
        text = html.escape(in_progress_banner(config.language))
        banner = f'<span class="book-in-progress">{text}</span>'
        config.html_theme_options = {**config.html_theme_options, "announcement": banner}
    config.html_title = config.project
    # the 404 page is served for any missing path, so its links are absolute: under the path of
    # the site's base URL (a GitHub project site is https://owner.github.io/repo/)
    config.notfound_urls_prefix = f"{site_root(config)}{config.language}/"
    config.epub_title = config.project
    config.epub_author = config.author
    config.epub_publisher = config.author
    config.epub_copyright = config.copyright
    config.epub_language = html_lang(config.language)
    config.epub_basename = f"tornado-book-{config.language}"
    config.epub_uid = config.epub_identifier = f"tornado-book-{html_lang(config.language)}"
    apply_latex_language(config)
    config.book_downloads_found = [
        (kind, pattern.format(language=config.language))
        for kind, pattern in config.book_downloads.items()
        if Path(app.confdir, pattern.format(language=config.language)).is_file()
    ]


def apply_latex_language(config):
    """The PDF's file name (like the EPUB's), title page, and script set-up for this edition."""
    engine = config.latex_engine
    config.latex_documents = [
        (
            config.root_doc,
            f"tornado-book-{config.language}.tex",
            texescape.escape_abbr(texescape.escape(config.project, engine)),
            texescape.escape_abbr(texescape.escape(config.author, engine)),
            "manual",
        )
    ]
    fontenc = LATEX_CJK
    if not EDITIONS[config.language]["cjk"]:
        fontenc += "\n" + LATEX_LATIN_PUNCTUATION
    elements = {"fontenc": fontenc, **config.latex_elements}
    fonts = EDITIONS[config.language]["cjk_fonts"]  # Noto CJK TC for zh_TW, SC by default
    if "fontpkg" in elements:
        elements["fontpkg"] = elements["fontpkg"].replace("CJK SC}", f"CJK {fonts}}}")
    config.latex_elements = elements


class SvgToPdf(ImageConverter):
    """LaTeX cannot include SVG: rsvg-convert (Debian: librsvg2-bin) redraws it as a vector PDF.
    Only builders without SVG support use this; the website keeps the SVG."""

    conversion_rules = [("image/svg+xml", "application/pdf")]

    def is_available(self):
        return shutil.which("rsvg-convert") is not None

    def convert(self, _from, _to):
        command = ["rsvg-convert", "--format=pdf", f"--output={_to}", str(_from)]
        result = subprocess.run(command, capture_output=True, text=True)
        if result.returncode:
            raise ExtensionError(f"rsvg-convert could not convert {_from}: {result.stderr}")
        return True


def figure_labels(code):
    """The labels of a figure's dot code that are prose to translate, in order, each once."""
    found = (m.group(2) for m in FIGURE_LABEL.finditer(code))
    return list(dict.fromkeys(text for text in found if not text.isascii()))


class figure_graph(sphinx_graphviz.graphviz, addnodes.translatable):
    """A Graphviz figure whose alt text and labels are messages of the page's catalog."""

    def preserve_original_messages(self):
        self.setdefault("original_code", self["code"])
        self.setdefault("original_alt", self.get("alt", ""))
        self.setdefault("translations", {})

    def extract_original_messages(self):
        messages = [self.get("original_alt", self.get("alt", ""))]
        messages += figure_labels(self.get("original_code", self["code"]))
        return [m for m in messages if m]

    def apply_translated_message(self, original_message, translated_message):
        self.preserve_original_messages()
        if original_message == self["original_alt"]:
            self["alt"] = translated_message
        self["translations"][original_message] = translated_message

        def translate(match):
            text = self["translations"].get(match.group(2), match.group(2))
            return match.group(1) + text + match.group(3)

        self["code"] = FIGURE_LABEL.sub(translate, self["original_code"])


class BookGraphviz(sphinx_graphviz.Graphviz):
    """`graphviz` with a file, alt text and caption required, drawn as a translatable figure."""

    def run(self):
        missing = [o for o in ("alt", "caption") if o not in self.options]
        if not self.arguments or missing:
            problem = ", ".join(f":{o}:" for o in missing) if self.arguments else "a file"
            return [self.reporter.warning(f"a book figure needs {problem}", line=self.lineno)]
        result = super().run()
        for node in result[0].findall(sphinx_graphviz.graphviz):
            graph = figure_graph(node.rawsource, *node.children, **node.attributes)
            self.set_source_info(graph)
            node.replace_self(graph)
        return result


# An <img> does not inherit the page's fonts: a reader without Noto Sans CJK SC gets the next of
# these, and at worst the system's sans-serif, never the browser's default serif.
SVG_FONTS = "'Noto Sans CJK SC', 'Noto Sans SC', 'PingFang SC', 'Microsoft YaHei', sans-serif"


def svg_for_img(svg):
    """dot's SVG made fit for an <img>: the fallback fonts, and no DOCTYPE.

    dot declares the SVG 1.1 DTD, whose external entities EPUB 3 forbids (epubcheck HTM-003).
    """
    svg = re.sub(r"<!DOCTYPE svg[^>]*>\n?", "", svg)
    return re.sub(r'font-family="Noto Sans CJK SC"', f'font-family="{SVG_FONTS}"', svg)


def html_visit_figure(self, node):
    """The SVG as an <img> with the alt text: read by screen readers, valid in EPUB too."""
    try:
        fname, outfn = sphinx_graphviz.render_dot(self, node["code"], node["options"], "svg")
    except sphinx_graphviz.GraphvizError as exc:
        raise ExtensionError(f"Graphviz could not draw {node.get('filename')}: {exc}") from exc
    Path(outfn).write_text(svg_for_img(Path(outfn).read_text("utf-8")), "utf-8")
    alt = html.escape(node["alt"], quote=True)
    self.body.append(f'<div class="graphviz"><img src="{fname}" alt="{alt}" class="graphviz" />'
                     "</div>\n")  # fmt: skip
    raise nodes.SkipNode


NOT_DRAWN = "(This figure was not drawn: Graphviz was not installed when the book was built.)"


def figures_without_dot(app, doctree, docname):
    """Without Graphviz's dot, each figure becomes its alt text and a note (said once)."""
    if shutil.which(app.config.graphviz_dot):
        return
    graphs = list(doctree.findall(figure_graph))
    if graphs and not getattr(app, "book_said_no_dot", False):
        app.book_said_no_dot = True
        logging.getLogger(__name__).info(
            "Graphviz's dot is not installed: figures are shown as their alt text "
            "(Debian: apt-get install graphviz)"
        )
    for graph in graphs:
        note = f"{graph['alt']} {_(NOT_DRAWN)}"
        graph.replace_self(nodes.paragraph(note, note, classes=["figure-not-drawn"]))


def add_downloads(app, pagename, templatename, context, doctree):
    """Sidebar links to this edition's EPUB and PDF, for those copied into the site's downloads/."""
    context["book_download_label"] = str(_("Download"))
    context["book_downloads"] = [
        {"kind": kind, "file": f"downloads/{Path(path).name}", "type": MEDIA_TYPES.get(kind, "")}
        for kind, path in app.config.book_downloads_found
    ]


def copy_downloads(app, exception):
    """Put the books that add_downloads links to into the site (the HTML builders only)."""
    if exception or app.builder.name not in {"html", "dirhtml"}:
        return
    folder = Path(app.outdir, "downloads")
    shutil.rmtree(folder, ignore_errors=True)
    for _kind, path in app.config.book_downloads_found:
        folder.mkdir(exist_ok=True)
        shutil.copy2(Path(app.confdir, path), folder)


def mark_drafts(app, doctree, docname):
    """Open every draft chapter with a notice that it is unfinished, and every page of a
    converted edition (docs/editions.toml's `convert`) that no reviewer has read with a notice
    that it is a machine conversion."""
    # The LaTeX builder resolves the whole book at once, each page in a start_of_file node.
    pages = [(docname, doctree)]
    pages += [(node["docname"], node) for node in doctree.findall(addnodes.start_of_file)]
    unreviewed = editions.unreviewed(app.config.language)
    for page, tree in pages:
        section = next(tree.findall(nodes.section), None)
        if section is None:
            continue
        if page in unreviewed:
            section.insert(1, unreviewed_notice())
        if page in DRAFTS:
            section.insert(1, draft_notice(app))


def mark_partial_book(app, doctree, docname):
    """An EPUB or PDF of an edition in progress opens with the website's banner: it has no
    announcement bar, and a reader would otherwise get a book mostly in Chinese unwarned."""
    entry = EDITIONS.get(app.config.language)
    if not entry or entry["status"] != "in-progress" or docname != app.config.root_doc:
        return
    if app.builder.format != "latex" and app.builder.name != "epub":
        return
    section = next(doctree.findall(nodes.section), None)
    if section is not None:
        notice = nodes.note(classes=["in-progress"])
        notice += nodes.paragraph(text=in_progress_banner(app.config.language))
        section.insert(1, notice)


def unreviewed_notice():
    notice = nodes.note(classes=["unreviewed"])
    notice += nodes.paragraph(
        text=_(
            "This page was converted automatically from the Simplified Chinese and has not been"
            " reviewed yet; corrections are welcome."
        )
    )
    return notice


def page_completion(code, page):
    """The percentage of a page's messages translated (not fuzzy) in an edition, rounded down."""
    from babel.messages.pofile import read_po

    po = Path(editions.DOCS, "locales", code, "LC_MESSAGES", f"{page}.po")
    if not po.is_file():
        return 0
    with po.open("rb") as f:
        messages = [m for m in read_po(f) if m.id]
    done = sum(1 for m in messages if m.string and not m.fuzzy)
    return 100 * done // len(messages) if messages else 100


class EditionProgress(SphinxDirective):
    """The progress page's table: each page of the book, each edition's completion, computed
    from the catalogs when the page is built, and whether a converted page has been reviewed."""

    def run(self):
        codes = editions.translations()
        pages = [doc for doc in self.env.found_docs if doc not in {"404"}]
        order = {doc: i for i, doc in enumerate(["index", "preface"])}
        pages.sort(key=lambda doc: (order.get(doc, 2), doc))
        for code in codes:
            for po in editions.catalogs(code):
                self.env.note_dependency(str(po))
        self.env.note_dependency(str(Path(editions.DOCS, "editions.toml")))
        header = [str(_("Page"))] + [EDITIONS[code]["name"] for code in codes]
        table = nodes.table(classes=["edition-progress"])
        group = nodes.tgroup(cols=len(header))
        table += group
        group.extend(nodes.colspec(colwidth=1) for _cell in header)
        head, body = nodes.thead(), nodes.tbody()
        group += [head, body]
        head += table_row([[nodes.Text(text)] for text in header])
        unreviewed = {code: editions.unreviewed(code) for code in codes}
        for page in pages:
            link = addnodes.pending_xref(
                "", refdomain="std", reftype="doc", reftarget=f"/{page}", refexplicit=False
            )
            link += nodes.inline(text=page)
            cells = [[link]]
            for code in codes:
                text = f"{page_completion(code, page)}%"
                if page in unreviewed[code]:
                    text = str(_("{completion} (converted, not reviewed)")).format(
                        completion=text
                    )  # the catalog gives the parentheses: full width in Chinese
                cells.append([nodes.Text(text)])
            body += table_row(cells)
        return [table]


def draft_notice(app):
    if app.builder.format == "latex":  # Latin Modern has no ⚠; LaTeX names a warning itself
        notice = nodes.warning(classes=["draft"])
    else:
        notice = nodes.admonition(classes=["draft", "warning"])
        notice += nodes.title(text="⚠")
    notice += nodes.paragraph(
        text=_("This chapter is still being written; parts of it may not be translated yet.")
    )
    return notice


def ctrl_c_role(name, rawtext, text, lineno, inliner, options=None, content=None):
    """{ctrl-c}`WHAT`: the reader presses Ctrl+C where WHAT runs (a port, or a word of the
    command that started it). The page shows the key; tests/transcript.py's page replay stops
    that program there, so the next block finds the port free, as the reader does."""
    return [nodes.literal(rawtext, "Ctrl+C", classes=["kbd"])], []


def setup(app):
    app.setup_extension("sphinx.ext.graphviz")
    app.add_directive("graphviz", BookGraphviz, override=True)
    app.add_node(
        figure_graph,
        html=(html_visit_figure, None),
        latex=(sphinx_graphviz.latex_visit_graphviz, None),
        text=(sphinx_graphviz.text_visit_graphviz, None),
        man=(sphinx_graphviz.man_visit_graphviz, None),
        texinfo=(sphinx_graphviz.texinfo_visit_graphviz, None),
    )
    app.connect("doctree-resolved", figures_without_dot)
    app.add_role("ctrl-c", ctrl_c_role)
    app.connect("doctree-resolved", mark_drafts)
    app.connect("doctree-resolved", mark_partial_book)
    app.add_config_value("book_repository", "", "html")
    app.add_config_value("book_downloads", {}, "html")
    app.add_config_value("book_downloads_found", [], "html")  # set by apply_language
    app.add_post_transform(SvgToPdf)
    app.connect("build-finished", copy_downloads)
    app.connect("html-page-context", add_downloads)
    app.connect("build-finished", write_sitemap)
    app.connect("config-inited", apply_language)
    app.connect("html-page-context", add_editions)
    app.connect("html-page-context", add_meta)
    app.connect("html-page-context", add_alternates)

    app.set_translator("html", BookHTMLTranslator)
    app.add_node(
        nodes.container,
        override=True,
        html=(html_visit_container, myst_docutils.depart_container_html),
    )
    app.add_directive("modern", ModernNote)
    app.add_transform(CopyThrough)
    app.add_transform(SourceLanguageFallback)
    app.connect("doctree-read", interface_catalog_dependency)
    app.add_directive("edition-progress", EditionProgress)
    app.add_directive("version-matrix", VersionMatrix)
    app.add_directive("literalinclude", BookLiteralInclude, override=True)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
