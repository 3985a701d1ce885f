"""The words Sphinx's search page writes from JavaScript, from the edition's interface catalog.

Sphinx translates its JavaScript ("Search Results", "Search finished, found 3 pages matching the
search query.") with a catalog of its own, translations.js, which the book cannot edit. Sphinx
9.0's zh_TW one translates the result count as an empty string, so the Traditional Chinese search
page gave no count at all. Every message of the edition's interface catalog
(docs/_theme_locales/<code>/LC_MESSAGES/sphinx.po) that is also one of Sphinx's JavaScript messages
(a message of Sphinx's own sphinx.pot found in a .js file) is written to _static/book-labels.js,
which the pages load after translations.js: the book's wording wins over Sphinx's.
"""

import json
from functools import cache
from pathlib import Path

import bookconfig
import sphinx
from babel.messages.pofile import read_po

SCRIPT = "book-labels.js"


@cache
def javascript_messages():
    """The msgids (a plural message's singular form) Sphinx's JavaScript translates."""
    with open(Path(sphinx.__file__).parent / "locale" / "sphinx.pot", "rb") as file:
        template = read_po(file)
    return {
        message.id[0] if message.pluralizable else message.id
        for message in template
        if message.id and any(path.endswith(".js") for path, _line in message.locations)
    }


def labels(code, docs=bookconfig.DOCS):
    """{msgid: translation, or [forms] for a plural message} of the edition's JavaScript labels."""
    po = bookconfig.interface_catalog(code, docs)
    if not po.is_file():
        return {}
    with open(po, "rb") as file:
        catalog = read_po(file)
    found = {}
    for message in catalog:
        if not message.id or message.fuzzy:
            continue
        key = message.id[0] if message.pluralizable else message.id
        if key not in javascript_messages():
            continue
        if message.pluralizable and all(message.string):
            found[key] = list(message.string)
        elif not message.pluralizable and message.string:
            found[key] = message.string
    return found


def script(found):
    return f"Object.assign(Documentation.TRANSLATIONS, {json.dumps(found, ensure_ascii=False)});\n"


def add_script(app):
    if app.builder.format == "html" and app.builder.name != "epub" and labels(app.config.language):
        app.add_js_file(SCRIPT, priority=600)  # after translations.js (500)


def write_script(app, exception):
    if exception is None and app.builder.format == "html" and app.builder.name != "epub":
        found = labels(app.config.language)
        if found:
            target = Path(app.outdir) / "_static" / SCRIPT
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(script(found), encoding="utf-8")


def setup(app):
    app.connect("builder-inited", add_script)
    app.connect("build-finished", write_script)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
