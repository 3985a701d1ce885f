"""Long polling: a queue-calling board whose screens wait for the next call and miss none."""

import asyncio
import re
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

import tornado.options
import tornado.web
from tornado.options import define, options

BASE = Path(__file__).parent
MAX_BODY_SIZE = 4 * 1024
TICKET = re.compile(r"[A-Z]?[0-9]{1,3}")  # A17, 204
COUNTERS = 4
MAX_NOTE = 40
POLL_TIMEOUT = 25.0  # seconds a poll may wait before it is answered with no calls
RECENT = 8  # calls shown on a freshly loaded page
FIELDS = ("ticket", "counter", "note")
VERSION = re.compile(r"[0-9]{1,9}")


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
    """Every call in order. A call's version is its place in the list, starting at 1."""

    def __init__(self):
        self.calls = []
        self.waiters = set()

    @property
    def version(self):
        return len(self.calls)

    def add(self, ticket, counter, note):
        self.calls.append(Call(self.version + 1, ticket, counter, note))
        waiters, self.waiters = self.waiters, set()
        for future in waiters:
            future.set_result(None)

    def since(self, version):
        return self.calls[version:]

    def wait(self):
        future = asyncio.get_running_loop().create_future()
        self.waiters.add(future)
        return future

    def forget(self, future):
        self.waiters.discard(future)
        future.cancel()

    # ANCHOR_END: board


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
            "board.html",
            version=self.board.version,
            recent=recent,
            form=form,
            errors=errors,
            counters=counters,
        )


# ANCHOR: poll
class PollHandler(tornado.web.RequestHandler):
    def initialize(self, board, timeout):
        self.board = board
        self.timeout = timeout
        self.waiter = asyncio.get_running_loop().create_future()  # replaced by get()

    async def get(self):
        since = self.get_query_argument("since", "")
        if not VERSION.fullmatch(since) or int(since) > self.board.version:
            self.set_status(400)
            return self.write({"error": f"since must be a version from 0 to {self.board.version}"})
        since = int(since)
        if since == self.board.version:
            self.waiter = self.board.wait()
            await asyncio.wait([self.waiter], timeout=self.timeout)
            if self.waiter.cancelled():
                return  # the client hung up while it waited
            self.board.forget(self.waiter)  # a no-op unless the wait timed out
        calls = [asdict(call) for call in self.board.since(since)]
        self.write({"version": self.board.version, "calls": calls})

    def on_connection_close(self):
        self.board.forget(self.waiter)

    # ANCHOR_END: poll


class StatsHandler(tornado.web.RequestHandler):
    def initialize(self, board):
        self.board = board

    def get(self):
        self.write({"version": self.board.version, "waiting": len(self.board.waiters)})


def make_app(poll_timeout=POLL_TIMEOUT):
    board = Board()
    return tornado.web.Application(
        [
            (r"/", PageHandler, dict(board=board)),
            (r"/calls", PollHandler, dict(board=board, timeout=poll_timeout)),
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
