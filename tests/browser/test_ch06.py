"""Chapter 6's pages in Chromium, under their own Content-Security-Policy: the notice board and
the login flow work with no violation reported, and the board refuses to be framed elsewhere."""

import pytest
import tornado.web

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips, saying why
    expect = None

from examples.ch06 import login, xsrf_board
from tests.support import serve_in_thread

# Recorded before any page script runs; an init script is not subject to the page's policy.
WATCH_CSP = """
window.violations = [];
document.addEventListener("securitypolicyviolation",
  (event) => window.violations.push(`${event.violatedDirective} ${event.blockedURI}`));
"""


def poll(page, expression, tries=50):
    """The first truthy value of `expression` in the page (the policy forbids string eval)."""
    for _ in range(tries):
        value = page.evaluate(expression)
        if value:
            return value
        page.wait_for_timeout(100)
    return value


@pytest.fixture
def watched(browser):
    """A new browser context that records CSP violations; its console errors in `messages`."""
    context = browser.new_context()
    context.set_default_timeout(10_000)
    context.add_init_script(WATCH_CSP)
    messages = []

    def record(message):
        if message.type == "error" and not message.location["url"].endswith("/favicon.ico"):
            messages.append(message.text)

    def new_page():
        page = context.new_page()
        page.on("console", lambda m: record(m))
        page.on("pageerror", lambda error: messages.append(str(error)))
        return page

    yield new_page, messages
    context.close()


def test_board_works_under_its_policy(watched):
    new_page, messages = watched
    with serve_in_thread(xsrf_board.make_app()) as board:
        page = new_page()
        response = page.goto(f"{board.url}/")
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
        page.fill("#text", "Lunch at noon")
        page.click("button:has-text('Pin it')")
        page.wait_for_selector("#notes li")
        assert page.inner_text("#notes li .text") == "Lunch at noon"
        page.click("button.like")  # board.js, loaded from /static/, posts with fetch()
        expect(page.locator("button.like .count")).to_have_text("1")
        assert page.evaluate("window.violations") == []
        # The watch works: an inline script, as injected markup would bring, is refused.
        page.evaluate("""document.body.append(Object.assign(document.createElement("script"),
                         {textContent: "window.ran = true"}))""")
        assert poll(page, "window.violations") == ["script-src-elem inline"]
        assert page.evaluate("window.ran") is None
    assert any("Content Security Policy" in message for message in messages)


def test_login_works_under_its_policy(watched, monkeypatch):
    monkeypatch.setattr(login, "SCRYPT", {"n": 2**10, "r": 8, "p": 1})
    new_page, messages = watched
    with serve_in_thread(login.make_app()) as site:
        page = new_page()
        page.goto(f"{site.url}/diary")
        page.fill("#username", "mei")
        page.fill("#password", login.DEMO_PASSWORDS["mei"])
        page.click("button:has-text('Sign in')")
        page.wait_for_url(f"{site.url}/diary")
        assert page.inner_text("h1") == "mei's diary"
        page.click("button:has-text('Sign out')")
        page.wait_for_url(f"{site.url}/")
        assert page.inner_text("p") == "Please sign in to read your diary."
        assert page.evaluate("window.violations") == []
    assert messages == []


class FramingHandler(tornado.web.RequestHandler):
    def initialize(self, src):
        self.src = src

    def get(self):
        self.write(f'<!DOCTYPE html><title>framing</title><iframe src="{self.src}"></iframe>')


@pytest.mark.parametrize("origin", ["localhost", "127.0.0.1"])
def test_board_refuses_to_be_framed(watched, origin):
    """Another site (another port; or another host name) puts the board in an iframe."""
    new_page, messages = watched
    with serve_in_thread(xsrf_board.make_app()) as board:
        src = f"http://{origin}:{board.port}/"
        framing = tornado.web.Application([(r"/", FramingHandler, {"src": src})])
        with serve_in_thread(framing) as evil:
            page = new_page()
            page.goto(f"http://127.0.0.1:{evil.port}/")
            page.wait_for_load_state("load")
            frame = page.frames[1]
            # A blocked frame shows the browser's error page, never the board.
            assert frame.evaluate("document.querySelector('#notes')") is None
    assert any("frame-ancestors 'none'" in message for message in messages), messages
