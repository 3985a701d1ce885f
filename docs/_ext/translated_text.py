"""What a translation shows of the source: messages copied through, and text in the original."""

import re

import bookconfig
from bookconfig import html_lang
from docutils import nodes
from sphinx.transforms import SphinxTransform
from sphinx.util.nodes import LITERAL_TYPE_NODES, extract_messages

# Messages a translator would only copy (docs/locales/<code>/*.po never has them): a file name,
# a number or size, code alone, punctuation alone. Every edition shows them as the source does.
COPY_THROUGH = re.compile(
    r"[A-Za-z0-9_.@/-]+/[A-Za-z0-9_.@-]+"  # a file name with its folder (literalinclude captions)
    r"|\d[\d,.\s–-]*(?:\s?[KMGT]iB)?"  # 10,002 · 289–295 MiB
    r"|(?:`[^`]+`[\s,/]*)+"  # `IOLoop.instance()`
    r"|\W+"  # —
)


class CopyThrough(SphinxTransform):
    """Mark messages that need no translation untranslatable, before they are extracted into the
    catalogs (the gettext builder) or looked up in them (Sphinx's Locale transform, priority 20)."""

    default_priority = 15

    def apply(self, **kwargs):
        for node in self.document.findall(nodes.TextElement):
            if COPY_THROUGH.fullmatch(node.rawsource.strip()):
                node["translatable"] = False


class SourceLanguageFallback(SphinxTransform):
    """On a page of a translation, mark what its catalog does not translate (a paragraph, a
    title, a list item's text shown in the original) as written in the source language, so
    browsers and screen readers treat it as Chinese, not as the edition's language.

    Sphinx's Locale transform (priority 20) sets node["translated"] on each message it looks up
    (a page without a catalog gets none); docutils' HTML writer turns a class `language-X` into
    lang="X" (xml:lang in the EPUB's XHTML) and writes no class for it. Text in ASCII alone (an
    English status line such as "200 OK") is left in the edition's language."""

    default_priority = 21

    def apply(self, **kwargs):
        from sphinx.builders.gettext import MessageCatalogBuilder

        if self.config.language == bookconfig.SOURCE or issubclass(
            self.env._builder_cls, MessageCatalogBuilder
        ):
            return
        source = f"language-{html_lang(bookconfig.SOURCE)}"
        for node, _message in extract_messages(self.document):
            if (
                isinstance(node, nodes.TextElement)
                and not isinstance(node, LITERAL_TYPE_NODES)
                and not node.get("translated")
                and not node.astext().isascii()  # "200 OK", a command: no Chinese to read
                and source not in node["classes"]
            ):
                node["classes"].append(source)


def interface_catalog_dependency(app, doctree):
    """Every page depends on the edition's interface catalog (its .po and the .mo Sphinx compiles
    from it): a changed label rewrites every page, also under `nox -s serve`."""
    po = bookconfig.interface_catalog(app.config.language, app.srcdir)
    for path in (po, po.with_suffix(".mo")):
        if path.is_file():  # a missing dependency would make every page outdated at every build
            app.env.note_dependency(str(path))


def setup(app):
    app.add_transform(CopyThrough)
    app.add_transform(SourceLanguageFallback)
    app.connect("doctree-read", interface_catalog_dependency)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
