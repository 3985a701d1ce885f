"""Each page's address in every edition: <link rel="alternate" hreflang>, rel="canonical", and
the edition's sitemap.xml (site_root.py gathers every edition's into the site's)."""

import html
import os
import urllib.parse
from pathlib import Path

import bookconfig
from bookconfig import html_lang

# Built by Read the Docs, which serves each edition as a project of its own and links them itself
READ_THE_DOCS = os.environ.get("READTHEDOCS") == "True"


def edition_url(app, code, pagename):
    """The address of a page of an edition: absolute under html_baseurl (the site's root, which
    holds every edition's folder), else relative to the page being written."""
    if app.config.html_baseurl:
        return f"{app.config.html_baseurl.rstrip('/')}/{code}/{pagename}.html"
    return f"{'../' * (pagename.count('/') + 1)}{code}/{pagename}.html"


def alternates(app, pagename):
    """(hreflang, href) of the page in every offered edition, then x-default (see below)."""
    links = [(html_lang(code), edition_url(app, code, pagename)) for code in bookconfig.offered()]
    if pagename == app.config.root_doc:
        root = f"{app.config.html_baseurl.rstrip('/')}/" if app.config.html_baseurl else None
        links.append(("x-default", root or "../" * (pagename.count("/") + 1)))
    else:
        links.append(("x-default", edition_url(app, bookconfig.SOURCE, pagename)))
    return links


def add_alternates(app, pagename, templatename, context, doctree):
    """<link rel="alternate" hreflang> to the page in every offered edition, and x-default: for
    the front page the site's root (a page listing the editions, which picks one from the
    browser's languages), for every other page the source edition's, which is what the root
    gives a reader whose languages match no edition and the page every translation comes from.
    With html_baseurl, rel="canonical" names the page in its own edition's folder (Sphinx's
    would leave the folder out: the base URL is the site's, not the edition's)."""
    if app.builder.name != "html":
        return
    if pagename not in app.env.found_docs:  # the 404 page: no address of its own
        context["pageurl"] = None
        return
    if READ_THE_DOCS:
        # Read the Docs serves each edition as a project of its own, /<language>/<version>/:
        # its own menu links the translations, and it gives the page's canonical address.
        canonical = os.environ.get("READTHEDOCS_CANONICAL_URL", "")
        context["pageurl"] = f"{canonical}{pagename}.html" if canonical else None
        return
    if not app.config.html_baseurl:
        return  # hreflang links must be absolute URLs (search engines, Lighthouse ignore others)
    lines = [
        f'<link rel="alternate" hreflang="{tag}" href="{html.escape(href)}" />'
        for tag, href in alternates(app, pagename)
    ]
    context["metatags"] = context.get("metatags", "") + "\n".join(lines) + "\n"
    if app.config.html_baseurl:
        context["pageurl"] = edition_url(app, app.config.language, pagename)


def write_sitemap(app, exception):
    """sitemap.xml of this edition, with the page's alternates (as on the page: every offered
    edition and x-default). `site_root.py redirect` gathers every edition's into the site's."""
    base = app.config.html_baseurl.rstrip("/")
    if exception or not base or app.builder.format != "html":
        return
    entries = []
    for page in sorted(app.env.found_docs):
        links = "".join(
            f'<xhtml:link rel="alternate" hreflang="{tag}" href="{href}"/>'
            for tag, href in alternates(app, page)
        )
        entries.append(f"<url><loc>{base}/{app.config.language}/{page}.html</loc>{links}</url>")
    Path(app.outdir, "sitemap.xml").write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'
        ' xmlns:xhtml="http://www.w3.org/1999/xhtml">\n' + "\n".join(entries) + "\n</urlset>\n",
        encoding="utf-8",
    )


def site_path(config):
    """The path of the site's root, which holds every edition's folder: "/", or under a base
    URL with a path (a GitHub project site, https://owner.github.io/repo/) "/repo/"."""
    path = urllib.parse.urlsplit(config.html_baseurl).path.strip("/")
    return f"/{path}/" if path else "/"


def setup(app):
    app.connect("html-page-context", add_alternates)
    app.connect("build-finished", write_sitemap)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
