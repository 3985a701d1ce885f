"""Chapter 5's page scripts in Chromium, against the boards served from this process.

The long-poll script's waits are read, not timed: an init script records every delay the page
asks setTimeout for (and runs the callback at once), and fixes Math.random at 0.5.
"""

import json
import urllib.parse

import pytest

from examples.ch05 import queue_board, queue_board_sse, queue_board_ws
from tests.ch05_support import call, stats
from tests.support import serve_in_thread, wait_until

RECORD_WAITS = """
window.waits = [];
const realSetTimeout = window.setTimeout;
Math.random = () => 0.5;
window.setTimeout = (callback, ms) => {
  window.waits.push(ms);
  if (window.waits.length < %d) realSetTimeout(callback, 0);  // then the script stops here
};
"""


def post_call(server, ticket):
    assert call(server, ticket).status == 303


def intercept(page, pattern, answer):
    """Route the page's requests to `pattern` to answer(route, n), n counting them from 1;
    the list of their URLs, which grows as they come."""
    urls = []

    def on_request(route):
        urls.append(route.request.url)
        answer(route, len(urls))

    page.route(pattern, on_request)
    return urls


@pytest.fixture
def board_page(browser):
    context = browser.new_context()
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def test_long_polling_backs_off_with_jitter_and_spreads_its_re_polls(board_page):
    page = board_page
    with serve_in_thread(queue_board.make_app()) as srv:

        def on_poll(route, n):
            if n == 8:  # the server is back, and has a call for this page
                post_call(srv, "A17")
                route.continue_()
            else:
                route.abort()  # a network error, as while the server restarts

        polls = intercept(page, "**/calls?*", on_poll)
        page.add_init_script(RECORD_WAITS % 9)
        page.goto(f"{srv.url}/")
        page.wait_for_function("window.waits.length === 9")
        waits = page.evaluate("window.waits")
        assert page.locator("#calls .ticket").all_text_contents() == ["A17"]
        assert page.locator("#status").text_content() == "Connection lost; trying again…"
    # 1 s doubling up to 30 s, each wait 3/4 of that at Math.random() = 0.5; after an answer,
    # a spread of up to 0.5 s, and the next error starts from 1 s again.
    assert waits == [750, 1500, 3000, 6000, 12000, 22500, 22500, 250, 750]
    assert [urllib.parse.urlsplit(url).query for url in polls] == ["since=0"] * 8 + ["since=1"]


def test_long_polling_gives_up_on_a_poll_that_never_ends(board_page):
    # A connection that died silently: the first poll is never answered. The page's time limit
    # is taken over here, so the test can fire it at once instead of waiting 35 s.
    page = board_page
    with serve_in_thread(queue_board.make_app()) as srv:

        def on_poll(route, n):
            if n == 2:
                post_call(srv, "A17")
            if n > 1:
                route.continue_()  # the first one is left hanging

        polls = intercept(page, "**/calls?*", on_poll)
        page.add_init_script(RECORD_WAITS % 3)
        page.add_init_script(
            """
            window.limits = [];
            AbortSignal.timeout = (ms) => {
              const controller = new AbortController();
              window.limits.push([ms, controller]);
              return controller.signal;
            };
            """
        )
        page.goto(f"{srv.url}/")
        page.wait_for_function("window.limits.length === 1")
        page.evaluate("window.limits[0][1].abort(new DOMException('late', 'TimeoutError'))")
        page.locator("#calls li").first.wait_for()
        assert page.locator("#calls .ticket").all_text_contents() == ["A17"]
        limits = page.evaluate("window.limits.map(([ms]) => ms)")
        waits = page.evaluate("window.waits")
    assert limits[:2] == [35000, 35000]
    assert waits[0] == 750  # the first backoff step, as after any error
    assert len(polls) >= 2


def test_event_source_shows_each_call_once(board_page):
    page = board_page
    with serve_in_thread(queue_board_sse.make_app()) as srv:
        post_call(srv, "A1")
        page.goto(f"{srv.url}/")
        assert page.locator("#calls").get_attribute("data-version") == "1"
        page.wait_for_function("document.getElementById('status').textContent === ''")
        assert wait_until(lambda: stats(srv)["streams"] == 1)
        post_call(srv, "B2")
        page.locator("#calls li").nth(1).wait_for()
        assert page.locator("#calls .ticket").all_text_contents() == ["B2", "A1"]


# As after a restart: the page asks for version 5 of a board that has none. The long poll gets a
# 400, the event stream an event in a 200 (EventSource shows no other status's body), the
# WebSocket a refused handshake (which showed the script only code 1006 of old, and it
# reconnected every 2 s forever). Each page must stop and say so.
WEBSOCKET_ASKS_FOR_5 = """
const RealWebSocket = window.WebSocket;
window.WebSocket = function (url) {  // called with new: returns the real socket
  return new RealWebSocket(url.replace(/since=[0-9]+/, "since=5"));
};
"""


@pytest.mark.parametrize(
    ("board", "stream"),
    [(queue_board, "calls"), (queue_board_sse, "events"), (queue_board_ws, None)],
    ids=["long-polling", "event-source", "websocket"],
)
def test_a_page_with_a_stale_cursor_stops_and_says_reload(board_page, board, stream):
    page = board_page
    if stream is None:
        page.add_init_script(WEBSOCKET_ASKS_FOR_5)
    with serve_in_thread(board.make_app()) as srv:
        if stream is not None:
            stale = f"{srv.url}/{stream}?since=5"
            page.route(f"**/{stream}?*", lambda route: route.continue_(url=stale))
        page.goto(f"{srv.url}/")
        status = page.locator("#status")
        status.filter(has_text="please reload").wait_for()
        message = "since must be a version from 0 to 0; please reload the page."
        assert status.text_content() == message


def test_event_source_page_starts_over_after_a_refusal(board_page):
    # EventSource gives up for good on any status but 200, as from a proxy while the board
    # restarts; the script then opens a new one, after a jittered wait that doubles.
    page = board_page
    with serve_in_thread(queue_board_sse.make_app()) as srv:

        def on_events(route, n):
            if n <= 2:
                route.fulfill(status=502, body="bad gateway")
            else:
                route.continue_()

        opened = intercept(page, "**/events?*", on_events)
        page.add_init_script(RECORD_WAITS % 3)
        page.goto(f"{srv.url}/")
        page.wait_for_function("window.waits.length === 2")  # route handlers run in here
        page.wait_for_function("document.getElementById('status').textContent === ''")
        assert wait_until(lambda: stats(srv)["streams"] == 1)
        post_call(srv, "C3")
        page.locator("#calls li").first.wait_for()
        assert page.locator("#calls .ticket").all_text_contents() == ["C3"]
        assert page.locator("#status").text_content() == ""
        waits = page.evaluate("window.waits")
    assert waits == [1500, 3000]  # 2 s, then 4 s, each 3/4 of that at Math.random() = 0.5
    assert len(opened) == 3


def test_event_source_backoff_starts_again_after_a_stream_that_opened(board_page):
    # Two refusals, then a stream that opens and ends (the browser reconnects by itself), then
    # a refusal again: the wait is the first one again, not the third step of the doubling.
    page = board_page
    with serve_in_thread(queue_board_sse.make_app()) as srv:

        def on_events(route, n):
            if n == 3:
                headers = {"Content-Type": "text/event-stream"}
                route.fulfill(status=200, headers=headers, body="retry: 10\n\n")
            else:
                route.fulfill(status=502, body="bad gateway")

        opened = intercept(page, "**/events?*", on_events)
        page.add_init_script(RECORD_WAITS % 3)
        page.goto(f"{srv.url}/")
        page.wait_for_function("window.waits.length === 3")
        waits = page.evaluate("window.waits")
    assert waits == [1500, 3000, 1500]
    assert len(opened) == 4


def test_websocket_form_is_disabled_while_not_connected(board_page):
    page = board_page
    errors = []
    page.on("pageerror", lambda error: errors.append(error))
    page.add_init_script(RECORD_WAITS % 1)  # the script never gets to reconnect
    page.add_init_script(
        """
        const RealWebSocket = window.WebSocket;
        window.WebSocket = function (url) {  // called with new: returns the real socket
          window.lastSocket = new RealWebSocket(url);
          return window.lastSocket;
        };
        Object.assign(window.WebSocket, {OPEN: 1});
        """
    )
    with serve_in_thread(queue_board_ws.make_app()) as srv:
        page.goto(f"{srv.url}/")
        button = page.locator("#call-form button")
        page.wait_for_function("!document.querySelector('#call-form button').disabled")
        page.fill("#ticket", "A17")
        button.click()
        page.locator("#calls li").first.wait_for()
        page.evaluate("window.lastSocket.close()")  # as when the network drops
        page.wait_for_function("document.querySelector('#call-form button').disabled")
        page.fill("#ticket", "B5")
        page.press("#ticket", "Enter")  # a disabled button stops implicit submission
        status = page.locator("#status")
        assert status.text_content() == "Connection lost; reconnecting…"
        page.evaluate("document.getElementById('call-form').requestSubmit()")  # a script can
        assert status.text_content() == "Not connected; the call was not sent."
        assert json.loads(srv.fetch("/stats").body)["version"] == 1
    assert page.locator("#calls .ticket").all_text_contents() == ["A17"]
    assert errors == []
