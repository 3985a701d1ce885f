import concurrent.futures
import contextlib
import json
import socket

import pytest

from examples.ch05 import upstream
from tests.support import RawServer, run_example, serve_in_thread, start_error

EXAMPLE = upstream


@contextlib.contextmanager
def serve_upstream(delay=0.0, fail=False, mode="in-process", hang_up=False):
    """A weather service for a client example to call; its base URL."""
    if mode == "in-process":
        with serve_in_thread(upstream.make_app(delay=delay, fail=fail, hang_up=hang_up)) as srv:
            yield srv
    else:
        args = [f"--delay={delay}"] + (["--fail"] if fail else [])
        args += ["--hang-up"] if hang_up else []
        with run_example("ch05/upstream.py", *args) as srv:
            yield srv


GARBAGE = {
    "no status line": b"HELLO THERE\r\n\r\n",
    "body cut short": b'HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{"city":',
    "not JSON": b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
    "a JSON list": b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n[]",
    "deeply nested": b"HTTP/1.1 200 OK\r\nContent-Length: 200000\r\n\r\n" + b"[" * 200000,
    "wrong fields": b'HTTP/1.1 200 OK\r\nContent-Length: 24\r\n\r\n{"city": 1, "sky": null}',
    "huge header": b"HTTP/1.1 200 OK\r\nX-Big: " + b"x" * 70_000 + b"\r\n\r\n",
    "redirect to ftp": b"HTTP/1.1 302 Found\r\nLocation: ftp://127.0.0.1/x\r\n\r\n",
}
BROKEN_KINDS = ("no status line", "body cut short", "huge header")


@contextlib.contextmanager
def serve_garbage(kind):
    """A raw socket server that reads each request and answers with GARBAGE[kind]; its base URL."""
    with RawServer(GARBAGE[kind]) as server:
        yield server.url


@contextlib.contextmanager
def unanswered_connect():
    """A base URL whose connections are never accepted: the listen queue is full."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    address = listener.getsockname()
    fillers = []
    with contextlib.ExitStack() as stack:
        stack.callback(listener.close)
        for _ in range(4):  # the kernel queues one or two; then SYNs are dropped
            sock = stack.enter_context(socket.socket())
            sock.setblocking(False)
            sock.connect_ex(address)
            fillers.append(sock)
        yield f"http://{address[0]}:{address[1]}"


def base_url(srv):
    return f"http://127.0.0.1:{srv.port}"


def stats(srv):
    return json.loads(srv.fetch("/stats").body)


def fetch_together(srv, paths):
    """Send every request at the same moment from its own thread; the responses, in order."""
    with concurrent.futures.ThreadPoolExecutor(len(paths)) as pool:
        return list(pool.map(srv.fetch, paths))


@pytest.mark.reader
def test_weather_for_a_known_city(server):
    resp = server.fetch("/weather/lhasa")
    assert resp.status == 200
    assert json.loads(resp.body) == {"city": "Lhasa", "sky": "clear", "temp_c": 15}
    assert stats(server) == {"in_flight": 0, "peak": 1, "served": 1}


def test_unknown_city_is_404_json(server):
    resp = server.fetch("/weather/atlantis")
    assert resp.status == 404
    assert json.loads(resp.body) == {"error": "no weather for this city"}


def test_only_lowercase_names_are_routed(server):
    assert server.fetch("/weather/Lhasa").status == 404
    assert stats(server)["served"] == 0


@pytest.mark.reader
def test_a_failing_service_answers_503(mode):
    with serve_upstream(fail=True, mode=mode) as srv:
        resp = srv.fetch("/weather/beijing")
    assert resp.status == 503
    assert json.loads(resp.body) == {"error": "the weather service is down for maintenance"}


@pytest.mark.reader
def test_a_service_that_hangs_up_sends_nothing(mode):
    with serve_upstream(hang_up=True, mode=mode) as srv:
        with socket.create_connection(("127.0.0.1", srv.port), timeout=10) as sock:
            sock.sendall(b"GET /weather/beijing HTTP/1.1\r\nHost: x\r\n\r\n")
            assert sock.recv(100) == b""  # the connection closed before a single byte came
        assert stats(srv) == {"in_flight": 0, "peak": 0, "served": 0}


def test_a_hang_up_is_logged_as_444_not_200(caplog):
    with serve_upstream(hang_up=True) as srv, caplog.at_level("INFO", "tornado.access"):
        with socket.create_connection(("127.0.0.1", srv.port), timeout=10) as sock:
            sock.sendall(b"GET /weather/beijing HTTP/1.1\r\nHost: x\r\n\r\n")
            assert sock.recv(100) == b""
        stats(srv)
    messages = [record.getMessage() for record in caplog.records]
    logged = [message.split(" (")[0] for message in messages if "/weather/" in message]
    assert logged == ["444 GET /weather/beijing"]


def test_requests_overlap_while_they_wait():
    with serve_upstream(delay=1.0) as srv:
        replies = fetch_together(srv, ["/weather/harbin"] * 3)
        assert [r.status for r in replies] == [200, 200, 200]
        assert stats(srv) == {"in_flight": 0, "peak": 3, "served": 3}


@pytest.mark.parametrize(
    ("argument", "message"),
    [
        ("--delay=-1", "error: delay must be between 0 and 60 seconds, not -1.0"),
        ("--delay=soon", "error: could not convert string to float: 'soon'"),
    ],
)
def test_bad_delay_is_a_clear_error(argument, message):
    assert start_error("ch05/upstream.py", argument) == message
