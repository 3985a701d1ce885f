"""Sphinx extension for the book: the 现代注释 admonition and anchor-free literalincludes.

``` {modern} 6.0
Body text.
```
renders an admonition titled "现代注释 · Tornado 6.0" (in the English edition "Modern note ·
Tornado 6.0"). The argument is the Tornado version in which the change happened, and is required.

literalinclude drops `ANCHOR: name` / `ANCHOR_END: name` marker lines (any comment syntax), so a
listing can be excerpted with :start-after:/:end-before: and shown whole without the markers.
"""

import re

from docutils import nodes
from sphinx.directives.code import LiteralInclude
from sphinx.util.docutils import SphinxDirective

VERSION = re.compile(r"^\d+\.\d+(\.\d+)?$")
LABELS = {"zh_CN": "现代注释", "en": "Modern note"}
ANCHOR_LINE = re.compile(r"^[ \t]*(#|//|<!--|\{#)[ \t]*ANCHOR(_END)?: [\w-]+.*\n?", re.MULTILINE)


class ModernNote(SphinxDirective):
    required_arguments = 1
    has_content = True

    def run(self):
        version = self.arguments[0]
        if not VERSION.match(version):
            raise self.error(f"modern: expected a Tornado version such as 6.0, got {version!r}")
        language = self.config.language or "en"
        label = LABELS.get(language, LABELS.get(language.split("_")[0], LABELS["en"]))
        node = nodes.admonition(classes=["modern"])
        node += nodes.title(text=f"{label} · Tornado {version}")
        self.set_source_info(node)
        self.state.nested_parse(self.content, self.content_offset, node)
        return [node]


class BookLiteralInclude(LiteralInclude):
    def run(self):
        result = super().run()
        for block in result:
            for literal in block.findall(nodes.literal_block):
                text = ANCHOR_LINE.sub("", literal.astext())
                literal.rawsource = text
                literal.children = [nodes.Text(text)]
        return result


def setup(app):
    app.add_directive("modern", ModernNote)
    app.add_directive("literalinclude", BookLiteralInclude, override=True)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
