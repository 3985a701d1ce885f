"""The progress page's table ({edition-progress}): each page's completion in every edition."""

from pathlib import Path

import bookconfig
from docutils import nodes
from sphinx import addnodes
from sphinx.locale import _
from sphinx.util.docutils import SphinxDirective
from tables import table_row

EDITIONS = bookconfig.editions()


def page_completion(code, page):
    """The percentage of a page's messages translated (not fuzzy) in an edition, rounded down."""
    from babel.messages.pofile import read_po

    po = Path(bookconfig.DOCS, "locales", code, "LC_MESSAGES", f"{page}.po")
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
        codes = bookconfig.translations()
        pages = [doc for doc in self.env.found_docs if doc not in {"404"}]
        order = {doc: i for i, doc in enumerate(["index", "preface"])}
        pages.sort(key=lambda doc: (order.get(doc, 2), doc))
        for code in codes:
            for po in bookconfig.catalogs(code):
                self.env.note_dependency(str(po))
        self.env.note_dependency(str(bookconfig.DOCS / bookconfig.EDITIONS_FILE))
        header = [str(_("Page"))] + [EDITIONS[code]["name"] for code in codes]
        table = nodes.table(classes=["edition-progress"])
        group = nodes.tgroup(cols=len(header))
        table += group
        group.extend(nodes.colspec(colwidth=1) for _cell in header)
        head, body = nodes.thead(), nodes.tbody()
        group += [head, body]
        head += table_row([[nodes.Text(text)] for text in header])
        unreviewed = {code: bookconfig.unreviewed(code) for code in codes}
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


def setup(app):
    app.add_directive("edition-progress", EditionProgress)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
