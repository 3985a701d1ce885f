"""Where the built book is and which pages it has: what the browser tests and their fixtures
(tests/browser/conftest.py) share. Import from here: `from tests.browser.built_site import SITE`.
"""

import sys

from tests.support import ROOT

SITE = ROOT / "docs" / "_build" / "html"
sys.path.insert(0, str(ROOT / "docs" / "_ext"))
import bookconfig  # noqa: E402 (docs/_ext/bookconfig.py: the book's configuration)

EDITIONS = bookconfig.built()


def built_pages():
    """Every HTML page of every edition, as paths under the site; an index each if not built."""
    pages = sorted(
        path.relative_to(SITE).as_posix()
        for edition in EDITIONS
        for path in (SITE / edition).rglob("*.html")
        if not any(part.startswith("_") for part in path.relative_to(SITE).parts)
    )
    return pages or [f"{edition}/index.html" for edition in EDITIONS]
