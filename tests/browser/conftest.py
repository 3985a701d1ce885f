"""Fixtures for browser tests: the built book served over HTTP, and Debian's Chromium.

Run by `nox -s browser` after `nox -s docs`; plain `pytest` does not collect this folder.
Missing Chromium, Playwright or a built site skips these tests, or fails them when CI is set.
"""

import functools
import http.server
import shutil
import sys
import threading

import pytest

from tests.browser.built_site import EDITIONS, SITE
from tests.ch08_support import nginx
from tests.support import IN_CI, ROOT, free_port, require, require_binary

try:
    from playwright.sync_api import sync_playwright
except ImportError:
    sync_playwright = None

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1280, "height": 900}


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="session")
def site_url(tmp_path_factory):
    """The built book served from 127.0.0.1 on a free port, as http://127.0.0.1:PORT: by nginx
    with deploy/nginx-site.conf (gzip, precompressed files, cache headers), as the book is
    published; without nginx (Debian: apt-get install nginx), outside CI, by Python's server."""
    missing = [e for e in EDITIONS if not (SITE / e / "index.html").is_file()]
    require(not missing, f"the book is not built ({', '.join(missing)}): run `nox -s docs` first")
    if shutil.which("nginx") or IN_CI:
        port = free_port()
        conf = ROOT / "deploy" / "nginx-site.conf"
        with nginx(conf, tmp_path_factory.mktemp("nginx"), LISTEN_PORT=port, SITE_DIR=SITE):
            yield f"http://127.0.0.1:{port}"
        return
    print("nginx is not installed: the site is served by Python's http.server", file=sys.stderr)
    handler = functools.partial(QuietHandler, directory=str(SITE))
    with http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler) as httpd:
        thread = threading.Thread(target=httpd.serve_forever, daemon=True)
        thread.start()
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
        httpd.shutdown()
        thread.join()


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium (apt-get install chromium fonts-noto-cjk), driven by Playwright."""
    executable = require_binary("chromium")
    require(sync_playwright is not None, "playwright is not installed (nox -s browser has it)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def context(browser, site_url):
    context = browser.new_context(viewport=VIEWPORT, base_url=site_url)
    context.set_default_timeout(10_000)  # a local static site; waiting longer means it hangs
    yield context
    context.close()


@pytest.fixture
def errors():
    """Console errors and uncaught exceptions of `page`, as strings."""
    return []


@pytest.fixture
def page(context, errors):
    """A fresh page at 1280x900 that records its console errors and page errors in `errors`."""
    page = context.new_page()

    def on_console(message):
        if message.type == "error":
            errors.append(f"console: {message.text} ({message.location.get('url', '')})")

    page.on("console", on_console)
    page.on("pageerror", lambda error: errors.append(f"pageerror: {error}"))
    return page
