"""WebSocket: the same queue-calling board, pushed to every screen over one open connection."""

import asyncio
import json
import re
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

import tornado.options
import tornado.web
import tornado.websocket
from tornado.options import define, options

BASE = Path(__file__).parent
TICKET = re.compile(r"[A-Z]?[0-9]{1,3}")  # A17, 204
COUNTERS = 4
MAX_NOTE = 40
RECENT = 8  # calls shown on a freshly loaded page
VERSION = re.compile(r"[0-9]{1,9}")
STALE_CURSOR = 4000  # close code: the page asked for a version this board never had
BEHIND = 4001  # close code: the screen stopped reading; the page reconnects from its version
MAX_BEHIND = 1000  # messages waiting in a screen's buffer (the kernel's is full) before it closes
MAX_MESSAGE = 1024  # bytes; a longer WebSocket message closes the connection
PING_INTERVAL = 20  # seconds between pings to every screen
PING_TIMEOUT = 10  # seconds to wait for the pong before giving up on a screen


class StaticFiles(tornado.web.StaticFileHandler):
    """A NUL byte in a file name gets a 400, not the 500 of Tornado 6.5.9, 6.5.10, 6.6.0, 6.6.1."""

    def validate_absolute_path(self, root, absolute_path):
        if "\x00" in absolute_path:
            raise tornado.web.HTTPError(400, "a file name cannot contain a NUL byte")
        return super().validate_absolute_path(root, absolute_path)

    def write_error(self, status_code, **kwargs):
        # Say why, in plain text: Tornado's own reasons repeat the path that was asked for.
        _, error, _ = kwargs.get("exc_info", (None, None, None))
        if isinstance(error, tornado.web.HTTPError) and status_code < 500 and error.get_message():
            self.set_header("Content-Type", "text/plain; charset=UTF-8")
            self.finish(f"{status_code}: {error.get_message()}\n")
        else:
            super().write_error(status_code, **kwargs)


@dataclass(frozen=True)
class Call:
    version: int
    ticket: str
    counter: int
    note: str


# ANCHOR: board
class Board:
    """Every call in order, and every screen connected now."""

    def __init__(self):
        self.calls = []
        self.screens = set()

    @property
    def version(self):
        return len(self.calls)

    def add(self, ticket, counter, note):
        call = Call(self.version + 1, ticket, counter, note)
        self.calls.append(call)
        for screen in list(self.screens):  # show() may drop a screen that is closing
            screen.show(call)

    def since(self, version):
        return self.calls[version:]

    # ANCHOR_END: board


# ANCHOR: check
def check(message):
    """A message for every field of a call that is wrong; the message is parsed JSON."""
    if not isinstance(message, dict):
        return {"message": 'send a JSON object, like {"ticket": "A17", "counter": 2}'}
    errors = {}
    ticket, counter, note = (message.get(key) for key in ("ticket", "counter", "note"))
    if not isinstance(ticket, str) or not TICKET.fullmatch(ticket):
        errors["ticket"] = "A ticket is an optional capital letter and 1 to 3 digits, like A17."
    if type(counter) is not int or not 1 <= counter <= COUNTERS:
        errors["counter"] = f"Choose a counter from 1 to {COUNTERS}."
    if not isinstance(note, str | None) or len(note or "") > MAX_NOTE:
        errors["note"] = f"A note is text of at most {MAX_NOTE} characters."
    return errors
    # ANCHOR_END: check


class PageHandler(tornado.web.RequestHandler):
    def initialize(self, board):
        self.board = board

    def get(self):
        recent = self.board.calls[::-1][:RECENT]
        counters = range(1, COUNTERS + 1)
        self.render("board_ws.html", version=self.board.version, recent=recent, counters=counters)


# ANCHOR: live
class LiveHandler(tornado.websocket.WebSocketHandler):
    def initialize(self, board):
        self.board = board
        self.waiting = 0  # messages written since this connection's buffer was last empty

    def check_origin(self, origin):
        return False  # asked only about pages of another origin (6.6): none may connect

    def open(self):
        since, last = self.get_query_argument("since", ""), self.board.version
        if not VERSION.fullmatch(since) or int(since) > last:
            # A browser never sees why a handshake failed; a close code and reason it does see.
            return self.close(STALE_CURSOR, f"since must be a version from 0 to {last}")
        for call in self.board.since(int(since)):
            self.show(call)
        if self.ws_connection is not None:  # None: show() closed a screen that fell behind
            self.board.screens.add(self)

    def on_message(self, message):
        if self.ws_connection is None or self.ws_connection.is_closing():
            return  # we closed it (a stale cursor, a missed pong): its messages come too late
        try:
            parsed = json.loads(message)
        except (ValueError, RecursionError):  # not JSON, or nested some 1,000 levels deep
            parsed = None  # check() says what to send instead
        errors = check(parsed)
        if errors:
            self.send({"type": "error", "errors": errors})
        else:
            self.board.add(parsed["ticket"], parsed["counter"], parsed.get("note") or "")

    def on_close(self):
        self.board.screens.discard(self)

    def show(self, call):
        self.send({"type": "call", **asdict(call)})

    def send(self, message):
        try:
            sent = self.write_message(message)  # hands the bytes to the kernel if it takes them
        except tornado.websocket.WebSocketClosedError:
            # Closing (a missed pong, an oversized message): on_close comes later, up to 5 s.
            return self.board.screens.discard(self)
        sent.add_done_callback(lambda sent: sent.exception())  # a close is on_close's business
        if not self.ws_connection.stream.writing():  # the kernel took all: nothing waits
            self.waiting = 0
            return
        self.waiting += 1
        if self.waiting > MAX_BEHIND:  # it stopped reading: close it before its buffer grows
            self.board.screens.discard(self)
            self.close(BEHIND, "too far behind")

    # ANCHOR_END: live


class StatsHandler(tornado.web.RequestHandler):
    def initialize(self, board):
        self.board = board

    def get(self):
        self.write({"version": self.board.version, "screens": len(self.board.screens)})


def make_app(ping_interval=PING_INTERVAL, ping_timeout=PING_TIMEOUT):
    board = Board()
    return tornado.web.Application(
        [
            (r"/", PageHandler, dict(board=board)),
            (r"/live", LiveHandler, dict(board=board)),
            (r"/stats", StatsHandler, dict(board=board)),
        ],
        template_path=BASE / "templates",
        static_path=BASE / "static",
        static_handler_class=StaticFiles,
        websocket_ping_interval=ping_interval,
        websocket_ping_timeout=ping_timeout,
        websocket_max_message_size=MAX_MESSAGE,
    )


async def main(port):
    app = make_app()
    app.listen(port, address="127.0.0.1")
    print(f"Listening on http://localhost:{port}/", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    define("port", default=8000, type=int, help="TCP port to listen on")
    try:
        tornado.options.parse_command_line()
        if not 0 < options.port < 65536:
            raise ValueError(f"port must be between 1 and 65535, not {options.port}")
    except (tornado.options.Error, ValueError) as exc:
        sys.exit(f"error: {exc}")
    asyncio.run(main(options.port))
