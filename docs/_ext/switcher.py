"""The sidebar's language switcher and its "edit this page" link."""

import bookconfig
import site_root
from bookconfig import html_lang
from hreflang import READ_THE_DOCS, site_path
from sphinx.locale import _

EDITIONS = bookconfig.editions()


def edit_url(app, pagename):
    """Where to change this page: the Chinese source, or this edition's catalog."""
    config = app.config
    if not config.book_repository or pagename not in app.env.found_docs:
        return ""
    base = f"{config.book_repository.rstrip('/')}/edit/main/docs"
    if config.language == bookconfig.SOURCE:
        return f"{base}/{pagename}.md"
    return f"{base}/locales/{config.language}/LC_MESSAGES/{pagename}.po"


def add_editions(app, pagename, templatename, context, doctree):
    """Links to the same page in every offered edition (each built into docs/_build/html/<code>/),
    and the edition being built even when it is not offered yet, so its preview shows it."""
    up = "../" * (pagename.count("/") + 1)
    language = app.config.language
    target = pagename
    if pagename not in app.env.found_docs:
        # The 404 page is sent for any missing path, at any depth: absolute links, to each
        # edition's front page
        up, target = site_path(app.config), app.config.root_doc
    context["book_switcher_label"] = str(_("Language"))
    context["book_remember_choice"] = site_root.REMEMBER
    if language == bookconfig.SOURCE:
        context["book_edit_label"] = str(_("Edit this page"))
    else:
        context["book_edit_label"] = str(_("Improve this translation"))
    context["book_edit_url"] = edit_url(app, pagename)
    context["book_editions"] = [
        {
            "name": entry["name"],
            "code": code,
            "html_lang": html_lang(code),
            "href": f"{up}{code}/{target}.html",
            "current": code == language,
        }
        for code, entry in EDITIONS.items()
        if (entry["publish"] and not READ_THE_DOCS) or code == language
    ]


def setup(app):
    app.add_config_value("book_repository", "", "html")
    app.connect("html-page-context", add_editions)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
