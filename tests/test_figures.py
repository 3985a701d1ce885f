"""The figures: Graphviz files in docs/figures/, with alt text and caption, in every edition."""

import re
import shutil
import subprocess
import sys

import pytest
from babel.messages.pofile import read_po

from tests.support import ROOT, require

FIGURES = sorted((ROOT / "docs" / "figures").glob("*.dot"))
sys.path.insert(0, str(ROOT / "docs" / "_ext"))
import bookconfig  # noqa: E402
from graphviz_figures import FIGURE_LABEL, figure_labels, svg_for_img  # noqa: E402

EDITIONS = bookconfig.built()
TRANSLATED = bookconfig.translations()
HAN = re.compile(r"[\u3400-\u9fff\u3000-\u303f\uff00-\uffef]")
# Issue #15: the figures a reader needs, on the page that needs them.
EXPECTED = {
    "event_loop": "ch01",
    "request_lifecycle": "ch01",
    "template_inheritance": "ch03",
    "oauth_pkce": "ch07",
    "deployment": "ch08",
}


PAGES = sorted((ROOT / "docs").glob("*.md"))
DIRECTIVE = re.compile(
    r"^```\{graphviz\} figures/(?P<name>[\w-]+)\.dot\n(?P<options>(?::.*\n)*)", re.M
)
OPTION = re.compile(r"^:(?P<key>[\w-]+):\s*(?P<value>.*)$", re.M)


def shown():
    """{figure name: [(page stem, options)]} for every graphviz directive of the book."""
    found = {}
    for page in PAGES:
        for match in DIRECTIVE.finditer(page.read_text("utf-8")):
            options = {m["key"]: m["value"] for m in OPTION.finditer(match["options"])}
            found.setdefault(match["name"], []).append((page.stem, options))
    return found


def test_every_figure_is_shown_once_with_alt_text_and_caption():
    figures = shown()
    assert sorted(figures) == sorted(f.stem for f in FIGURES)
    for name, uses in figures.items():
        assert len(uses) == 1, name
        (page, options) = uses[0]
        assert options.get("alt") and options.get("caption"), name
    assert {name: uses[0][0] for name, uses in figures.items()} == EXPECTED


def translated_code(figure, lang):
    page = shown()[figure.stem][0][0]
    with open(ROOT / "docs" / "locales" / lang / "LC_MESSAGES" / f"{page}.po", "rb") as f:
        catalog = read_po(f)
    code = figure.read_text("utf-8")
    translations = {}
    for label in figure_labels(code):
        message = catalog.get(label)
        assert message is not None and message.string and not message.fuzzy, (lang, label)
        translations[label] = message.string
    return FIGURE_LABEL.sub(
        lambda m: m.group(1) + translations.get(m.group(2), m.group(2)) + m.group(3), code
    )


@pytest.mark.parametrize("lang", TRANSLATED)
@pytest.mark.parametrize("figure", FIGURES, ids=lambda f: f.stem)
def test_every_edition_draws_the_same_graph_with_its_own_labels(figure, lang):
    code = figure.read_text("utf-8")
    assert figure_labels(code), "a figure with nothing to translate"
    translated = translated_code(figure, lang)
    if not bookconfig.editions()[lang]["cjk"]:  # a Chinese edition's labels are Chinese too
        assert not HAN.search(translated), "a label left in Chinese"
    # Only the labels differ: the same nodes, edges and attributes in every edition.
    strip = lambda text: FIGURE_LABEL.sub(r"\1\3", text)  # noqa: E731
    assert strip(translated) == strip(code)
    # And each label keeps its line breaks, so a box keeps its shape.
    for original, new in zip(
        FIGURE_LABEL.finditer(code), FIGURE_LABEL.finditer(translated), strict=True
    ):
        assert original.group(2).count("\\n") == new.group(2).count("\\n"), new.group(2)


@pytest.mark.parametrize("lang", ["zh_CN", *TRANSLATED])
@pytest.mark.parametrize("figure", FIGURES, ids=lambda f: f.stem)
def test_graphviz_draws_every_edition(figure, lang):
    require(shutil.which("dot"), "Graphviz is not installed (Debian: apt-get install graphviz)")
    code = figure.read_text("utf-8") if lang == "zh_CN" else translated_code(figure, lang)
    done = subprocess.run(["dot", "-Tsvg"], input=code, capture_output=True, text=True)
    assert done.returncode == 0 and not done.stderr, done.stderr
    assert "<svg" in done.stdout


@pytest.mark.skipif(not shutil.which("dot"), reason="Graphviz is not installed")
@pytest.mark.parametrize("figure", FIGURES, ids=lambda f: f.stem)
def test_the_svg_of_an_img_has_fallback_fonts_and_no_doctype(figure):
    """In an <img> the SVG cannot use the page's fonts: without the CJK font, a sans-serif."""
    svg = subprocess.run(
        ["dot", "-Tsvg"], input=figure.read_text("utf-8"), capture_output=True, text=True
    ).stdout
    fixed = svg_for_img(svg)
    assert "<!DOCTYPE" not in fixed and "<svg" in fixed
    families = re.findall(r'font-family="([^"]*)"', fixed)
    assert families and all(f.endswith(", sans-serif") for f in families), set(families)
    assert svg_for_img(fixed) == fixed


# The text column is 736 CSS px wide, 552 pt (an SVG's pt is 4/3 px); a wider SVG is scaled down
# to fit. Shrunk to no less than 80%, the 11 pt node labels stay at least 11.7 px high (the
# English event_loop figure was 1,049 pt, 53%: 8 px). 552 / 0.8 = 690 pt.
MAX_SVG_WIDTH = 690


@pytest.mark.skipif(not shutil.which("dot"), reason="Graphviz is not installed")
@pytest.mark.parametrize("lang", ["zh_CN", *TRANSLATED])
@pytest.mark.parametrize("figure", FIGURES, ids=lambda f: f.stem)
def test_every_figure_fits_the_text_column(figure, lang):
    code = figure.read_text("utf-8") if lang == "zh_CN" else translated_code(figure, lang)
    svg = subprocess.run(["dot", "-Tsvg"], input=code, capture_output=True, text=True).stdout
    width = float(re.search(r'<svg width="([\d.]+)pt"', svg).group(1))
    assert width <= MAX_SVG_WIDTH, f"{width:.0f} pt wide, shrunk to {552 / width:.0%}"
