"""A bulletin board whose posts go out to every open WebSocket feed. A feed that reconnects with
?after=N gets the posts it missed; every feed is closed with a code that tells its client what to
do next, and the codes the clients close with are kept."""

import asyncio
import collections
import re
import signal
import sys

import tornado.ioloop
import tornado.locks
import tornado.options
import tornado.web
import tornado.websocket
from tornado.options import define, options

MAX_BODY = 4096  # what a post may send; more gets a 413 that says so
MAX_BODY_SIZE = 64 * 1024  # the server's own limit: room to read and refuse a body over MAX_BODY
MAX_TEXT = 200
# Hosts this server answers to: a page on another name that resolves to 127.0.0.1 (DNS
# rebinding) is refused. A real deployment lists its own names.
LOCAL_HOSTS = {"localhost", "127.0.0.1"}
KEPT = 100  # posts kept for feeds that come back
OUTBOX = 200  # posts waiting to be sent to one feed before it counts as too slow
GRACE = 5.0  # seconds the clients get to answer our close at shutdown
GOING_AWAY = 1001
TOO_SLOW = 1013  # "try again later"
CURSOR = re.compile(r"[0-9]{1,9}")


def refusal(request):
    """(status, message) if this server does not answer `request`, else None."""
    if request.host_name not in LOCAL_HOSTS:
        return 403, "this server answers only to localhost and 127.0.0.1"
    if len(request.body) > MAX_BODY:
        return 413, f"the body must be at most {MAX_BODY} bytes"
    return None


# ANCHOR: board
class Board:
    """The posts, the open feeds and the last goodbyes; used only in the loop's thread."""

    def __init__(self):
        self.posts = collections.deque(maxlen=KEPT)
        self.last_id = 0
        self.feeds = set()
        self.goodbyes = collections.deque(maxlen=5)  # [code, reason] as each client left
        self.left = tornado.locks.Condition()

    def since(self, after):
        return [post for post in self.posts if post["id"] > after]

    def post(self, text):
        self.last_id += 1
        post = {"id": self.last_id, "text": text}
        self.posts.append(post)
        for feed in list(self.feeds):
            feed.deliver(post)
        return post

    def leave(self, feed, code, reason):
        self.feeds.discard(feed)
        self.goodbyes.append([code, reason])
        self.left.notify_all()

    async def close_all(self, code, reason, grace=GRACE):
        """Close every feed with `code` and wait (at most `grace` seconds) for the answers."""
        for feed in list(self.feeds):
            feed.close(code, reason)
        deadline = tornado.ioloop.IOLoop.current().time() + grace
        while self.feeds:
            if not await self.left.wait(timeout=deadline):
                break  # a client that does not answer is cut off with the process


# ANCHOR_END: board


# ANCHOR: feed
class FeedHandler(tornado.websocket.WebSocketHandler):
    def initialize(self, board, outbox=OUTBOX):
        self.board = board
        self.outbox = asyncio.Queue(outbox)

    def prepare(self):  # before the handshake: a bad request gets a plain HTTP 4xx
        status, message = refusal(self.request) or (None, None)
        after = self.get_query_argument("after", "0")
        if status is None and not CURSOR.fullmatch(after):
            status, message = 400, "after must be a post number from 0 to 999999999"
        if status is not None:
            self.set_status(status)
            self.finish({"error": message})
            return
        self.after = int(after)

    def open(self):
        self.board.feeds.add(self)
        for post in self.board.since(self.after):
            self.outbox.put_nowait(post)
        self.sender = asyncio.create_task(self.send())

    def deliver(self, post):
        try:
            self.outbox.put_nowait(post)
        except asyncio.QueueFull:
            self.close(TOO_SLOW, "too far behind")  # its client comes back with ?after=

    async def send(self):
        while True:
            post = await self.outbox.get()
            try:
                await self.write_message(post)  # done once the kernel has taken it
            except tornado.websocket.WebSocketClosedError:
                return  # closed meanwhile: on_close does the rest

    def on_message(self, message):
        self.close(1003, "this feed only sends")

    def on_close(self):
        self.sender.cancel()
        self.board.leave(self, self.close_code, self.close_reason)


# ANCHOR_END: feed


# ANCHOR: posts
class BaseHandler(tornado.web.RequestHandler):
    def prepare(self):
        if refused := refusal(self.request):
            raise tornado.web.HTTPError(*refused)

    def write_error(self, status_code, **kwargs):
        # Say why in JSON: a foreign Host, a body too big, a cross-site POST (403).
        _, error, _ = kwargs.get("exc_info", (None, None, None))
        if isinstance(error, tornado.web.HTTPError) and status_code < 500 and error.get_message():
            self.finish({"error": error.get_message()})
        else:
            super().write_error(status_code, **kwargs)


class PostsHandler(BaseHandler):
    def initialize(self, board):
        self.board = board

    def post(self):
        text = self.get_body_argument("text", "").strip()
        if not 1 <= len(text) <= MAX_TEXT or not text.isprintable():
            self.set_status(400)
            self.write({"error": f"text must be 1 to {MAX_TEXT} printable characters on one line"})
            return
        self.set_status(201)
        self.write({"id": self.board.post(text)["id"]})


# ANCHOR_END: posts


class StatsHandler(BaseHandler):
    def initialize(self, board):
        self.board = board

    def get(self):
        self.write(
            {
                "feeds": len(self.board.feeds),
                "posts": self.board.last_id,
                "goodbyes": list(self.board.goodbyes),
            }
        )


def make_app(board=None, outbox=OUTBOX):
    board = board or Board()
    return tornado.web.Application(
        [
            (r"/feed", FeedHandler, dict(board=board, outbox=outbox)),
            (r"/posts", PostsHandler, dict(board=board)),
            (r"/stats", StatsHandler, dict(board=board)),
        ],
        websocket_max_message_size=1024,
        websocket_ping_interval=20,  # feeds whose clients vanished without a word are closed
        cross_origin_protection=True,  # a POST from another site's page gets a 403
    )


# ANCHOR: main
async def main(port, grace=GRACE):
    board = Board()
    server = make_app(board).listen(port, address="127.0.0.1", max_body_size=MAX_BODY_SIZE)
    print(f"Listening on http://localhost:{port}/", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()
    server.stop()
    await board.close_all(GOING_AWAY, "server shutting down", grace)
    await server.close_all_connections()
    print("Stopped", flush=True)


# ANCHOR_END: main


if __name__ == "__main__":
    define("port", default=8000, type=int, help="TCP port to listen on")
    try:
        tornado.options.parse_command_line()
        if not 0 < options.port < 65536:
            raise ValueError(f"port must be between 1 and 65535, not {options.port}")
    except (tornado.options.Error, ValueError) as exc:
        sys.exit(f"error: {exc}")
    asyncio.run(main(options.port))
