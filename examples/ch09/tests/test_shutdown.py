"""Stopping: on SIGTERM the program finishes the request it is answering, then exits with 0."""

import asyncio
import contextlib
import signal
import sys

import pytest
import pytest_asyncio
from tornado.testing import bind_unused_port
from tornado.websocket import websocket_connect

from examples.ch09 import club


# ANCHOR: program
@pytest_asyncio.fixture
async def program(database_url, weather, tmp_path):
    """The club as a separate process, run as a reader runs it: (process, its URL)."""
    sock, port = bind_unused_port()
    sock.close()  # the program binds it again: see "Ports" for the race this leaves
    errors = tmp_path / "club.stderr"  # a file, not a pipe: a full pipe nobody reads stops it
    with errors.open("wb") as stderr:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            club.__file__,
            f"--port={port}",
            f"--database-url={database_url}",
            f"--upstream={weather.url}",
            stdout=asyncio.subprocess.PIPE,
            stderr=stderr,
        )
    try:
        async with asyncio.timeout(10):
            started = await process.stdout.readline()
            assert started == f"Listening on http://localhost:{port}/\n".encode(), (
                errors.read_text()  # why it did not start
            )
        yield process, f"http://127.0.0.1:{port}"
    finally:  # also when the test failed, timed out or was interrupted half-way
        with contextlib.suppress(ProcessLookupError):  # it has exited, as it should have ...
            process.kill()  # ... unless the test failed: do not leave it running
        async with asyncio.timeout(10):
            await process.wait()


# ANCHOR_END: program
# ANCHOR: sigterm
@pytest.mark.asyncio
async def test_sigterm_lets_the_running_request_finish(program, weather, http_client):
    process, url = program
    weather.behaviour = "slow"
    request = asyncio.ensure_future(http_client.fetch(f"{url}/weather"))
    try:
        async with asyncio.timeout(10):  # a limit on every wait: it fails, never hangs
            await weather.asked.wait()  # the program is now waiting for the weather service
            process.send_signal(signal.SIGTERM)
            assert await process.stdout.readline() == b"Stopping; 1 request(s) still running\n"
            with pytest.raises(ConnectionRefusedError):  # it takes no new connections ...
                await asyncio.open_connection("127.0.0.1", int(url.rsplit(":", 1)[1]))
            weather.release.set()
            response = await request  # ... but finishes the one it has
            assert response.code == 200
            assert await process.wait() == 0
            assert await process.stdout.read() == b"Stopped\n"
    finally:  # failed half-way: its error is collected here, not reported as "never retrieved"
        request.cancel()
        await asyncio.gather(request, return_exceptions=True)


# ANCHOR_END: sigterm
# ANCHOR: going_away
@pytest.mark.asyncio
async def test_open_feeds_are_told_the_server_is_going_away(program):
    process, url = program
    async with asyncio.timeout(10):
        feed = await websocket_connect(url.replace("http://", "ws://") + "/feed")
        process.send_signal(signal.SIGTERM)
        assert await feed.read_message() is None  # closed by the server ...
        assert (feed.close_code, feed.close_reason) == (1001, "the server is restarting")
        feed.close()  # ... and still to be closed here, or it warns "Unclosed" when collected
        assert await process.wait() == 0


# ANCHOR_END: going_away
