"""Fixtures shared by every test: run an example in-process or as a reader runs it, and fetch."""

import asyncio
import contextlib
import http.client
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

ROOT = Path(__file__).resolve().parent
EXAMPLES = ROOT / "examples"
IN_CI = bool(os.environ.get("CI"))


def require_binary(name, package=None):
    """Path of a program the reader would install, or skip (fail under CI) when it is absent."""
    path = shutil.which(name)
    if path is None:
        message = f"{name} is not installed (Debian: apt-get install {package or name})"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return path


def postgres_bindir():
    """Debian keeps initdb and pg_ctl in /usr/lib/postgresql/<version>/bin, off the PATH."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    if found:
        return found[-1].parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


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

    def fetch(self, path, method="GET", body=None, headers=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            resp = conn.getresponse()
            return Response(resp.status, resp.reason, resp.headers, resp.read())
        finally:
            conn.close()


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


@contextlib.contextmanager
def serve_in_thread(app, **listen_kwargs):
    """Serve a Tornado application on a free loopback port from an event loop in a thread."""
    port = free_port()
    loop = asyncio.new_event_loop()
    started = threading.Event()
    stop = None

    async def run():
        nonlocal stop
        stop = asyncio.Event()
        server = app.listen(port, address="127.0.0.1", **listen_kwargs)
        started.set()
        await stop.wait()
        server.stop()
        await server.close_all_connections()

    thread = threading.Thread(target=loop.run_until_complete, args=(run(),), daemon=True)
    thread.start()
    if not started.wait(10):
        raise TimeoutError("the in-process server did not start")
    try:
        yield Server(port)
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(10)
        loop.close()


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
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def example_relpath(module):
    return Path(module.__file__).resolve().relative_to(EXAMPLES).as_posix()


@pytest.fixture(params=["in-process", "subprocess"])
def server(request):
    """The test module's EXAMPLE, served both ways: imported, and run from a terminal."""
    module = request.module.EXAMPLE
    if request.param == "in-process":
        limits = {"max_body_size": module.MAX_BODY_SIZE} if hasattr(module, "MAX_BODY_SIZE") else {}
        with serve_in_thread(module.make_app(), **limits) as srv:
            yield srv
    else:
        with run_example(example_relpath(module)) as srv:
            yield srv


@pytest.fixture(scope="session")
def postgresql_url():
    """A throwaway PostgreSQL server on loopback; its URL. One per test session.

    Debian's binaries run it from a temporary directory (as the `postgres` user when the tests
    run as root, since PostgreSQL refuses to run as root). Tests create their own databases.
    """
    bindir = postgres_bindir()
    if bindir is None:
        message = "PostgreSQL is not installed (Debian: apt-get install postgresql)"
        pytest.fail(message) if IN_CI else pytest.skip(message)
    # Not under pytest's tmp_path: that is private to root, and the server runs as postgres.
    data = Path(tempfile.mkdtemp(prefix="book-pg-"))
    port = free_port()
    as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    if as_postgres:
        shutil.chown(data, "postgres")
    run = [*as_postgres]
    subprocess.run(
        [*run, bindir / "initdb", "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8",
         "--locale=C.UTF-8"],
        check=True, capture_output=True,
    )  # fmt: skip
    options = f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={data}"
    subprocess.run(
        [*run, bindir / "pg_ctl", "-D", data, "-o", options, "-l", data / "server.log", "-w",
         "start"],
        check=True, capture_output=True,
    )  # fmt: skip
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            [*run, bindir / "pg_ctl", "-D", data, "-m", "immediate", "stop"], capture_output=True
        )
        shutil.rmtree(data, ignore_errors=True)
