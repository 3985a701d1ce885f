"""axe-core (pinned in tests/browser/package-lock.json) finds no violation on any page of any
edition, in the light theme and in the dark one.

furo's theme is "auto" until the reader picks one: it follows the system's colour scheme, which
the test emulates; the explicit choice (localStorage "theme") sets the same colours.
"""

import pytest

from tests.browser import lighthouse
from tests.browser.built_site import built_pages
from tests.support import require


def violations(page):
    """axe's violations on `page` with its default rules (WCAG A/AA and best practices)."""
    page.add_script_tag(path=str(lighthouse.AXE))
    found = page.evaluate("async () => (await axe.run(document)).violations")
    return [
        f"{v['id']} ({v['impact']}: {v['help']}): "
        + "; ".join(", ".join(node["target"]) for node in v["nodes"][:5])
        for v in found
    ]


def is_dark(page):
    """Whether the page's background is dark (furo's dark theme applied)."""
    rgb = page.evaluate("getComputedStyle(document.body).backgroundColor")
    red, green, blue = (int(part) for part in rgb[rgb.index("(") + 1 : -1].split(",")[:3])
    return red + green + blue < 3 * 128


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("path", built_pages())
def test_no_axe_violations(page, errors, path, scheme):
    require(lighthouse.AXE.is_file(), "axe-core is not installed: npm ci --prefix tests/browser")
    page.emulate_media(color_scheme=scheme)
    page.goto(path)
    assert is_dark(page) == (scheme == "dark"), f"{path}: furo did not follow {scheme}"
    found = violations(page)
    assert not found, f"{path} ({scheme}):\n" + "\n".join(found)
    assert errors == []
