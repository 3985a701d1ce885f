"""The PDF: every edition's LaTeX settings (file name, title, xeCJK), and SVG figures redrawn as
PDF by rsvg-convert."""

import shutil
import subprocess

import bookconfig
from sphinx.errors import ExtensionError
from sphinx.transforms.post_transforms.images import ImageConverter
from sphinx.util import texescape

EDITIONS = bookconfig.editions()


# xeCJK sets the Han characters of every edition (English listings show a few). The middle dot
# stays Latin, so "现代注释 · Tornado 6.0" keeps its spaces; in Chinese xeCJK also sets quotes,
# dashes and ellipses full width, elsewhere they stay Latin too.
LATEX_CJK = r"""\usepackage{fontspec}
\defaultfontfeatures[\rmfamily,\sffamily,\ttfamily]{}
\usepackage{xeCJK}
\xeCJKDeclareCharClass{Default}{"00B7}"""
LATEX_LATIN_PUNCTUATION = (
    r'\xeCJKDeclareCharClass{Default}{"2013, "2014, "2018, "2019, "201C, "201D, "2026}'
)


def apply_latex_language(config):
    """The PDF's file name (like the EPUB's), title page, and script set-up for this edition."""
    engine = config.latex_engine
    config.latex_documents = [
        (
            config.root_doc,
            f"tornado-book-{config.language}.tex",
            texescape.escape_abbr(texescape.escape(config.project, engine)),
            texescape.escape_abbr(texescape.escape(config.author, engine)),
            "manual",
        )
    ]
    fontenc = LATEX_CJK
    if not EDITIONS[config.language]["cjk"]:
        fontenc += "\n" + LATEX_LATIN_PUNCTUATION
    elements = {"fontenc": fontenc, **config.latex_elements}
    fonts = EDITIONS[config.language]["cjk_fonts"]  # Noto CJK TC for zh_TW, SC by default
    if "fontpkg" in elements:
        elements["fontpkg"] = elements["fontpkg"].replace("CJK SC}", f"CJK {fonts}}}")
    config.latex_elements = elements


class SvgToPdf(ImageConverter):
    """LaTeX cannot include SVG: rsvg-convert (Debian: librsvg2-bin) redraws it as a vector PDF.
    Only builders without SVG support use this; the website keeps the SVG."""

    conversion_rules = [("image/svg+xml", "application/pdf")]

    def is_available(self):
        return shutil.which("rsvg-convert") is not None

    def convert(self, _from, _to):
        command = ["rsvg-convert", "--format=pdf", f"--output={_to}", str(_from)]
        result = subprocess.run(command, capture_output=True, text=True)
        if result.returncode:
            raise ExtensionError(f"rsvg-convert could not convert {_from}: {result.stderr}")
        return True


def setup(app):
    # after edition_settings.apply_language (priority 500) has set the edition's title and author
    app.connect("config-inited", lambda app, config: apply_latex_language(config), priority=600)
    app.add_post_transform(SvgToPdf)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
