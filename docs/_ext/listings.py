"""Listings and terminal sessions: anchor-free literalincludes and the {ctrl-c} role.

literalinclude drops `ANCHOR: name` / `ANCHOR_END: name` marker lines (any comment syntax), so a
listing can be excerpted with :start-after:/:end-before: and shown whole without the markers.

Listings are left out of the search index (Sphinx's `no-search` class): what a reader looks up
is named in the prose, where an API is written as inline code, while the listings and terminal
output added thousands of terms nobody searches for (hex digests, percent-escapes, ports, local
names). The search page loads the whole index, and every page must stay within 100 KiB
compressed (tests/browser/test_page_weight.py): chapters 10 and 11 had taken the Chinese
editions' search page over it.
"""

import re

from docutils import nodes
from sphinx.directives.code import LiteralInclude

ANCHOR_LINE = re.compile(
    r"^[ \t]*(#|//|/\*|;|<!--|\{#)[ \t]*ANCHOR(_END)?: [\w-]+.*\n?", re.MULTILINE
)


class BookLiteralInclude(LiteralInclude):
    def run(self):
        result = super().run()
        for block in result:
            for literal in block.findall(nodes.literal_block):
                text = ANCHOR_LINE.sub("", literal.astext())
                literal.rawsource = text
                literal.children = [nodes.Text(text)]
                literal["classes"].append("no-search")
        return result


def ctrl_c_role(name, rawtext, text, lineno, inliner, options=None, content=None):
    """{ctrl-c}`WHAT`: the reader presses Ctrl+C where WHAT runs (a port, or a word of the
    command that started it). The page shows the key; tests/transcript.py's page replay stops
    that program there, so the next block finds the port free, as the reader does."""
    return [nodes.literal(rawtext, "Ctrl+C", classes=["kbd"])], []


def setup(app):
    app.add_directive("literalinclude", BookLiteralInclude, override=True)
    app.add_role("ctrl-c", ctrl_c_role)
    # env_version: a change to what this extension puts in the doctrees re-reads every page
    return {"env_version": 1, "parallel_read_safe": True, "parallel_write_safe": True}
