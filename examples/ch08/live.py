"""Live notices across processes: each process relays one Redis channel to its own clients."""

import asyncio
import contextlib
import json
import logging
import os
import re
import sys
import urllib.parse
from http.client import responses
from pathlib import Path

import redis.asyncio
import redis.exceptions
import tornado.options
import tornado.web
import tornado.websocket
from tornado.options import define, options

BASE = Path(__file__).parent
CHANNEL = "book:notices"
MAX_NOTICE = 140
MAX_BODY_SIZE = 4096
POLL_TIMEOUT = 50  # seconds; answer "nothing new" well before a proxy gives up (nginx.conf: 120)
MAX_RETRY_DELAY = 5.0  # seconds between attempts to reach a Redis that went away
DEFAULT_REDIS = "redis://127.0.0.1:6379/0"
REDIS_DOWN = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)
log = logging.getLogger("live")


# ANCHOR: hub
class Hub:
    """This process's listeners, fed by the one Redis channel every process subscribes to."""

    def __init__(self, redis_url):
        self.redis = redis.asyncio.Redis.from_url(
            redis_url,
            decode_responses=True,
            retry_on_error=[redis.exceptions.ConnectionError],  # a pooled connection gone stale
        )
        self.pubsub = self.redis.pubsub()
        self.sockets = set()  # open WebSockets
        self.polls = set()  # futures of waiting long polls
        self.relaying = None

    async def start(self):
        await self.pubsub.subscribe(CHANNEL)  # before we listen: no notice goes by unseen
        self.relaying = asyncio.create_task(self.relay())

    async def publish(self, text):
        """How many subscribers (one per listening process) Redis handed the notice to."""
        notice = {"type": "notice", "text": text, "published_by": os.getpid()}
        return await self.redis.publish(CHANNEL, json.dumps(notice))

    async def relay(self):
        delay = 0.1
        while True:
            try:  # waits for the next message; reconnects and subscribes again if need be
                message = await self.pubsub.get_message(timeout=None)
            except REDIS_DOWN as exc:
                log.warning("lost Redis (%s); trying again in %.1f s", exc, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, MAX_RETRY_DELAY)
                continue
            delay = 0.1
            if message["type"] == "message":  # not the confirmation of a subscription
                self.deliver(message["data"])

    def deliver(self, notice):
        for socket in list(self.sockets):
            with contextlib.suppress(tornado.websocket.WebSocketClosedError):
                socket.write_message(notice)
        polls, self.polls = self.polls, set()
        for poll in polls:
            poll.set_result(notice)

    async def close(self):
        self.relaying.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.relaying  # let it finish before its connection goes
        await self.pubsub.aclose()
        await self.redis.aclose()

    # ANCHOR_END: hub


# ANCHOR: handlers
class PublishHandler(tornado.web.RequestHandler):
    def initialize(self, hub):
        self.hub = hub

    def get(self):
        self.render("notices.html", limit=MAX_NOTICE)  # the form, with its _xsrf token

    async def post(self):
        self.set_header("Content-Type", "text/plain; charset=UTF-8")
        text = self.get_body_argument("text", "").strip()
        if not 0 < len(text) <= MAX_NOTICE:
            self.set_status(400)
            self.write(f"A notice is 1 to {MAX_NOTICE} characters of text.\n")
            return
        try:
            heard = await self.hub.publish(text)  # every process hears it from Redis, this one too
        except REDIS_DOWN:
            self.unavailable("no Redis")
            return
        if heard == 0:  # Redis is back, but no relay has subscribed again yet: nobody got it
            self.unavailable("not delivered, still reconnecting")
            return
        self.write("published\n")

    def unavailable(self, why):
        self.set_status(503)
        self.set_header("Retry-After", "5")
        self.write(f"Notices are unavailable for a moment ({why}); try again shortly.\n")

    def write_error(self, status_code, **kwargs):
        # Say why: for a 403 this is the XSRF or origin check.
        _, error, _ = kwargs.get("exc_info", (None, None, None))
        message = f"{status_code} {responses.get(status_code, 'Unknown Error')}"
        if isinstance(error, tornado.web.HTTPError) and status_code < 500 and error.get_message():
            message += f": {error.get_message()}"
        self.set_header("Content-Type", "text/plain; charset=UTF-8")
        self.finish(message + "\n")


class PollHandler(tornado.web.RequestHandler):
    def initialize(self, hub):
        self.hub = hub
        self.waiting = asyncio.get_running_loop().create_future()

    async def get(self):
        self.hub.polls.add(self.waiting)
        done, _ = await asyncio.wait([self.waiting], timeout=POLL_TIMEOUT)
        self.hub.polls.discard(self.waiting)
        if not done:
            self.set_status(204)  # nothing new: ask again
        elif not self.waiting.cancelled():
            self.set_header("Content-Type", "application/json")
            self.write(self.waiting.result())

    def on_connection_close(self):
        self.hub.polls.discard(self.waiting)
        self.waiting.cancel()


class LiveHandler(tornado.websocket.WebSocketHandler):
    def initialize(self, hub):
        self.hub = hub

    def open(self):
        self.hub.sockets.add(self)
        self.write_message({"type": "hello", "pid": os.getpid()})

    def on_message(self, message):
        self.write_message({"type": "error", "message": "send notices with POST /notices"})

    def on_close(self):
        self.hub.sockets.discard(self)

    # ANCHOR_END: handlers


class StatsHandler(tornado.web.RequestHandler):
    def initialize(self, hub):
        self.hub = hub

    def get(self):
        hub = self.hub
        self.write({"pid": os.getpid(), "sockets": len(hub.sockets), "polls": len(hub.polls)})


def make_app(hub):
    return tornado.web.Application(
        [
            (r"/notices", PublishHandler, dict(hub=hub)),
            (r"/next", PollHandler, dict(hub=hub)),
            (r"/live", LiveHandler, dict(hub=hub)),
            (r"/stats", StatsHandler, dict(hub=hub)),
        ],
        template_path=BASE / "templates",
        xsrf_cookies=True,
        cross_origin_protection=True,
        websocket_ping_interval=30,  # traffic on quiet sockets, so no proxy times them out
        websocket_max_message_size=1024,
    )


async def main(port, hub):
    try:
        await hub.start()
    except REDIS_DOWN as exc:  # refused, or silent past the URL's socket_timeout
        sys.exit(f"error: cannot reach Redis: {exc}")
    except redis.exceptions.ResponseError as exc:  # e.g. a database number it does not have
        sys.exit(f"error: Redis refused: {exc}")
    app = make_app(hub)
    app.listen(port, address="127.0.0.1", xheaders=True, max_body_size=MAX_BODY_SIZE)
    print(f"Process {os.getpid()} listening on http://localhost:{port}/", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    define("port", default=8000, type=int, help="TCP port to listen on")
    define("redis_url", help=f"the Redis server (default: $REDIS_URL, else {DEFAULT_REDIS})")
    try:
        tornado.options.parse_command_line()
        if not 0 < options.port < 65536:
            raise ValueError(f"port must be between 1 and 65535, not {options.port}")
        # From the environment, a password stays out of `ps` and the process list.
        url = options.redis_url or os.environ.get("REDIS_URL") or DEFAULT_REDIS
        parts = urllib.parse.urlsplit(url)  # unix:///path.sock?db=0 names its database so
        if parts.scheme in ("redis", "rediss") and not re.fullmatch(r"/?[0-9]*", parts.path):
            raise ValueError(
                "a Redis URL ends in a database number, as in /0, or in nothing"
                " (a / in the password is written %2F)"
            )
        hub = Hub(url)
    except (tornado.options.Error, ValueError) as exc:
        sys.exit(f"error: {exc}")
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl+C: stop, with no traceback
        asyncio.run(main(options.port, hub))
