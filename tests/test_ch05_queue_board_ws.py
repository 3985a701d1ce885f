import asyncio
import json
import logging
import socket

import pytest
import tornado.httpclient
import tornado.httpserver
import tornado.netutil
import tornado.websocket

from examples.ch05 import queue_board_ws
from tests.ch05_support import stats
from tests.support import hang_up, receive, serve_in_thread, wait_until

EXAMPLE = queue_board_ws


def ws_url(server, since=0):
    return f"ws://127.0.0.1:{server.port}/live?since={since}"


async def connect(server, since=0, origin=None):
    request = tornado.httpclient.HTTPRequest(ws_url(server, since))
    if origin:
        request.headers["Origin"] = origin
    return await tornado.websocket.websocket_connect(request)


@pytest.mark.reader
def test_page_has_the_board_and_its_form(server):
    """Its static files are checked with the long-poll board's (test_ch05_queue_board.py)."""
    page = server.fetch("/").html
    assert page.find("ol", id="calls")["data-version"] == "0"
    assert page.find("form", id="call-form").find("input", id="ticket") is not None


@pytest.mark.reader
def test_every_screen_gets_every_call_in_order(server):
    async def scenario():
        screens = [await connect(server) for _ in range(5)]
        assert wait_until(lambda: stats(server)["screens"] == 5)
        for n, ticket in enumerate(["A1", "A2", "B3", "4"]):
            screens[n].write_message(json.dumps({"ticket": ticket, "counter": n + 1}))
        seen = [[await receive(s) for _ in range(4)] for s in screens]
        await hang_up(*screens)
        return seen

    seen = asyncio.run(scenario())
    expected = [
        {"type": "call", "version": n + 1, "ticket": t, "counter": n + 1, "note": ""}
        for n, t in enumerate(["A1", "A2", "B3", "4"])
    ]
    assert seen == [expected] * 5
    assert wait_until(lambda: stats(server) == {"version": 4, "screens": 0})


def test_a_screen_that_reconnects_gets_what_it_missed(server):
    async def scenario():
        staff = await connect(server)
        for ticket in ["1", "2", "3"]:
            staff.write_message(json.dumps({"ticket": ticket, "counter": 1, "note": "hi"}))
        assert [(await receive(staff))["version"] for _ in range(3)] == [1, 2, 3]
        late = await connect(server, since=1)
        missed = [await receive(late) for _ in range(2)]
        staff.write_message(json.dumps({"ticket": "4", "counter": 2}))
        live = await receive(late)
        await hang_up(staff, late)
        return missed, live

    missed, live = asyncio.run(scenario())
    assert [m["ticket"] for m in missed] == ["2", "3"]
    assert missed[0] == {"type": "call", "version": 2, "ticket": "2", "counter": 1, "note": "hi"}
    assert (live["version"], live["ticket"]) == (4, "4")


@pytest.mark.parametrize(
    ("message", "errors"),
    [
        ("not json", {"message": 'send a JSON object, like {"ticket": "A17", "counter": 2}'}),
        ("[1, 2]", {"message": 'send a JSON object, like {"ticket": "A17", "counter": 2}'}),
        (
            '{"ticket": "<script>", "counter": "2", "note": 5}',
            {
                "ticket": "A ticket is an optional capital letter and 1 to 3 digits, like A17.",
                "counter": "Choose a counter from 1 to 4.",
                "note": "A note is text of at most 40 characters.",
            },
        ),
        (
            '{"ticket": "A1", "counter": true, "note": "' + "x" * 41 + '"}',
            {
                "counter": "Choose a counter from 1 to 4.",
                "note": "A note is text of at most 40 characters.",
            },
        ),
        (b"\xff\xfe", {"message": 'send a JSON object, like {"ticket": "A17", "counter": 2}'}),
        ("[" * 1000, {"message": 'send a JSON object, like {"ticket": "A17", "counter": 2}'}),
    ],
    ids=["not JSON", "a list", "wrong types", "more wrong", "not UTF-8", "nested 1,000 deep"],
)
def test_bad_messages_get_an_error_and_the_connection_stays(server, message, errors):
    async def scenario():
        conn = await connect(server)
        conn.write_message(message, binary=isinstance(message, bytes))
        reply = await receive(conn)
        conn.write_message(json.dumps({"ticket": "Z9", "counter": 4}))
        after = await receive(conn)
        await hang_up(conn)
        return reply, after

    reply, after = asyncio.run(scenario())
    assert reply == {"type": "error", "errors": errors}
    assert after["ticket"] == "Z9"


def test_oversized_messages_close_the_connection(server):
    async def scenario():
        conn = await connect(server)
        conn.write_message(json.dumps({"ticket": "A1", "counter": 1, "note": "x" * 2000}))
        closed = await receive(conn)
        await hang_up(conn)
        return closed, conn.close_code

    assert asyncio.run(scenario()) == (None, 1009)
    assert wait_until(lambda: stats(server) == {"version": 0, "screens": 0})


def test_pages_of_other_sites_are_refused(server):
    async def scenario(origin):
        try:
            conn = await connect(server, origin=origin)
        except tornado.httpclient.HTTPClientError as exc:
            return exc.code
        await hang_up(conn)
        return 101

    assert asyncio.run(scenario("http://evil.example")) == 403
    assert asyncio.run(scenario(f"http://127.0.0.1:{server.port}")) == 101  # same origin
    assert asyncio.run(scenario(None)) == 101  # not a browser


@pytest.mark.parametrize("since", ["", "x", "-1", "1"])
def test_bad_cursor_is_a_close_code_a_browser_can_read(server, since):
    async def scenario():
        conn = await connect(server, since=since)  # the handshake succeeds...
        message = await receive(conn)  # ...and the server closes at once, saying why
        await hang_up(conn)
        return message, conn.close_code, conn.close_reason

    reason = "since must be a version from 0 to 0"
    assert asyncio.run(scenario()) == (None, 4000, reason)
    assert wait_until(lambda: stats(server) == {"version": 0, "screens": 0})


async def silent_screen(port):
    """A raw client that completes the handshake, then never reads: a laptop with its lid shut."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(
        b"GET /live?since=0 HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
        b"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        b"Sec-WebSocket-Version: 13\r\n\r\n"
    )
    assert (await reader.readuntil(b"\r\n\r\n")).startswith(b"HTTP/1.1 101")
    return reader, writer


async def wait_for_close_frame(reader):
    """Skip the pings this client never answers, until the server's close frame arrives."""
    while True:
        opcode, length = await reader.readexactly(2)
        payload = await reader.readexactly(length)
        if opcode == 0x88:
            return payload[2:].decode()


def test_a_closing_screen_does_not_cost_the_others_a_call():
    # Pings every 0.2 s: the silent screen misses its pong and the server starts to close it,
    # then waits up to 5 s for the close handshake before on_close. Calls made meanwhile must
    # reach everybody else, and the sender's own connection must survive.
    app = queue_board_ws.make_app(ping_interval=0.2, ping_timeout=0.2)
    with serve_in_thread(app) as srv:

        async def scenario():
            watcher = await connect(srv)
            reader, writer = await silent_screen(srv.port)
            reason = await wait_for_close_frame(reader)  # the server is closing it now
            sender = await connect(srv)
            got = []
            for ticket in ("A1", "B2"):
                await sender.write_message(json.dumps({"ticket": ticket, "counter": 1}))
                got.append([(await receive(conn))["ticket"] for conn in (sender, watcher)])
            screens = stats(srv)["screens"]
            writer.close()
            await hang_up(sender, watcher)
            return reason, got, screens

        calls = [["A1", "A1"], ["B2", "B2"]]
        assert asyncio.run(scenario()) == ("ping timed out", calls, 2)


def test_settings_keep_connections_honest():
    settings = queue_board_ws.make_app().settings
    assert settings["websocket_ping_interval"] == 20
    assert settings["websocket_ping_timeout"] == 10
    assert settings["websocket_max_message_size"] == 1024


def test_messages_after_the_server_closed_are_not_calls(server, caplog):
    """A page refused with a stale cursor may send before it reads the close: too late."""

    async def scenario():
        conn = await connect(server, since=99)
        conn.write_message(json.dumps({"ticket": "A1", "counter": 1}))
        conn.write_message("not JSON")  # an error reply to a closing connection would raise
        closed = await receive(conn)
        await hang_up(conn)
        return closed, conn.close_code

    assert asyncio.run(scenario()) == (None, queue_board_ws.STALE_CURSOR)
    assert wait_until(lambda: stats(server) == {"version": 0, "screens": 0})
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []


async def stalled_screen(port):
    """A WebSocket whose client never reads a byte after the handshake (small receive buffer)."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 2048)
    sock.setblocking(False)
    await asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", port))
    sock.send(
        b"GET /live?since=0 HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
        b"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        b"Sec-WebSocket-Version: 13\r\n\r\n"
    )
    return sock


def test_a_screen_that_stops_reading_is_closed_and_the_others_go_on(monkeypatch):
    monkeypatch.setattr(queue_board_ws, "MAX_BEHIND", 300, raising=False)  # > a burst of 100

    async def scenario():
        app = queue_board_ws.make_app()
        board = next(
            r.target_kwargs["board"]
            for r in app.wildcard_router.rules
            if "board" in r.target_kwargs
        )
        sockets = tornado.netutil.bind_sockets(0, "127.0.0.1")
        server = tornado.httpserver.HTTPServer(app)
        server.add_sockets(sockets)
        port = sockets[0].getsockname()[1]
        stalled = await stalled_screen(port)
        screen = await tornado.websocket.websocket_connect(f"ws://127.0.0.1:{port}/live?since=0")
        for _ in range(200):
            if len(board.screens) == 2:
                break
            await asyncio.sleep(0.05)
        for _ in range(1000):  # 100,000 calls at most; the kernel's buffers take some 16,000
            if len(board.screens) == 1:
                break
            for _ in range(100):
                board.add("A17", 2, "x" * 40)
            while (await receive(screen))["version"] < board.version:
                pass
        assert board.screens == {next(iter(board.screens))} and len(board.screens) == 1
        board.add("B5", 4, "")
        assert (await receive(screen))["ticket"] == "B5"  # the reader missed nothing
        await hang_up(screen)
        stalled.close()
        server.stop()
        return board.version

    assert asyncio.run(scenario()) > queue_board_ws.MAX_BEHIND


async def local_board():
    """The app served from this test's own loop, with its board at hand."""
    app = queue_board_ws.make_app()
    board = next(
        r.target_kwargs["board"] for r in app.wildcard_router.rules if "board" in r.target_kwargs
    )
    sockets = tornado.netutil.bind_sockets(0, "127.0.0.1")
    server = tornado.httpserver.HTTPServer(app)
    server.add_sockets(sockets)
    return board, server, sockets[0].getsockname()[1]


def test_a_screen_far_behind_catches_up_without_being_closed():
    # All 1,500 missed calls are written in one go, before any write's future is done; the
    # kernel takes them at once, so nothing waits in the buffer and the screen is not behind.
    async def scenario():
        board, server, port = await local_board()
        for n in range(1500):
            board.add(str(n % 1000), 1, "catch me up")
        screen = await tornado.websocket.websocket_connect(f"ws://127.0.0.1:{port}/live?since=0")
        got = [(await receive(screen))["version"] for _ in range(1500)]
        board.add("B5", 4, "")
        live = await receive(screen)
        closed = screen.close_code
        await hang_up(screen)
        server.stop()
        return got, live, closed

    got, live, code = asyncio.run(scenario())
    assert got == list(range(1, 1501))
    assert (live["ticket"], code) == ("B5", None)  # still open: no 4001


def frame(text):
    """A client's masked text frame (a zero mask keeps the payload as it is)."""
    payload = text.encode()
    return bytes([0x81, 0x80 | len(payload)]) + b"\0\0\0\0" + payload


def test_a_burst_from_several_senders_closes_no_screen_and_loses_no_call():
    # Six clients each send 500 calls in one write: the server reads hundreds of messages in
    # one go, and each is shown to every screen before the loop can run any write's callback.
    async def scenario():
        board, server, port = await local_board()
        url = f"ws://127.0.0.1:{port}/live?since=0"
        screens = [await tornado.websocket.websocket_connect(url) for _ in range(3)]
        senders = [await silent_screen(port) for _ in range(6)]
        burst = frame(json.dumps({"ticket": "A1", "counter": 1})) * 500
        for _, writer in senders:
            writer.write(burst)
        got = [[(await receive(s))["version"] for _ in range(3000)] for s in screens]
        closed = [s.close_code for s in screens]
        await hang_up(*screens)
        for _, writer in senders:
            writer.close()
        server.stop()
        return got, closed, board.version

    got, closed, version = asyncio.run(scenario())
    assert version == 3000  # every call made it onto the board
    assert got == [list(range(1, 3001))] * 3
    assert closed == [None] * 3


def test_a_screen_closed_while_catching_up_is_not_kept(monkeypatch):
    monkeypatch.setattr(queue_board_ws, "MAX_BEHIND", 50)

    async def scenario():
        board, server, port = await local_board()
        for _ in range(60000):  # more than the kernel's buffers take, some 16,000
            board.add("A17", 2, "x" * 40)
        stalled = await stalled_screen(port)  # closed, 4001, before its catch-up ends
        # open() runs in this loop, start to end: once the 101 arrives, it has finished.
        assert (await asyncio.get_running_loop().sock_recv(stalled, 12)) == b"HTTP/1.1 101"
        kept = len(board.screens)
        stalled.close()
        server.stop()
        return kept

    assert asyncio.run(scenario()) == 0
