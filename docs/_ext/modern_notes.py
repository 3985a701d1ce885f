"""The 现代注释 admonition: what changed in Tornado since the book's programs were first written.

``` {modern} 6.0
Body text.
```
renders an admonition titled "现代注释 · Tornado 6.0" (in the English edition "Modern note ·
Tornado 6.0"). The argument is the Tornado version in which the change happened, and is required.
"""

import re

from docutils import nodes
from sphinx.locale import _
from sphinx.util.docutils import SphinxDirective

VERSION = re.compile(r"^\d+\.\d+(\.\d+)?$")


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


def setup(app):
    app.add_directive("modern", ModernNote)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
