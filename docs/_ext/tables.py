"""Docutils tables for the book's directives (version_matrix.py, edition_progress.py)."""

from docutils import nodes


def table_row(cells):
    row = nodes.row()
    for cell in cells:
        row += nodes.entry("", nodes.paragraph("", "", *cell))
    return row
