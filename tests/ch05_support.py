"""What chapter 5's tests and Appendix A's share: the slow services a client example calls
(examples/ch05/upstream.py, examples/porting/rail.py), the clients served either way, the
broken services a client must survive, the waiting room's parked clients and the queue
boards' form. Import from here: `from tests.ch05_support import ...`.
"""

import concurrent.futures
import contextlib
import functools
import json
import socket
import urllib.parse

from examples.ch05 import upstream
from examples.porting import rail
from tests.support import RawServer, example_relpath, run_example, serve_in_thread, wait_until


@contextlib.contextmanager
def serve_service(service, mode="in-process", delay=0.0, **switches):
    """A slow service for a client example to call (ch05/upstream.py, porting/rail.py):
    `make_app(delay=..., fail=True, ...)` in-process, or as the reader starts it,
    `--delay=... --fail ...` (a switch `hang_up=True` is `--hang-up`)."""
    if mode == "in-process":
        with serve_in_thread(service.make_app(delay=delay, **switches)) as srv:
            yield srv
    else:
        args = [f"--delay={delay}"]
        args += [f"--{name.replace('_', '-')}" for name, on in switches.items() if on]
        with run_example(example_relpath(service), *args) as srv:
            yield srv


serve_upstream = functools.partial(serve_service, upstream)  # chapter 5's weather service
serve_rail = functools.partial(serve_service, rail)  # Appendix A's rail service


@contextlib.contextmanager
def serve_client(client, mode, upstream_url, timeout=None):
    """A client example (forecast, trip board, departure board) calling `upstream_url`:
    `make_app(upstream_url[, timeout])` in-process, or with `--upstream=... [--timeout=...]`."""
    timeouts = () if timeout is None else (timeout,)
    if mode == "in-process":
        with serve_in_thread(client.make_app(upstream_url, *timeouts)) as srv:
            yield srv
    else:
        args = [f"--upstream={upstream_url}", *(f"--timeout={t}" for t in timeouts)]
        with run_example(example_relpath(client), *args) as srv:
            yield srv


def base_url(srv):
    return f"http://127.0.0.1:{srv.port}"


def stats(srv, path="/stats"):
    """A service's counters: in flight now, the peak, served (rail.py's are at /load)."""
    return json.loads(srv.fetch(path).body)


def load(srv):
    """rail.py's counters."""
    return stats(srv, "/load")


def fetch_together(srv, paths):
    """Send every request at the same moment from its own thread; the responses, in order."""
    with concurrent.futures.ThreadPoolExecutor(len(paths)) as pool:
        return list(pool.map(srv.fetch, paths))


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


def garbage_error(client, kind):
    """The error a client example reports when its upstream answers GARBAGE[kind]."""
    if kind == "redirect to ftp":
        return "the weather service answered 302"  # not followed: it never redirects
    return client.BROKEN if kind in BROKEN_KINDS else client.NOT_A_REPORT


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


# The waiting room (waiting_room.py, waiting_room_threads.py): clients parked at /wait

WAIT = b"GET /wait HTTP/1.1\r\nHost: x\r\n\r\n"


def park(server, count):
    """Open `count` connections that each wait at /wait; return their sockets."""
    socks = []
    for _ in range(count):
        sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
        sock.sendall(WAIT)
        socks.append(sock)
    return socks


def read_response(sock):
    data = b""
    while not data.endswith(b"released\n"):
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


def release_everyone(server, count):
    """Park `count` clients, wait until all of them wait, release them: (/release's JSON, the
    answers the clients read)."""
    socks = park(server, count)
    try:
        assert wait_until(lambda: stats(server)["waiting"] == count)
        resp = server.fetch("/release", method="POST", body=b"")
        return json.loads(resp.body), [read_response(sock) for sock in socks]
    finally:
        for sock in socks:
            sock.close()


# The queue boards (queue_board.py, queue_board_sse.py)


def call(server, ticket="A17", counter="2", note=""):
    """Call a ticket to a counter through the board's form."""
    body = urllib.parse.urlencode(dict(ticket=ticket, counter=counter, note=note))
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    return server.fetch("/", method="POST", body=body, headers=headers)
