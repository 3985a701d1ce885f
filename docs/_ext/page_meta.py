"""A description and Open Graph tags on every page, so a shared link shows its title and summary."""

import html

import bookconfig
from docutils import nodes
from sphinx.locale import _

EDITIONS = bookconfig.editions()


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


def setup(app):
    app.connect("html-page-context", add_meta)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
