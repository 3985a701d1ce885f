"""Server-Sent Events: the queue-calling board, streamed to every screen as text/event-stream."""

import asyncio
import json
import re
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

import tornado.iostream
import tornado.options
import tornado.web
from tornado.options import define, options

BASE = Path(__file__).parent
MAX_BODY_SIZE = 4 * 1024
TICKET = re.compile(r"[A-Z]?[0-9]{1,3}")  # A17, 204
COUNTERS = 4
MAX_NOTE = 40
RECENT = 8  # calls shown on a freshly loaded page
FIELDS = ("ticket", "counter", "note")
VERSION = re.compile(r"[0-9]{1,9}")
RETRY_MS = 3000  # how long a browser waits before it reconnects; sent to it in `retry:`
HEARTBEAT = 15.0  # seconds between comment lines that keep an idle stream alive
BATCH = 100  # calls written to a stream before waiting for them to be sent
MAX_BEHIND = 1000  # calls made while one flush waits for the client before it is closed


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


class Board:
    """Every call in order, and every stream open now."""

    def __init__(self):
        self.calls = []
        self.streams = set()

    @property
    def version(self):
        return len(self.calls)

    def add(self, ticket, counter, note):
        call = Call(self.version + 1, ticket, counter, note)
        self.calls.append(call)
        for stream in list(self.streams):  # a stream too far behind leaves the set
            stream.wake_up()


def check(form):
    """A message for every field of the call form that is wrong."""
    errors = {}
    if not TICKET.fullmatch(form["ticket"]):
        errors["ticket"] = "A ticket is an optional capital letter and 1 to 3 digits, like A17."
    if form["counter"] not in [str(n) for n in range(1, COUNTERS + 1)]:
        errors["counter"] = f"Choose a counter from 1 to {COUNTERS}."
    if len(form["note"]) > MAX_NOTE:
        errors["note"] = f"Please keep the note to {MAX_NOTE} characters."
    return errors


class PageHandler(tornado.web.RequestHandler):
    def initialize(self, board):
        self.board = board

    def get(self):
        self.show(dict(ticket="", counter="1", note=""), {})

    def post(self):
        form = {name: self.get_body_argument(name, "").strip() for name in FIELDS}
        errors = check(form)
        if errors:
            self.set_status(400)
            return self.show(form, errors)
        self.board.add(form["ticket"], int(form["counter"]), form["note"])
        self.redirect("/", status=303)

    def write_error(self, status_code, **kwargs):
        if status_code == 403:  # refused by cross_origin_protection: say why, in the body
            self.set_header("Content-Type", "text/plain; charset=UTF-8")
            return self.finish("403: a call can be made only from this board's own page\n")
        super().write_error(status_code, **kwargs)

    def show(self, form, errors):
        recent = self.board.calls[::-1][:RECENT]
        counters = range(1, COUNTERS + 1)
        self.render(
            "board_sse.html",
            version=self.board.version,
            recent=recent,
            form=form,
            errors=errors,
            counters=counters,
        )


# ANCHOR: events
class EventsHandler(tornado.web.RequestHandler):
    def initialize(self, board, heartbeat):
        self.board = board
        self.heartbeat = heartbeat
        self.sent = 0  # the version of the last call written to this stream
        self.news = asyncio.Event()  # set when there is a new call, or the client has gone
        self.gone = False
        self.flush_from = None  # the board's version when the pending flush began

    async def get(self):
        # A browser that reconnects repeats the URL and adds the id of the last event it got.
        since = self.request.headers.get("Last-Event-ID", self.get_query_argument("since", ""))
        last = self.board.version
        if not VERSION.fullmatch(since):
            self.set_status(400)
            return self.write({"error": f"since must be a version from 0 to {last}"})
        self.set_header("Content-Type", "text/event-stream; charset=UTF-8")
        self.set_header("Cache-Control", "no-store")
        self.set_header("X-Accel-Buffering", "no")  # nginx: pass each event on at once
        if int(since) > last:  # a page older than the board: say so in a 200, or it never asks
            error = json.dumps({"error": f"since must be a version from 0 to {last}"})
            return self.write(f"event: stale\ndata: {error}\n\n")
        self.write(f"retry: {RETRY_MS}\n\n")
        self.sent = int(since)
        self.board.streams.add(self)
        try:
            while not self.gone:  # this loop is the only writer: one flush at a time
                self.news.clear()
                for call in self.board.calls[self.sent : self.sent + BATCH]:
                    data = json.dumps(asdict(call))  # JSON has no raw newline to end the event
                    self.write(f"id: {call.version}\nevent: call\ndata: {data}\n\n")
                    self.sent = call.version
                self.flush_from = self.board.version
                await self.flush()  # waits while the client is not reading
                self.flush_from = None
                if self.sent == self.board.version and not self.gone:
                    try:
                        await asyncio.wait_for(self.news.wait(), self.heartbeat)
                    except TimeoutError:
                        self.write(": still here\n\n")  # a comment line: EventSource ignores it
        except tornado.iostream.StreamClosedError:
            pass  # e.g. a pipelined request read after the close: no on_connection_close
        finally:
            self.board.streams.discard(self)

    def wake_up(self):
        waiting = self.flush_from is not None and self.board.version - self.flush_from > MAX_BEHIND
        if waiting:  # one batch unsent while 1,000 calls came: not reading; close, it can return
            self.board.streams.discard(self)
            self.gone = True
            self.request.connection.stream.close()  # fails the flush that waits for the client
        self.news.set()

    def on_connection_close(self):
        self.gone = True
        self.news.set()

    # ANCHOR_END: events


class StatsHandler(tornado.web.RequestHandler):
    def initialize(self, board):
        self.board = board

    def get(self):
        self.write({"version": self.board.version, "streams": len(self.board.streams)})


def make_app(heartbeat=HEARTBEAT):
    board = Board()
    return tornado.web.Application(
        [
            (r"/", PageHandler, dict(board=board)),
            (r"/events", EventsHandler, dict(board=board, heartbeat=heartbeat)),
            (r"/stats", StatsHandler, dict(board=board)),
        ],
        template_path=BASE / "templates",
        static_path=BASE / "static",
        static_handler_class=StaticFiles,
        cross_origin_protection=True,  # 6.6: a form posted from another site's page gets a 403
    )


async def main(port):
    app = make_app()
    app.listen(port, address="127.0.0.1", max_body_size=MAX_BODY_SIZE)
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
