import asyncio
import json

import pytest
import tornado.httpclient
import tornado.websocket

from examples.ch10 import meter
from tests.support import (
    ctrl_c,
    example_relpath,
    hang_up,
    receive,
    run_example,
    serve_in_thread,
)

EXAMPLE = meter
FAST = 0.05


@pytest.fixture
def metered(mode):
    """The meter as main() runs it, a reading every FAST seconds: imported, or from a terminal."""
    if mode == "in-process":
        with serve_in_thread(meter.metering(FAST)) as srv:
            yield srv
    else:
        with run_example(example_relpath(meter), f"--interval={FAST}") as srv:
            yield srv


async def connect(port):
    request = tornado.httpclient.HTTPRequest(f"ws://127.0.0.1:{port}/feed")
    return await tornado.websocket.websocket_connect(request)


@pytest.mark.reader
def test_next_waits_for_the_reading_after_the_one_given(metered):
    resp = metered.fetch("/next?after=2")
    assert resp.status == 200
    assert json.loads(resp.body) == {"reading": {"seq": 3, "celsius": 21.5}}
    assert json.loads(metered.fetch("/next?after=0").body)["reading"]["seq"] == 1


@pytest.mark.reader
def test_every_feed_gets_every_reading_in_order(metered):
    async def scenario():
        feeds = [await connect(metered.port) for _ in range(3)]
        seen = [[(await receive(feed))["seq"] for _ in range(5)] for feed in feeds]
        await hang_up(*feeds)
        return seen

    for seqs in asyncio.run(scenario()):
        assert seqs == list(range(seqs[0], seqs[0] + 5))  # the latest first, then each new one


def test_a_feed_that_opens_late_gets_the_latest_reading_at_once(metered):
    metered.fetch("/next?after=2")  # three readings have been published

    async def scenario():
        feed = await connect(metered.port)
        first = await receive(feed)
        await hang_up(feed)
        return first

    assert asyncio.run(scenario())["seq"] >= 3


def test_the_meter_thread_stops_and_is_joined():
    async def scenario():
        got = []
        reader = meter.Meter(got.append, 0.01)
        reader.start()
        while len(got) < 3:
            await asyncio.sleep(0.01)
        await reader.stop()
        return got, reader.thread.is_alive()

    got, alive = asyncio.run(scenario())
    assert [reading["seq"] for reading in got[:3]] == [1, 2, 3]
    assert not alive


def test_nothing_new_in_time_is_an_empty_answer():
    with serve_in_thread(meter.make_app(poll_timeout=0.05)) as srv:
        assert json.loads(srv.fetch("/next?after=0").body) == {"reading": None}
        assert json.loads(srv.fetch("/stats").body) == {"feeds": 0, "latest": None}


@pytest.mark.parametrize("after", ["x", "-1", "1.5", "", "9" * 10, "%C2%B2", "%00"])
def test_a_bad_cursor_is_400(server, after):
    resp = server.fetch(f"/next?after={after}")
    assert resp.status == 400
    assert json.loads(resp.body) == {"error": "after must be a reading number from 0 to 999999999"}


def test_the_oldest_kept_reading_newer_than_the_cursor():
    hub = meter.Hub()
    for seq in range(1, meter.HISTORY + 11):
        hub.history.append({"seq": seq})
    assert hub.after(0) == {"seq": 11}  # 1 to 10 are no longer kept
    assert hub.after(50) == {"seq": 51}
    assert hub.after(meter.HISTORY + 10) is None


def test_a_feed_that_speaks_is_closed_with_1003(server):
    async def scenario():
        feed = await connect(server.port)
        await feed.write_message("hello")
        assert await receive(feed) is None
        await hang_up(feed)
        return feed.close_code, feed.close_reason

    assert asyncio.run(scenario()) == (1003, "this feed only sends")


def test_closed_feeds_are_forgotten(server):
    async def scenario():
        feeds = [await connect(server.port) for _ in range(3)]
        await hang_up(*feeds[:2])
        for _ in range(500):
            if json.loads(server.fetch("/stats").body)["feeds"] == 1:
                break
            await asyncio.sleep(0.01)
        stats = json.loads(server.fetch("/stats").body)
        await hang_up(feeds[2])
        return stats

    assert asyncio.run(scenario()) == {"feeds": 1, "latest": None}


class Feed:
    """Stands in for a FeedHandler where only the hub's side of it is being tested."""

    def __init__(self):
        self.outbox = asyncio.Queue(meter.OUTBOX)
        self.closed = []

    def deliver(self, message):
        meter.FeedHandler.deliver(self, message)

    def close(self, code=None, reason=None):
        self.closed.append((code, reason))


def test_a_reading_waits_in_each_feeds_outbox_and_a_slow_feed_is_closed_with_1013():
    hub = meter.Hub()
    feed = Feed()
    hub.feeds.add(feed)
    for seq in range(1, meter.OUTBOX + 2):
        hub.publish({"seq": seq, "celsius": 20.5})
    assert feed.outbox.qsize() == meter.OUTBOX  # bounded: the rest is not kept for it
    assert json.loads(feed.outbox.get_nowait()) == {"seq": 1, "celsius": 20.5}
    assert feed.closed == [(1013, "too far behind")]


def test_a_write_after_close_ends_the_sender():
    class Closed:
        outbox = asyncio.Queue()

        def write_message(self, message):
            raise tornado.websocket.WebSocketClosedError()

    closed = Closed()
    closed.outbox.put_nowait("{}")
    assert asyncio.run(meter.FeedHandler.send(closed)) is None


def test_one_feed_too_many_is_503_before_the_handshake():
    with serve_in_thread(meter.make_app(max_feeds=1)) as srv:

        async def scenario():
            first = await connect(srv.port)
            resp = srv.fetch("/feed")
            await hang_up(first)
            return resp

        resp = asyncio.run(scenario())
    assert resp.status == 503
    assert resp.headers["Retry-After"] == "30"
    assert json.loads(resp.body) == {"error": "at most 1 feeds may be open; try again later"}


@pytest.mark.parametrize("path", ["/next?after=0", "/stats", "/feed"])
def test_a_foreign_host_is_refused(server, path):
    # DNS rebinding: a page on attacker.example, whose name now resolves to 127.0.0.1; its
    # WebSocket handshake's Origin matches its Host, so Tornado's own origin check lets it in
    headers = {"Host": "attacker.example", "Origin": "http://attacker.example"}
    resp = server.fetch(path, headers=headers)
    assert resp.status == 403
    assert json.loads(resp.body) == {"error": "this server answers only to localhost and 127.0.0.1"}


@pytest.mark.reader
def test_a_big_body_is_refused_before_it_is_read(server):
    assert server.post_head("/next", meter.MAX_BODY_SIZE + 1).startswith(b"HTTP/1.1 400")


def test_feeds_are_pinged():
    assert meter.make_app().settings["websocket_ping_interval"] == 20


def test_ctrl_c_stops_it_without_a_traceback():
    status, out, err = ctrl_c(example_relpath(meter))
    assert status == 0
    assert out.endswith("Stopped\n")
    assert "Traceback" not in out + err
