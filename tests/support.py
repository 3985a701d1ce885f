"""What the tests share: where things are, free ports, serving and running examples, fetching.

Fixtures are not here: pytest finds them by itself in tests/conftest.py (serving a chapter's
example in-process and as a reader runs it, the chapters' services). Import helpers from here:
`from tests.support import ROOT, run_example`.
"""

import asyncio
import contextlib
import http.client
import importlib
import json
import os
import random
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
# Appendix A's old programs: Python 2.7 and 3.7 run them (tests/legacy, nox -s legacy), never
# the test interpreter, which cannot import them.
LEGACY = EXAMPLES / "porting" / "legacy"
IN_CI = bool(os.environ.get("CI"))


def require(condition, message):
    """Skip with `message` unless `condition`; under CI, fail instead: CI has everything."""
    if not condition:
        (pytest.fail if IN_CI else pytest.skip)(message)


def require_binary(name, package=None):
    """Path of a program the reader would install, or skip (fail under CI) when it is absent."""
    path = shutil.which(name)
    require(path, f"{name} is not installed (Debian: apt-get install {package or name})")
    return path


def postgres_bindir():
    """Debian keeps initdb and pg_ctl in /usr/lib/postgresql/<version>/bin, off the PATH."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    if found:
        return found[-1].parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _port_range():
    """The loopback ports this test process picks from.

    They lie below the kernel's ephemeral range, so no outgoing connection can take one between
    the check here and the moment an example binds it; and each pytest-xdist worker has a slice
    of its own, so two workers never pick the same port.
    """
    ephemeral = 32768
    with contextlib.suppress(OSError, ValueError):
        ephemeral = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    low = max(1024, ephemeral - 16000)
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    worker = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw"))
    size = (ephemeral - low) // workers
    return range(low + worker * size, low + (worker + 1) * size)


PORTS = _port_range()
WAYS = ["in-process", "subprocess"]
# The fixtures below that say which way to serve an example; a test module's own fixture that
# serves it with options of its own takes `mode`.
BOTH_WAYS = ("server", "mode")


def _is_free(port):
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


_GIVEN = set()  # ports this process handed out: free until their server binds them


def free_port(count=1):
    """A free loopback port; with `count`, the first of that many consecutive free ports. Never
    one handed out before in this process: two calls before either server binds its port drew
    the same random number once (nginx: "a duplicate default server")."""
    for _ in range(200):
        first = random.randrange(PORTS.start, PORTS.stop - count)
        ports = range(first, first + count)
        if not _GIVEN.intersection(ports) and all(_is_free(port) for port in ports):
            _GIVEN.update(ports)
            return first
    raise RuntimeError(f"no {count} consecutive free ports in {PORTS}")


@dataclass
class Response:
    status: int
    reason: str
    headers: http.client.HTTPMessage
    body: bytes = field(repr=False)

    @property
    def text(self):
        return self.body.decode("utf-8")

    @property
    def html(self):
        """The body parsed as HTML, for checking structure and escaped text."""
        # Imported here, not above: chapter 9's reader runs pytest with this file loaded, and
        # has only what that chapter installs (tests/test_ch09_club.py checks it).
        from bs4 import BeautifulSoup

        return BeautifulSoup(self.body, "html.parser")


@dataclass
class Server:
    """A running example: where it listens, and a small blocking HTTP client for it."""

    port: int
    process: subprocess.Popen | None = None
    log: Path | None = None

    def output(self):
        """What a subprocess example has printed so far (its log lines included)."""
        return self.log.read_text(encoding="utf-8", errors="replace") if self.log else ""

    @property
    def url(self):
        return f"http://localhost:{self.port}"

    def post_head(self, path, length):
        """Send only the head of a POST announcing `length` bytes; the first bytes of the answer.

        No body follows: a server refusing that size answers and closes before reading one, and
        a body still in flight could turn the close into a reset that hides the answer.
        """
        head = f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Length: {length}\r\n\r\n"
        with socket.create_connection(("127.0.0.1", self.port), timeout=10) as sock:
            sock.sendall(head.encode())
            return sock.recv(100)

    def page(self, path):
        """The HTML page at `path`, parsed: it must come with a 200."""
        resp = self.fetch(path)
        assert resp.status == 200, (resp.status, resp.text[:500])
        return resp.html

    def stylesheet(self, path="/"):
        """The stylesheet the page at `path` links to, fetched from the URL the page gives
        (static_url's, with its version): (that URL, the response)."""
        href = self.page(path).find("link", rel="stylesheet")["href"]
        return href, self.fetch(href)

    def fetch(self, path, method="GET", body=None, headers=None, timeout=10):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            resp = conn.getresponse()
            return Response(resp.status, resp.reason, resp.headers, resp.read())
        finally:
            conn.close()


RESET = "reset"  # a RawServer answer: abort each connection at once, with an RST
SILENT = "silent"  # a RawServer answer: none; each connection stays open, unanswered


class RawServer:
    """A loopback TCP server for playing a broken service: it reads each request's head, sends
    `answer` (raw bytes, whatever they are), and closes the connection. Change `answer` at will;
    b"" closes without a word (a clean FIN), RESET aborts without reading (an RST), SILENT
    never answers and keeps the connection until the client closes it or the server closes:
    `peak` is how many the client kept open at once.
    """

    def __init__(self, answer=b""):
        self.answer = answer
        self.accepted = self.peak = 0
        self.open = []  # SILENT's connections
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:  # closed: the test is over
                return
            self.accepted += 1
            if self.answer == SILENT:
                # A client that closed a connection before opening this one has sent its FIN.
                self.open = [sock for sock in self.open if not closed_by_client(sock)] + [conn]
                self.peak = max(self.peak, len(self.open))
                continue
            if self.answer == RESET:
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                conn.close()
                continue
            with conn, contextlib.suppress(OSError):
                conn.settimeout(10)
                data = b""
                while b"\r\n\r\n" not in data:
                    chunk = conn.recv(65536)
                    if not chunk:
                        break
                    data += chunk
                conn.sendall(self.answer)

    def close(self):
        self.listener.shutdown(socket.SHUT_RDWR)  # wakes the accept() in the thread
        self.listener.close()
        self.thread.join(10)
        for sock in self.open:
            sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def closed_by_client(sock):
    """Whether the client has closed this unanswered connection (then it is closed here too)."""
    try:
        while sock.recv(65536, socket.MSG_DONTWAIT):
            pass  # the request, which is never answered
    except BlockingIOError:
        return False  # still open
    except OSError:
        pass  # reset by the client
    sock.close()
    return True


def wait_for_port(port, process=None, log=None, timeout=15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            output = log.read_text(encoding="utf-8", errors="replace") if log else ""
            raise RuntimeError(f"example exited with {process.returncode}:\n{output}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listened on port {port} within {timeout} s")


def wait_until(predicate, timeout=20.0, interval=0.05):
    """Poll until predicate() is true; False if the deadline passes first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return False


def body_limit(module):
    """listen() keyword arguments for a module that sets MAX_BODY_SIZE, as its main() does."""
    return {"max_body_size": module.MAX_BODY_SIZE} if hasattr(module, "MAX_BODY_SIZE") else {}


def stop(process, signum=signal.SIGTERM, timeout=15):
    """Signal a process and wait for it; kill it if it does not go. Its exit status."""
    if process.poll() is None:
        process.send_signal(signum)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return process.returncode


def ctrl_c(program, *args, port=None, before=None):
    """Start `python examples/<program> --port=N ARGS` as the book does, call `before(port)`,
    press Ctrl+C (SIGINT): (exit status, what it printed on stdout, on stderr)."""
    port = port or free_port()
    command = [sys.executable, f"examples/{program}", f"--port={port}", *map(str, args)]
    with tempfile.TemporaryDirectory() as scratch:
        err = Path(scratch) / "stderr"
        with err.open("wb") as stderr:
            process = subprocess.Popen(
                command, cwd=ROOT, stdout=subprocess.PIPE, stderr=stderr, text=True
            )
        with process:
            try:
                assert process.stdout.readline().startswith("Listening on"), err.read_text()
                if before:
                    before(port)
            finally:
                status = stop(process, signal.SIGINT)
            return status, process.stdout.read(), err.read_text()


def run_python(script, *args, env=None, timeout=60):
    """Run `python SCRIPT ARGS` from the project root to its end (`script` a path relative to
    it, such as bench/c10k.py). Its CompletedProcess, output captured as text."""
    command = [sys.executable, str(script), *map(str, args)]
    return subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )


def run_program(program, *args, env=None, timeout=60):
    """Run `python examples/<program> ARGS` from the project root to its end, as the book says.

    `program` is a path under examples/ or an imported example module. Its CompletedProcess,
    output captured as text.
    """
    relpath = program if isinstance(program, str | Path) else example_relpath(program)
    return run_python(f"examples/{relpath}", *args, env=env, timeout=timeout)


def start_error(program, *args):
    """The last line a program prints when it refuses to start; it must exit with status 1."""
    done = run_program(program, *args, timeout=30)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    return done.stderr.splitlines()[-1]


def sphinx_build(source, out, *options, builder="html", cwd=None, env=None):
    """Build the book in `source` (a docs/ folder or a copy of one) with Sphinx's `builder`
    into `out`, quietly, with any other sphinx-build `options`; fail the test, with the end of
    Sphinx's errors, unless the build succeeds. Returns `out`."""
    command = [sys.executable, "-m", "sphinx", "-q", "-b", builder, *options, source, out]
    done = subprocess.run(list(map(str, command)), capture_output=True, text=True, cwd=cwd, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    return out


@contextlib.contextmanager
def serve_in_thread(app, **listen_kwargs):
    """Serve a Tornado application on a free loopback port from an event loop in a thread.

    `app` is an Application, or an async context manager that yields one: it is entered and left
    inside the server's own loop, for apps whose resources (a database engine, a Redis client)
    must be created, and closed, in the loop that serves them.
    """
    port = free_port()
    loop = asyncio.new_event_loop()
    started = threading.Event()
    stop = failure = None

    async def run():
        nonlocal stop, failure
        stop = asyncio.Event()
        try:
            entered = contextlib.nullcontext(app) if hasattr(app, "listen") else app
            async with entered as application:
                server = application.listen(port, address="127.0.0.1", **listen_kwargs)
                started.set()
                await stop.wait()
                server.stop()
                await server.close_all_connections()
        except Exception as error:  # raised again in the test's thread, below
            failure = error
        finally:
            started.set()

    thread = threading.Thread(target=loop.run_until_complete, args=(run(),), daemon=True)
    thread.start()
    if not started.wait(15):
        raise TimeoutError("the in-process server did not start")
    if failure is not None:
        thread.join(15)
        loop.close()
        raise RuntimeError("the in-process server failed to start") from failure
    try:
        yield Server(port)
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(15)
        loop.close()
    if failure is not None:
        raise RuntimeError("the in-process server failed while stopping") from failure


@contextlib.contextmanager
def run_example(relpath, *args, port=None):
    """Start `python examples/<relpath> --port=N` from the project root, as the book says."""
    port = port or free_port()
    command = [sys.executable, str(Path("examples") / relpath), f"--port={port}", *args]
    # The server's output goes to a file: a pipe nobody reads fills up and blocks the server.
    with tempfile.TemporaryDirectory() as scratch:
        log = Path(scratch) / "server.log"
        with log.open("wb") as out:
            process = subprocess.Popen(command, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
        try:
            wait_for_port(port, process, log)
            yield Server(port, process, log)
        finally:
            stop(process, timeout=10)


def example_relpath(module):
    return Path(module.__file__).resolve().relative_to(EXAMPLES).as_posix()


def example_modules():
    """Every module under examples/, imported: for the tests that check all of them at once."""
    for path in sorted(EXAMPLES.rglob("*.py")):
        if path.name != "__init__.py" and LEGACY not in path.parents:
            yield importlib.import_module(".".join(path.relative_to(ROOT).with_suffix("").parts))


@contextlib.contextmanager
def postgresql_cluster(host_auth="trust"):
    """Start a throwaway PostgreSQL cluster on loopback; yield (port, its socket directory).

    Debian's binaries run it from a temporary directory (as the `postgres` user when the tests
    run as root, since PostgreSQL refuses to run as root). Connections over the socket are
    trusted; over TCP they use `host_auth` (Debian's own clusters want a password there).
    """
    bindir = postgres_bindir()
    require(bindir, "PostgreSQL is not installed (Debian: apt-get install postgresql)")
    # Not under pytest's tmp_path: that is private to root, and the server runs as postgres.
    data = Path(tempfile.mkdtemp(prefix="book-pg-"))
    port = free_port()
    as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    if as_postgres:
        shutil.chown(data, "postgres")
    os.chmod(data, 0o755)  # its socket is there, for clients running as another user
    run = [*as_postgres]
    subprocess.run(
        [
            *run,
            bindir / "initdb",
            "-D",
            data / "data",
            "-U",
            "postgres",
            "--auth-local=trust",
            f"--auth-host={host_auth}",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
        ],
        check=True,
        capture_output=True,
    )
    options = f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={data}"
    subprocess.run(
        [
            *run,
            bindir / "pg_ctl",
            "-D",
            data / "data",
            "-o",
            options,
            "-l",
            data / "server.log",
            "-w",
            "start",
        ],
        check=True,
        capture_output=True,
    )
    try:
        yield port, data
    finally:
        subprocess.run(
            [*run, bindir / "pg_ctl", "-D", data / "data", "-m", "immediate", "stop"],
            capture_output=True,
        )
        shutil.rmtree(data, ignore_errors=True)


async def receive(conn):
    """The next WebSocket message as JSON, or None once the connection is closed (10 s at most)."""
    message = await asyncio.wait_for(conn.read_message(), 10)
    return None if message is None else json.loads(message)


async def hang_up(*conns):
    """Close WebSocket connections and wait until the server has answered each close, so no
    socket is left open."""
    for conn in conns:
        already_closed = conn.close_code is not None
        conn.close()
        while not already_closed and await receive(conn) is not None:
            pass
