""" "下载 EPUB / PDF" links in the sidebar, to the copies of the books that were built before the
HTML (see `book_downloads` in conf.py): a book not built is not linked."""

import shutil
from pathlib import Path

from sphinx.locale import _

MEDIA_TYPES = {"EPUB": "application/epub+zip", "PDF": "application/pdf"}


def add_downloads(app, pagename, templatename, context, doctree):
    """Sidebar links to this edition's EPUB and PDF, for those copied into the site's downloads/."""
    context["book_download_label"] = str(_("Download"))
    context["book_downloads"] = [
        {"kind": kind, "file": f"downloads/{Path(path).name}", "type": MEDIA_TYPES.get(kind, "")}
        for kind, path in app.config.book_downloads_found
    ]


def copy_downloads(app, exception):
    """Put the books that add_downloads links to into the site (the HTML builders only)."""
    if exception or app.builder.name not in {"html", "dirhtml"}:
        return
    folder = Path(app.outdir, "downloads")
    shutil.rmtree(folder, ignore_errors=True)
    for _kind, path in app.config.book_downloads_found:
        folder.mkdir(exist_ok=True)
        shutil.copy2(Path(app.confdir, path), folder)


def find_downloads(app, config):
    """Which of the edition's books (EPUB, PDF) have been built, for the website to offer."""
    config.book_downloads_found = [
        (kind, pattern.format(language=config.language))
        for kind, pattern in config.book_downloads.items()
        if Path(app.confdir, pattern.format(language=config.language)).is_file()
    ]


def setup(app):
    app.add_config_value("book_downloads", {}, "html")
    app.add_config_value("book_downloads_found", [], "html")  # set by find_downloads
    app.connect("config-inited", find_downloads)
    app.connect("html-page-context", add_downloads)
    app.connect("build-finished", copy_downloads)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
