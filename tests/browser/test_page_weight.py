"""Every page of every edition, as a phone downloads it: its HTML, stylesheets and scripts, as
compressed on the wire (fonts and images excluded), weigh at most 100 KiB (issue #18's budget;
CONTRIBUTING, 基准测试, lists the figures that `nox -s bench` prints).

The bytes are the browser's own count (the Resource Timing API's encodedBodySize) of the site
served by deploy/nginx-site.conf, with the copies deploy/precompress.py wrote.
"""

import pytest

from tests.browser.built_site import built_pages
from tests.support import require

BUDGET = 100 * 1024
COUNTED = {"navigation", "link", "script", "css"}  # the page, its stylesheets, its scripts

WEIGHTS = """() => performance.getEntries()
    .filter((entry) => entry.encodedBodySize !== undefined)
    .map((entry) => [entry.initiatorType || entry.entryType, entry.name, entry.encodedBodySize])"""


@pytest.mark.parametrize("path", built_pages())
def test_page_weighs_at_most_100_kib_compressed(page, path):
    response = page.goto(path)
    encoding = response.header_value("content-encoding")
    require(encoding == "gzip", f"the site is served uncompressed ({encoding}): install nginx")
    entries = page.evaluate(WEIGHTS)
    counted = [(kind, name, size) for kind, name, size in entries if kind in COUNTED]
    assert any(kind == "navigation" for kind, _, _ in counted)
    total = sum(size for _, _, size in counted)
    heaviest = sorted(counted, key=lambda entry: -entry[2])[:4]
    listing = ", ".join(
        f"{name.rsplit('/', 1)[-1]} {size / 1024:.1f} KiB" for _, name, size in heaviest
    )
    assert total <= BUDGET, f"{path}: {total / 1024:.1f} KiB > 100 KiB ({listing})"
