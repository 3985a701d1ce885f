"""A copy button on every code block; a console block copies its commands without the prompt.

The book's own, in place of sphinx-copybutton: that extension loads clipboard.js (a fallback for
browsers older than the asynchronous Clipboard API) and the labels of a dozen languages on every
page, about 7 KiB compressed, which the longest chapters could not afford under the page-weight
budget (CONTRIBUTING, 基准测试). The labels come from the edition's interface catalog
(docs/_theme_locales/<code>/LC_MESSAGES/sphinx.po), passed to the script as data attributes of
its own <script> tag. tests/browser/test_widgets.py clicks the buttons.
"""

from sphinx.locale import _

SCRIPT = "copy-code.js"


def add_script(app):
    if app.builder.format == "html" and app.builder.name != "epub":
        labels = {"copy": _("Copy"), "copied": _("Copied"), "failed": _("Copy failed")}
        app.add_js_file(SCRIPT, **{f"data-{key}": str(label) for key, label in labels.items()})


def setup(app):
    app.connect("builder-inited", add_script)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
