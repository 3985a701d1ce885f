import asyncio
import json
import re
import socket
import urllib.parse

import pytest

from examples.ch05 import queue_board, queue_board_sse, queue_board_ws
from tests.ch05_support import call, stats
from tests.support import serve_in_thread, wait_until

EXAMPLE = queue_board
# The long-polling board and the one that streams (Server-Sent Events) take calls alike.
both_boards = pytest.mark.parametrize(
    "example", [queue_board, queue_board_sse], ids=["poll", "sse"]
)
HOSTILE = ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>']


def poll(server, since):
    resp = server.fetch(f"/calls?since={since}")
    return resp.status, json.loads(resp.body)


def start_polls(server, since, count):
    """`count` long polls on their own sockets, still waiting for their answers."""
    socks = []
    for _ in range(count):
        sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
        sock.sendall(f"GET /calls?since={since} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        socks.append(sock)
    return socks


def answer(sock):
    """Read one whole HTTP response from a socket; its status and JSON body."""
    data = b""
    while b"\r\n\r\n" not in data:
        data += sock.recv(4096)
    head, body = data.split(b"\r\n\r\n", 1)
    length = int(re.search(rb"Content-Length: (\d+)", head, re.I)[1])
    while len(body) < length:
        body += sock.recv(4096)
    return int(head.split()[1]), json.loads(body)


@pytest.mark.reader
def test_empty_board_page(server):
    page = server.page("/")
    assert page.find("ol", id="calls")["data-version"] == "0"
    assert page.find("ol", id="calls").find_all("li") == []
    assert page.find("input", id="ticket")["value"] == ""
    assert [o.string for o in page.find("select", id="counter").find_all("option")] == list("1234")
    assert page.find("option", selected=True).string == "1"
    assert page.find_all(class_="error") == []


@pytest.mark.reader
@pytest.mark.parametrize(
    ("example", "script", "in_css", "in_script"),
    [
        (queue_board, "board_poll", "#calls li:first-child", "fetch(`/calls?since=${version}`, {"),
        (queue_board_ws, "board_ws", ".error { color: #a40000; }", "new WebSocket("),
    ],
    ids=["poll", "ws"],
)
def test_static_files_come_through_static_url(server, example, script, in_css, in_script):
    page = server.fetch("/").html
    css = page.find("link", rel="stylesheet")["href"]
    js = page.find("script", src=True)["src"]
    assert re.fullmatch(r"/static/board\.css\?v=[0-9a-f]+", css)
    assert re.fullmatch(rf"/static/{script}\.js\?v=[0-9a-f]+", js)
    assert in_css in server.fetch(css).text
    assert in_script in server.fetch(js).text


@pytest.mark.reader
def test_a_call_shows_on_the_page_and_in_the_feed(server):
    resp = call(server, "A17", "3", "please bring your receipt")
    assert (resp.status, resp.headers["Location"]) == (303, "/")
    call(server, "204", "1")
    calls = server.fetch("/").html.find("ol", id="calls")
    assert calls["data-version"] == "2"
    items = [li.get_text(" ", strip=True) for li in calls.find_all("li")]
    assert items == ["204 to counter 1", "A17 to counter 3 please bring your receipt"]
    assert poll(server, 0) == (
        200,
        {
            "version": 2,
            "calls": [
                {"version": 1, "ticket": "A17", "counter": 3, "note": "please bring your receipt"},
                {"version": 2, "ticket": "204", "counter": 1, "note": ""},
            ],
        },
    )


def test_the_page_lists_only_the_most_recent_calls(server):
    for n in range(1, queue_board.RECENT + 3):
        call(server, str(n))
    tickets = [s.string for s in server.fetch("/").html.select("#calls .ticket")]
    assert tickets == [str(n) for n in range(queue_board.RECENT + 2, 2, -1)]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_notes_are_shown_as_text(server, text):
    assert call(server, "B5", "4", text).status == 303
    page = server.fetch("/").html
    assert page.find("script", src=False) is None
    assert page.find("img") is None
    assert page.select_one("#calls .note").string == text
    assert poll(server, 0)[1]["calls"][0]["note"] == text


@pytest.mark.parametrize("text", HOSTILE)
def test_bad_form_is_shown_again_with_messages(server, text):
    resp = call(server, text, "9", text * 2)
    assert resp.status == 400
    page = resp.html
    assert page.find("script", src=False) is None
    assert page.find("img") is None
    assert page.find("input", id="ticket")["value"] == text
    assert page.find("input", id="note")["value"] == text * 2
    messages = {
        span.find_previous_sibling(["input", "select"])["id"]: span.string
        for span in page.find_all(class_="error")
    }
    assert messages == {
        "ticket": "A ticket is an optional capital letter and 1 to 3 digits, like A17.",
        "counter": "Choose a counter from 1 to 4.",
        "note": "Please keep the note to 40 characters.",
    }
    assert stats(server)["version"] == 0


def test_missing_fields_are_messages_not_500(server):
    resp = server.fetch("/", method="POST", body=b"")
    assert resp.status == 400
    assert len(resp.html.find_all(class_="error")) == 2
    assert resp.html.find("option", selected=True) is None


@pytest.mark.parametrize("since", ["", "abc", "-1", "1", "%C2%B2", "9999999999"])
def test_bad_cursors_are_400(server, since):
    status, body = poll(server, since)
    assert (status, body) == (400, {"error": "since must be a version from 0 to 0"})


def test_every_waiting_poll_gets_the_call_exactly_once(server):
    socks = start_polls(server, 0, 30)
    try:
        assert wait_until(lambda: stats(server)["waiting"] == 30)
        call(server, "C3", "2")
        answers = [answer(sock) for sock in socks]
    finally:
        for sock in socks:
            sock.close()
    expected = {"version": 1, "calls": [{"version": 1, "ticket": "C3", "counter": 2, "note": ""}]}
    assert answers == [(200, expected)] * 30
    assert stats(server) == {"version": 1, "waiting": 0}


def test_clients_that_hang_up_are_forgotten(server):
    socks = start_polls(server, 0, 10)
    assert wait_until(lambda: stats(server)["waiting"] == 10)
    for sock in socks[:7]:
        sock.close()
    assert wait_until(lambda: stats(server)["waiting"] == 3)
    call(server)
    assert [answer(sock)[1]["version"] for sock in socks[7:]] == [1, 1, 1]
    for sock in socks[7:]:
        sock.close()
    assert stats(server) == {"version": 1, "waiting": 0}


def test_a_client_that_comes_back_misses_nothing(server):
    call(server, "1")
    status, first = poll(server, 0)
    assert [c["ticket"] for c in first["calls"]] == ["1"]
    # While this client is away (between two polls), three more tickets are called.
    for ticket in ["2", "3", "4"]:
        call(server, ticket)
    status, second = poll(server, first["version"])
    assert [c["version"] for c in second["calls"]] == [2, 3, 4]
    assert [c["ticket"] for c in second["calls"]] == ["2", "3", "4"]
    assert poll(server, 3)[1]["calls"] == second["calls"][2:]


def test_a_quiet_poll_ends_empty_and_leaves_no_waiter():
    with serve_in_thread(queue_board.make_app(poll_timeout=0.2)) as srv:
        assert poll(srv, 0) == (200, {"version": 0, "calls": []})
        assert stats(srv) == {"version": 0, "waiting": 0}


def test_board_hands_each_waiter_one_result():
    async def scenario():
        board = queue_board.Board()
        first, second = board.wait(), board.wait()
        board.forget(first)
        board.add("A1", 1, "")
        assert first.cancelled() and second.result() is None
        assert board.waiters == set()
        return board.since(0)

    assert asyncio.run(scenario()) == [queue_board.Call(1, "A1", 1, "")]


@pytest.mark.reader
@both_boards
def test_oversized_form_is_refused_before_the_handler(server, example):
    answer = server.post_head("/", example.MAX_BODY_SIZE + 1)
    assert answer.startswith(b"HTTP/1.1 400 Bad Request\r\n")
    assert stats(server)["version"] == 0


@both_boards
@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"},
        {"Origin": "https://evil.example"},  # an older browser: no Sec-Fetch-Site
    ],
)
def test_a_form_posted_from_another_site_is_refused(server, headers):
    body = urllib.parse.urlencode(dict(ticket="A17", counter="2", note="forged"))
    headers = {"Content-Type": "application/x-www-form-urlencoded", **headers}
    resp = server.fetch("/", method="POST", body=body, headers=headers)
    assert resp.status == 403
    assert resp.text == "403: a call can be made only from this board's own page\n"
    assert stats(server)["version"] == 0


@both_boards
@pytest.mark.parametrize(
    "headers",
    [
        {"Sec-Fetch-Site": "same-origin"},
        {"Origin": "http://127.0.0.1:{port}"},
        {},  # not a browser
    ],
)
def test_a_form_posted_from_the_board_itself_is_accepted(server, headers):
    body = urllib.parse.urlencode(dict(ticket="A17", counter="2", note=""))
    headers = {k: v.format(port=server.port) for k, v in headers.items()}
    headers["Content-Type"] = "application/x-www-form-urlencoded"
    assert server.fetch("/", method="POST", body=body, headers=headers).status == 303
    assert stats(server)["version"] == 1


@both_boards
def test_other_errors_of_the_page_are_tornados_own(server):
    assert server.fetch("/", method="PUT", body="").status == 405
