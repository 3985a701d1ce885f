"""A meter read in a worker thread; every reading is handed to the event loop and pushed to
each WebSocket client (and to anyone waiting at /next)."""

import asyncio
import collections
import contextlib
import json
import re
import sys
import threading

import tornado.ioloop
import tornado.locks
import tornado.options
import tornado.web
import tornado.websocket
from tornado.options import define, options

INTERVAL = 1.0
POLL_TIMEOUT = 25
HISTORY = 100
MAX_FEEDS = 100  # open WebSocket feeds; one more gets a 503 before the handshake
OUTBOX = 20  # readings waiting to be sent to one feed before it counts as too slow
MAX_BODY_SIZE = 64 * 1024  # nothing here reads a body: refuse big ones before reading them
TOO_SLOW = 1013  # "try again later"
# Hosts this server answers to: a page on another name that resolves to 127.0.0.1 (DNS
# rebinding) is refused, as in bulletin.py. A real deployment lists its own names.
LOCAL_HOSTS = {"localhost", "127.0.0.1"}
SEQUENCE = re.compile(r"[0-9]{1,9}")


# ANCHOR: meter
class Meter:
    """Reads an instrument in its own thread; only call_soon_threadsafe crosses to the loop."""

    def __init__(self, publish, interval):
        self.loop = asyncio.get_running_loop()  # the loop of the thread that creates us
        self.publish = publish
        self.interval = interval
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self.run, name="meter")

    def read(self, seq):
        """The blocking call: a real meter would wait on a serial port or a C library here."""
        if self.stopping.wait(self.interval):
            return None
        return {"seq": seq, "celsius": 20 + seq % 7 / 2}

    def run(self):
        seq = 1
        while (reading := self.read(seq)) is not None:
            self.loop.call_soon_threadsafe(self.publish, reading)
            seq += 1

    def start(self):
        self.thread.start()

    async def stop(self):
        self.stopping.set()
        await asyncio.to_thread(self.thread.join)


# ANCHOR_END: meter


# ANCHOR: hub
class Hub:
    """Lives in the loop's thread: the recent readings, the open feeds, the waiting requests."""

    def __init__(self):
        self.history = collections.deque(maxlen=HISTORY)
        self.feeds = set()
        self.fresh = tornado.locks.Condition()

    def after(self, seq):
        """The oldest reading still kept that is newer than `seq`, or None."""
        return next((reading for reading in self.history if reading["seq"] > seq), None)

    def publish(self, reading):
        self.history.append(reading)
        self.fresh.notify_all()
        message = json.dumps(reading)
        for feed in list(self.feeds):
            feed.deliver(message)


# ANCHOR_END: hub


def refused(handler):
    """Answer 403 to a request for a name this server does not answer to; True if so."""
    if handler.request.host_name in LOCAL_HOSTS:
        return False
    handler.set_status(403)
    handler.finish({"error": "this server answers only to localhost and 127.0.0.1"})
    return True


class FeedHandler(tornado.websocket.WebSocketHandler):
    """Each feed has its own outbox and sending task, as in bulletin.py: a slow client holds
    at most OUTBOX readings, then is closed with 1013."""

    def initialize(self, hub, max_feeds=MAX_FEEDS):
        self.hub = hub
        self.max_feeds = max_feeds
        self.outbox = asyncio.Queue(OUTBOX)

    def prepare(self):  # before the handshake
        if refused(self):
            return
        if len(self.hub.feeds) >= self.max_feeds:
            self.set_status(503)
            self.set_header("Retry-After", "30")
            self.finish({"error": f"at most {self.max_feeds} feeds may be open; try again later"})

    def open(self):
        self.hub.feeds.add(self)
        if self.hub.history:
            self.deliver(json.dumps(self.hub.history[-1]))
        self.sender = asyncio.create_task(self.send())

    def deliver(self, message):
        try:
            self.outbox.put_nowait(message)
        except asyncio.QueueFull:
            self.close(TOO_SLOW, "too far behind")

    async def send(self):
        while True:
            message = await self.outbox.get()
            try:
                await self.write_message(message)
            except tornado.websocket.WebSocketClosedError:
                return  # closed meanwhile: on_close does the rest

    def on_message(self, message):
        self.close(1003, "this feed only sends")

    def on_close(self):
        self.sender.cancel()
        self.hub.feeds.discard(self)


class NextHandler(tornado.web.RequestHandler):
    def initialize(self, hub, poll_timeout):
        self.hub = hub
        self.poll_timeout = poll_timeout

    def prepare(self):
        refused(self)

    async def get(self):
        after = self.get_query_argument("after", "0")
        if not SEQUENCE.fullmatch(after):
            self.set_status(400)
            self.write({"error": "after must be a reading number from 0 to 999999999"})
            return
        deadline = tornado.ioloop.IOLoop.current().time() + self.poll_timeout
        while (reading := self.hub.after(int(after))) is None:
            if not await self.hub.fresh.wait(timeout=deadline):
                break  # nothing newer in time: the client asks again
        self.write({"reading": reading})


class StatsHandler(tornado.web.RequestHandler):
    def initialize(self, hub):
        self.hub = hub

    def prepare(self):
        refused(self)

    def get(self):
        latest = self.hub.history[-1] if self.hub.history else None
        self.write({"feeds": len(self.hub.feeds), "latest": latest})


def make_app(hub=None, poll_timeout=POLL_TIMEOUT, max_feeds=MAX_FEEDS):
    hub = hub or Hub()
    return tornado.web.Application(
        [
            (r"/feed", FeedHandler, dict(hub=hub, max_feeds=max_feeds)),
            (r"/next", NextHandler, dict(hub=hub, poll_timeout=poll_timeout)),
            (r"/stats", StatsHandler, dict(hub=hub)),
        ],
        websocket_max_message_size=1024,
        websocket_ping_interval=20,  # feeds whose clients vanished without a word are closed
    )


# ANCHOR: metering
@contextlib.asynccontextmanager
async def metering(interval=INTERVAL):
    """The application with its meter running; the meter's thread is stopped and joined after."""
    hub = Hub()
    meter = Meter(hub.publish, interval)
    meter.start()
    try:
        yield make_app(hub)
    finally:
        await meter.stop()


async def main(port, interval=INTERVAL):
    async with metering(interval) as app:
        app.listen(port, address="127.0.0.1", max_body_size=MAX_BODY_SIZE)
        print(f"Listening on http://localhost:{port}/", flush=True)
        await asyncio.Event().wait()


# ANCHOR_END: metering


if __name__ == "__main__":
    define("port", default=8000, type=int, help="TCP port to listen on")
    define("interval", default=INTERVAL, type=float, help="seconds between two readings")
    try:
        tornado.options.parse_command_line()
        if not 0 < options.port < 65536:
            raise ValueError(f"port must be between 1 and 65535, not {options.port}")
        if not 0.01 <= options.interval <= 3600:
            raise ValueError(f"interval must be from 0.01 to 3600 seconds, not {options.interval}")
    except (tornado.options.Error, ValueError) as exc:
        sys.exit(f"error: {exc}")
    try:
        asyncio.run(main(options.port, options.interval))
    except KeyboardInterrupt:  # Ctrl+C: asyncio.run has cancelled main and waited for it
        print("Stopped", flush=True)
