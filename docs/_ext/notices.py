"""Notices at the top of a page: a draft chapter, a page converted by a tool and not reviewed, and
the book (EPUB, PDF) of an edition in progress."""

import bookconfig
from docutils import nodes
from edition_settings import in_progress_banner
from sphinx import addnodes
from sphinx.locale import _

EDITIONS = bookconfig.editions()
DRAFTS = {page.as_posix() for page in bookconfig.drafts()}


def mark_drafts(app, doctree, docname):
    """Open every draft chapter with a notice that it is unfinished, and every page of a
    converted edition (docs/editions.toml's `convert`) that no reviewer has read with a notice
    that it is a machine conversion."""
    # The LaTeX builder resolves the whole book at once, each page in a start_of_file node.
    pages = [(docname, doctree)]
    pages += [(node["docname"], node) for node in doctree.findall(addnodes.start_of_file)]
    unreviewed = bookconfig.unreviewed(app.config.language)
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


def draft_notice(app):
    if app.builder.format == "latex":  # Latin Modern has no ⚠; LaTeX names a warning itself
        notice = nodes.warning(classes=["draft"])
    else:
        notice = nodes.admonition(classes=["draft", "warning"])
        notice += nodes.title(text="⚠")
    notice += nodes.paragraph(
        text=_("This page is still being written; parts of it may not be translated yet.")
    )
    return notice


def setup(app):
    app.connect("doctree-resolved", mark_drafts)
    app.connect("doctree-resolved", mark_partial_book)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
