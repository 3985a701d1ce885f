"""Lighthouse (pinned in tests/browser/package-lock.json, run by tests/browser/lighthouse.py)
scores 100 for accessibility, best practices and SEO on every page of every edition, with its
default mobile profile. The site is served as the other browser tests serve it (conftest's
site_url, Python's http.server on loopback): these three categories do not depend on how it is
served. Performance does, and is only printed, by `nox -s bench`.
"""

import pytest

from tests.browser import lighthouse
from tests.browser.built_site import built_pages
from tests.support import require

# Audits a page fails on purpose. The search page is marked noindex by Sphinx and furo, rightly:
# a search page has nothing of its own to index. Lighthouse's is-crawlable fails it for that.
EXPECTED = {"search.html": {"is-crawlable"}}


@pytest.fixture(scope="session")
def lighthouse_port():
    """The DevTools port of one headless Chromium that audits every page."""
    why = lighthouse.missing()
    require(not why, why)
    with lighthouse.chromium() as port:
        yield port


@pytest.mark.parametrize("path", built_pages())
def test_lighthouse_scores_100(site_url, lighthouse_port, path):
    report = lighthouse.audit(f"{site_url}/{path}", lighthouse_port)
    expected = EXPECTED.get(path.rsplit("/", 1)[-1], set())
    failing = lighthouse.failures(report, ignore=expected)
    assert not failing, f"{path}: {lighthouse.scores(report)}\n" + "\n".join(failing)
    if not expected:
        assert lighthouse.scores(report) == dict.fromkeys(lighthouse.GATED, 100), path
