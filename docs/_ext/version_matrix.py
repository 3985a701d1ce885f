"""Appendix B's table of the Python and Tornado versions that `nox -s matrix` tests.

``` {version-matrix}
```
renders one row per combination of docs/matrix.toml, read through bookconfig like the noxfile
reads it, so the table cannot drift from the session.
"""

import bookconfig
from docutils import nodes
from sphinx.locale import _
from sphinx.util.docutils import SphinxDirective
from tables import table_row

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


class VersionMatrix(SphinxDirective):
    """One row per Python × Tornado combination of docs/matrix.toml, oldest first."""

    def run(self):
        self.env.note_dependency(str(bookconfig.DOCS / bookconfig.MATRIX_FILE))
        matrix = bookconfig.matrix()
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


def setup(app):
    app.add_directive("version-matrix", VersionMatrix)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
