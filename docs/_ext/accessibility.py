"""Sphinx's HTML, made accessible where axe and Lighthouse found it was not."""

from docutils import nodes
from myst_parser.parsers import docutils_ as myst_docutils
from sphinx import addnodes
from sphinx.writers.html5 import HTML5Translator


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


def setup(app):
    app.set_translator("html", BookHTMLTranslator)
    app.add_node(
        nodes.container,
        override=True,
        html=(html_visit_container, myst_docutils.depart_container_html),
    )
    return {"parallel_read_safe": True, "parallel_write_safe": True}
