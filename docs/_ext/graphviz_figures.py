"""Figures: Graphviz files in docs/figures/, shown with `sphinx.ext.graphviz`'s directive:

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
import re
import shutil
from pathlib import Path

from docutils import nodes
from sphinx import addnodes
from sphinx.errors import ExtensionError
from sphinx.ext import graphviz as sphinx_graphviz
from sphinx.locale import _
from sphinx.util import logging

FIGURE_LABEL = re.compile(r'(\bx?label\s*=\s*")((?:[^"\\]|\\.)*)(")')


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
    self.body.append(
        f'<div class="graphviz"><img src="{fname}" alt="{alt}" class="graphviz" /></div>\n'
    )
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
    return {"parallel_read_safe": True, "parallel_write_safe": True}
