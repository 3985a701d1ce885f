import asyncio
import json
import re
import socket

import pytest
import tornado.httpserver
import tornado.netutil

from examples.ch05 import queue_board_sse
from tests.ch05_support import call, stats
from tests.support import serve_in_thread, wait_until

EXAMPLE = queue_board_sse
EVENT_STREAM = "text/event-stream; charset=UTF-8"


class Stream:
    """A GET /events read from a plain socket as it arrives: its head, then one event at a time."""

    def __init__(self, server, since="0", last_event_id=None):
        self.sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
        extra = f"Last-Event-ID: {last_event_id}\r\n" if last_event_id is not None else ""
        request = f"GET /events?since={since} HTTP/1.1\r\nHost: x\r\n{extra}\r\n"
        self.sock.sendall(request.encode())
        self.raw = b""
        while b"\r\n\r\n" not in self.raw:
            self.raw += self.receive()
        head, self.raw = self.raw.split(b"\r\n\r\n", 1)
        lines = head.decode().split("\r\n")
        self.status = int(lines[0].split()[1])
        self.headers = dict(line.split(": ", 1) for line in lines[1:])
        self.text = ""

    def receive(self):
        data = self.sock.recv(4096)
        assert data, "the server closed the stream"
        return data

    def body(self):
        """The rest of a response that is not a stream (it has a Content-Length)."""
        while len(self.raw) < int(self.headers["Content-Length"]):
            self.raw += self.receive()
        return json.loads(self.raw)

    def event(self):
        """The next event, or comment, as its text without the blank line that ends it."""
        while "\n\n" not in self.text:
            self.unchunk()
        event, self.text = self.text.split("\n\n", 1)
        return event

    def unchunk(self):
        """Move one chunk of the chunked body from `raw` to `text`."""
        while b"\r\n" not in self.raw:
            self.raw += self.receive()
        size, rest = self.raw.split(b"\r\n", 1)
        size = int(size, 16)
        while len(rest) < size + 2:
            rest += self.receive()
        self.text += rest[:size].decode()
        self.raw = rest[size + 2 :]

    def close(self):
        self.sock.close()


def as_event(version, ticket, counter=2, note=""):
    data = json.dumps(dict(version=version, ticket=ticket, counter=counter, note=note))
    return f"id: {version}\nevent: call\ndata: {data}"


@pytest.mark.reader
def test_page_and_static_files(server):
    page = server.fetch("/").html
    assert page.find("ol", id="calls")["data-version"] == "0"
    js = page.find("script", src=True)["src"]
    assert re.fullmatch(r"/static/board_sse\.js\?v=[0-9a-f]+", js)
    assert "new EventSource(`/events?since=${version}`)" in server.fetch(js).text


@pytest.mark.reader
def test_a_stream_sends_what_was_missed_then_every_new_call(server):
    call(server, "A17", "2", "please bring your receipt")
    call(server, "B5", "4")
    stream = Stream(server, since="0")
    try:
        assert stream.status == 200
        assert stream.headers["Content-Type"] == EVENT_STREAM
        assert stream.headers["Cache-Control"] == "no-store"
        assert stream.headers["X-Accel-Buffering"] == "no"
        assert stream.headers["Transfer-Encoding"] == "chunked"
        assert stream.event() == "retry: 3000"
        assert stream.event() == as_event(1, "A17", note="please bring your receipt")
        assert stream.event() == as_event(2, "B5", counter=4)
        assert wait_until(lambda: stats(server)["streams"] == 1)
        call(server, "C3", "1")
        assert stream.event() == as_event(3, "C3", counter=1)
    finally:
        stream.close()
    assert wait_until(lambda: stats(server) == {"version": 3, "streams": 0})


def test_last_event_id_wins_over_the_url(server):
    """A reconnecting EventSource repeats the page's URL, so the header says where it is."""
    for ticket in ["1", "2", "3"]:
        call(server, ticket)
    stream = Stream(server, since="0", last_event_id="2")
    try:
        assert stream.event() == "retry: 3000"
        assert stream.event() == as_event(3, "3")
    finally:
        stream.close()


def test_every_stream_gets_every_call_once_and_leavers_are_forgotten(server):
    streams = [Stream(server) for _ in range(10)]
    try:
        assert [s.event() for s in streams] == ["retry: 3000"] * 10
        assert wait_until(lambda: stats(server)["streams"] == 10)
        for stream in streams[:7]:
            stream.close()
        assert wait_until(lambda: stats(server)["streams"] == 3)
        call(server, "D4")
        call(server, "D5")
        assert [[s.event(), s.event()] for s in streams[7:]] == [
            [as_event(1, "D4"), as_event(2, "D5")]
        ] * 3
    finally:
        for stream in streams:
            stream.close()
    assert wait_until(lambda: stats(server) == {"version": 2, "streams": 0})


def test_a_pipelined_request_on_a_closed_connection_leaves_no_stream_behind():
    # With a second request waiting in its buffer, Tornado does not watch the connection for a
    # close: only a heartbeat that fails to write finds out. The second GET is then read from the
    # buffer of a connection already gone, and no on_connection_close will ever come for it.
    request = b"GET /events?since=0 HTTP/1.1\r\nHost: x\r\n\r\n"
    with serve_in_thread(queue_board_sse.make_app(heartbeat=0.1)) as srv:
        for _ in range(3):
            with socket.create_connection(("127.0.0.1", srv.port)) as sock:
                sock.sendall(request + request)
                assert sock.recv(4096).startswith(b"HTTP/1.1 200 OK")
        assert wait_until(lambda: stats(srv)["streams"] == 0)


def test_a_note_cannot_end_an_event_or_forge_one(server):
    note = "a\n\nid: 99\ndata: forged"
    assert call(server, "E6", "3", note).status == 303
    stream = Stream(server)
    try:
        assert stream.event() == "retry: 3000"
        event = stream.event()
    finally:
        stream.close()
    assert event == as_event(1, "E6", counter=3, note=note)
    assert event.count("\n") == 2


def test_an_idle_stream_gets_a_comment_now_and_then():
    with serve_in_thread(queue_board_sse.make_app(heartbeat=0.05)) as srv:
        stream = Stream(srv)
        try:
            assert [stream.event() for _ in range(3)] == ["retry: 3000"] + [": still here"] * 2
        finally:
            stream.close()
        assert wait_until(lambda: stats(srv)["streams"] == 0)


@pytest.mark.parametrize(
    ("since", "last_event_id"),
    [("", None), ("x", None), ("-1", None), ("%C2%B2", None), ("0", "abc"), ("0", "")],
)
def test_bad_cursors_are_400_with_the_reason_in_the_body(server, since, last_event_id):
    stream = Stream(server, since=since, last_event_id=last_event_id)
    try:
        assert stream.status == 400
        assert stream.headers["Content-Type"] == "application/json; charset=UTF-8"
        assert stream.body() == {"error": "since must be a version from 0 to 0"}
    finally:
        stream.close()
    assert stats(server) == {"version": 0, "streams": 0}


def test_the_status_line_says_only_bad_request(server):
    resp = server.fetch("/events?since=x")
    assert (resp.status, resp.reason) == (400, "Bad Request")


def test_bad_form_is_shown_again_with_messages(server):
    resp = call(server, "<b>", "9", "x" * 41)
    assert resp.status == 400
    errors = [span.string for span in resp.html.find_all(class_="error")]
    assert errors == [
        "A ticket is an optional capital letter and 1 to 3 digits, like A17.",
        "Choose a counter from 1 to 4.",
        "Please keep the note to 40 characters.",
    ]
    assert resp.html.find("input", id="ticket")["value"] == "<b>"
    assert stats(server)["version"] == 0


def test_a_stale_cursor_is_an_event_in_a_200_so_the_page_is_told(server):
    """EventSource gives up for good on any status but 200 and shows no body: say it in-band."""
    stream = Stream(server, since="0", last_event_id="1")
    try:
        assert stream.status == 200
        assert stream.headers["Content-Type"] == EVENT_STREAM
        error = json.dumps({"error": "since must be a version from 0 to 0"})
        while len(stream.raw) < int(stream.headers["Content-Length"]):  # and then it is over
            stream.raw += stream.receive()
        assert stream.raw.decode() == f"event: stale\ndata: {error}\n\n"
    finally:
        stream.close()
    assert stats(server) == {"version": 0, "streams": 0}


# Streams that stop reading, driven from the server's own event loop: the test adds calls to the
# board directly, tens of thousands of them, far faster than over HTTP.


def board_of(app):
    rules = app.wildcard_router.rules
    return next(r.target_kwargs["board"] for r in rules if "board" in r.target_kwargs)


async def serve(app):
    sockets = tornado.netutil.bind_sockets(0, "127.0.0.1")
    server = tornado.httpserver.HTTPServer(app)
    server.add_sockets(sockets)
    return server, sockets[0].getsockname()[1]


async def stalled_stream(port):
    """A GET /events whose client never reads a byte (with a small receive buffer)."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 2048)
    sock.setblocking(False)
    await asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", port))
    sock.send(b"GET /events?since=0 HTTP/1.1\r\nHost: x\r\n\r\n")
    return sock


async def read_through(reader, version):
    """Read a stream's events up to and including the one with this id."""
    while b"id: %d\n" % version not in await reader.readuntil(b"\n\n"):
        pass


def handlers_running():
    return [t for t in asyncio.all_tasks() if "_execute" in repr(t.get_coro())]


async def until(predicate, tries=200):
    for _ in range(tries):
        if predicate():
            return True
        await asyncio.sleep(0.05)
    return predicate()


def test_a_call_during_a_waiting_heartbeat_never_strands_the_stream(monkeypatch):
    """Tornado keeps only the newest write's future: with two writers, one may wait forever."""
    monkeypatch.setattr(queue_board_sse, "MAX_BEHIND", 10**9, raising=False)  # not about the cap

    async def scenario():
        app = queue_board_sse.make_app(heartbeat=0.01)
        board = board_of(app)
        server, port = await serve(app)
        socks = [await stalled_stream(port) for _ in range(2)]
        assert await until(lambda: len(board.streams) == 2)
        for _ in range(40):  # enough to fill the kernel's buffers, with heartbeats in between
            for _ in range(500):
                board.add("A17", 2, "x" * 40)
            await asyncio.sleep(0.02)
        for sock in socks:
            sock.close()
        assert await until(lambda: not handlers_running() and not board.streams)
        server.stop()

    asyncio.run(scenario())


def test_a_stream_that_stops_reading_is_closed_and_the_others_go_on(monkeypatch):
    monkeypatch.setattr(queue_board_sse, "MAX_BEHIND", 300, raising=False)  # > a burst of 100

    async def scenario():
        app = queue_board_sse.make_app()
        board = board_of(app)
        server, port = await serve(app)
        stalled = await stalled_stream(port)
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET /events?since=0 HTTP/1.1\r\nHost: x\r\n\r\n")
        assert await until(lambda: len(board.streams) == 2)
        for _ in range(1000):  # 100,000 calls at most; the kernel's buffers take some 16,000
            if len(board.streams) == 1:
                break
            for _ in range(100):
                board.add("A17", 2, "x" * 40)
            await read_through(reader, board.version)
        assert len(board.streams) == 1, "the stream that does not read is never closed"
        assert next(iter(board.streams)).sent == board.version  # the reader is not behind
        board.add("B5", 4, "")
        await read_through(reader, board.version)
        writer.close()
        stalled.close()
        assert await until(lambda: not handlers_running() and not board.streams)
        server.stop()

    asyncio.run(scenario())


def test_a_catch_up_longer_than_a_batch_is_sent_batch_by_batch_without_a_stall(monkeypatch):
    batches = []  # events written before each flush
    write, flush = queue_board_sse.EventsHandler.write, queue_board_sse.EventsHandler.flush

    def counting_write(self, chunk):
        if isinstance(chunk, str) and chunk.startswith("id: "):
            batches[-1] += 1
        return write(self, chunk)

    def counting_flush(self):
        batches.append(0)
        return flush(self)

    monkeypatch.setattr(queue_board_sse.EventsHandler, "write", counting_write)
    monkeypatch.setattr(queue_board_sse.EventsHandler, "flush", counting_flush)

    async def scenario():
        app = queue_board_sse.make_app(heartbeat=3600)  # a stall would last an hour
        board = board_of(app)
        for n in range(250):
            board.add(str(n), 1, "")
        server, port = await serve(app)
        batches.append(0)
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET /events?since=0 HTTP/1.1\r\nHost: x\r\n\r\n")
        await asyncio.wait_for(read_through(reader, 250), 60)  # all 250, no heartbeat needed
        writer.close()
        assert await until(lambda: not handlers_running() and not board.streams)
        server.stop()

    asyncio.run(scenario())
    assert sum(batches) == 250
    assert max(batches) == queue_board_sse.BATCH  # never more than one batch unsent


def test_a_reader_catching_up_from_far_behind_is_not_closed():
    async def scenario():
        app = queue_board_sse.make_app(heartbeat=3600)
        board = board_of(app)
        for n in range(30000):  # more than the kernel's buffers take
            board.add(str(n % 1000), 1, "")
        server, port = await serve(app)
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 2048)  # reads, but a little at a time
        sock.connect(("127.0.0.1", port))
        reader, writer = await asyncio.open_connection(sock=sock)
        writer.write(b"GET /events?since=0 HTTP/1.1\r\nHost: x\r\n\r\n")
        await read_through(reader, 1)  # it is on the board now, far from the end
        for _ in range(5):
            board.add("B5", 4, "")  # a call made while it catches up
        await asyncio.wait_for(read_through(reader, 30005), 60)
        still = len(board.streams)
        writer.close()
        assert await until(lambda: not handlers_running() and not board.streams)
        server.stop()
        return still

    assert asyncio.run(scenario()) == 1
