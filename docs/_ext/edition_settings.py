"""The edition being built: its title, copyright, search language, 404 page, EPUB settings and
the banner of an edition in progress, from its interface catalog and its docs/editions.toml
entry (the PDF's: latex_pdf.py; the books offered for download: downloads.py)."""

import html

import bookconfig
from bookconfig import html_lang
from hreflang import site_path
from sphinx.errors import ExtensionError
from sphinx.locale import _

EDITIONS = bookconfig.editions()


def in_progress_banner(language):
    """The notice on every page of an edition in progress: how much is translated, and what the
    reader sees where it is not; for an edition converted by a tool (`convert`), complete from
    the start, how many of its pages a reviewer has read."""
    if EDITIONS[language].get("convert"):
        total = len(bookconfig.catalogs(language))
        text = _(
            "This edition was converted automatically from Simplified Chinese;"
            " {reviewed} of {total} pages reviewed."
        )
        return str(text).format(reviewed=total - len(bookconfig.unreviewed(language)), total=total)
    text = _(
        "This edition is a translation in progress: {percent}% is translated. Paragraphs not"
        " translated yet are shown in the original Chinese."
    )
    return str(text).format(percent=bookconfig.percent_shown(*bookconfig.completion(language)))


def apply_language(app, config):
    """Title, copyright, search language and EPUB settings of the edition being built. Every
    text comes from the edition's interface catalog; the rest from its docs/editions.toml entry."""
    entry = EDITIONS.get(config.language)
    if entry is None:
        raise ExtensionError(
            f"{config.language} is not in docs/editions.toml: add [editions.{config.language}]"
        )
    config.project = str(_(bookconfig.TITLE))
    config.author = str(_("the authors of Getting Started with Tornado"))
    config.copyright = str(_("2026, the book's authors. Text under CC BY-SA 4.0, code under MIT"))
    config.html_search_language = entry["search"]
    config.notfound_context = {
        "title": str(_("Page not found")),
        "body": "<h1>{}</h1><p>{}</p>".format(
            html.escape(str(_("Page not found"))),
            html.escape(
                str(
                    _(
                        "Nothing lives at this address. Use the table of contents or the search"
                        " box to find the chapter you want."
                    )
                )
            ),
        ),
    }
    if entry["status"] == "in-progress":
        text = html.escape(in_progress_banner(config.language))
        banner = f'<span class="book-in-progress">{text}</span>'
        config.html_theme_options = {**config.html_theme_options, "announcement": banner}
    config.html_title = config.project
    # the 404 page is served for any missing path, so its links are absolute: under the path of
    # the site's base URL (a GitHub project site is https://owner.github.io/repo/)
    config.notfound_urls_prefix = f"{site_path(config)}{config.language}/"
    config.epub_title = config.project
    config.epub_author = config.author
    config.epub_publisher = config.author
    config.epub_copyright = config.copyright
    config.epub_language = html_lang(config.language)
    config.epub_basename = f"tornado-book-{config.language}"
    config.epub_uid = config.epub_identifier = f"tornado-book-{html_lang(config.language)}"


def setup(app):
    app.connect("config-inited", apply_language)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
