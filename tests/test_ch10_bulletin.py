import asyncio
import json
import signal
import urllib.parse

import pytest
import tornado.httpclient
import tornado.websocket

from examples.ch10 import bulletin
from tests.support import example_relpath, hang_up, receive, run_example

EXAMPLE = bulletin


FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def post(srv, text):
    body = urllib.parse.urlencode({"text": text})
    return srv.fetch("/posts", method="POST", body=body, headers=FORM)


def stats(srv):
    return json.loads(srv.fetch("/stats").body)


async def connect(port, after=0):
    request = tornado.httpclient.HTTPRequest(f"ws://127.0.0.1:{port}/feed?after={after}")
    return await tornado.websocket.websocket_connect(request)


async def gone(srv, feeds=0):
    """Wait until the server has seen the feeds go (its on_close has run)."""
    for _ in range(1000):
        if stats(srv)["feeds"] == feeds:
            return True
        await asyncio.sleep(0.01)
    return False


@pytest.mark.reader
def test_a_post_reaches_an_open_feed(server):
    async def scenario():
        feed = await connect(server.port)
        resp = post(server, "  tea is ready  ")
        got = await receive(feed)
        await hang_up(feed)
        return resp, got

    resp, got = asyncio.run(scenario())
    assert resp.status == 201
    assert json.loads(resp.body) == {"id": 1}
    assert got == {"id": 1, "text": "tea is ready"}


@pytest.mark.reader
def test_a_feed_that_comes_back_gets_what_it_missed(server):
    for text in ["one", "two", "three"]:
        post(server, text)

    async def scenario():
        feed = await connect(server.port, after=1)
        got = [await receive(feed) for _ in range(2)]
        await hang_up(feed)
        return got

    assert asyncio.run(scenario()) == [{"id": 2, "text": "two"}, {"id": 3, "text": "three"}]


def test_the_code_a_client_closes_with_is_what_the_server_sees(server):
    async def scenario():
        feed = await connect(server.port)
        feed.close(1000, "read enough")
        assert await receive(feed) is None
        return await gone(server)

    assert asyncio.run(scenario())
    assert stats(server) == {"feeds": 0, "posts": 0, "goodbyes": [[1000, "read enough"]]}


def test_a_connection_dropped_without_a_close_frame_has_no_code(server):
    async def scenario():
        feed = await connect(server.port)
        feed.protocol.stream.close()  # the network fails: no close frame is sent
        assert await receive(feed) is None
        feed.close()
        return await gone(server)

    assert asyncio.run(scenario())
    assert stats(server)["goodbyes"] == [[None, None]]


def test_a_feed_that_speaks_is_closed_with_1003(server):
    async def scenario():
        feed = await connect(server.port)
        await feed.write_message("hello")
        assert await receive(feed) is None
        feed.close()
        return feed.close_code, feed.close_reason

    assert asyncio.run(scenario()) == (1003, "this feed only sends")


@pytest.mark.parametrize(
    "text", ["", "   ", "x" * 201, None, "hello\n#2 SECURITY: run this", "a\rb", "\u202egnp.exe"]
)
def test_a_bad_post_is_400(server, text):
    body = "" if text is None else urllib.parse.urlencode({"text": text})
    resp = server.fetch("/posts", method="POST", body=body, headers=FORM)
    assert resp.status == 400
    error = "text must be 1 to 200 printable characters on one line"
    assert json.loads(resp.body) == {"error": error}
    assert stats(server)["posts"] == 0


def test_a_body_over_the_handlers_limit_is_413_with_a_message(server):
    resp = post(server, "x" * 5000)
    assert resp.status == 413
    assert json.loads(resp.body) == {"error": "the body must be at most 4096 bytes"}


@pytest.mark.parametrize("path", ["/posts", "/stats", "/feed"])
def test_a_foreign_host_is_refused(server, path):
    # DNS rebinding: a page on attacker.example, whose name now resolves to 127.0.0.1
    resp = server.fetch(path, headers={"Host": "attacker.example"})
    assert resp.status == 403
    assert json.loads(resp.body) == {"error": "this server answers only to localhost and 127.0.0.1"}


def test_a_cross_site_post_is_403(server):
    headers = dict(FORM, Origin="https://evil.example")
    resp = server.fetch("/posts", method="POST", body="text=hi", headers=headers)
    assert resp.status == 403
    assert json.loads(resp.body) == {"error": "Origin 'https://evil.example' not allowed"}
    assert stats(server)["posts"] == 0


@pytest.mark.parametrize("after", ["x", "-1", "1.5", "", "9" * 10, "%C2%B2", "%00"])
def test_a_bad_cursor_is_a_plain_400_before_any_handshake(server, after):
    resp = server.fetch(f"/feed?after={after}")
    assert resp.status == 400
    assert json.loads(resp.body) == {"error": "after must be a post number from 0 to 999999999"}


class Feed:
    """Stands in for a FeedHandler where only the board's side of it is being tested."""

    def __init__(self, board, answers=True, room=1):
        self.board, self.answers = board, answers
        self.outbox = asyncio.Queue(room)
        self.closed = []

    def deliver(self, post):
        bulletin.FeedHandler.deliver(self, post)

    def close(self, code=None, reason=None):
        self.closed.append((code, reason))
        if self.answers:  # the client answers our close frame: on_close runs soon after
            asyncio.get_running_loop().call_soon(self.board.leave, self, code, reason)


def test_a_feed_too_far_behind_is_closed_with_1013():
    board = bulletin.Board()
    slow = Feed(board, answers=False, room=1)
    board.feeds.add(slow)
    board.post("one")
    board.post("two")  # the outbox holds one post: "one" is still waiting
    assert slow.closed == [(1013, "too far behind")]


def test_a_write_after_close_ends_the_sender():
    class Closed:
        outbox = asyncio.Queue()

        def write_message(self, message):
            raise tornado.websocket.WebSocketClosedError()

    closed = Closed()
    closed.outbox.put_nowait({"id": 1, "text": "one"})
    assert asyncio.run(bulletin.FeedHandler.send(closed)) is None


def test_closing_all_waits_for_the_answers_but_not_forever():
    async def scenario():
        board = bulletin.Board()
        polite, mute = Feed(board), Feed(board, answers=False)
        board.feeds.update({polite, mute})
        await board.close_all(1001, "bye", grace=0.05)
        return board, polite, mute

    board, polite, mute = asyncio.run(scenario())
    assert polite.closed == mute.closed == [(1001, "bye")]
    assert board.feeds == {mute}  # cut off with the process
    assert list(board.goodbyes) == [[1001, "bye"]]


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_stopping_closes_every_feed_with_1001(signum):
    with run_example(example_relpath(bulletin)) as srv:

        async def scenario():
            feeds = [await connect(srv.port) for _ in range(2)]
            srv.process.send_signal(signum)
            for feed in feeds:
                assert await receive(feed) is None
                feed.close()
            return {(feed.close_code, feed.close_reason) for feed in feeds}

        assert asyncio.run(scenario()) == {(1001, "server shutting down")}
        assert srv.process.wait(15) == 0  # it stops by itself once the feeds are closed
        assert srv.output().endswith("Stopped\n")


def test_an_error_without_a_message_keeps_tornados_page(server):
    resp = server.fetch("/posts", method="PUT", body="")
    assert resp.status == 405
    assert b"405: Method Not Allowed" in resp.body
