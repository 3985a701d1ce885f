"""A notice board that only accepts posts from its own pages: XSRF tokens and origin checks."""

import asyncio
import itertools
import sys
from dataclasses import dataclass
from pathlib import Path

import tornado.options
import tornado.web
from tornado.httputil import responses
from tornado.options import define, options

BASE = Path(__file__).parent
MAX_BODY_SIZE = 16 * 1024
MAX_NOTE = 200
KEEP = 20  # newest notes kept in memory

# ANCHOR: headers
SECURITY_HEADERS = {
    # Scripts, styles and everything else only from this site's own files: no inline code.
    "Content-Security-Policy": (
        "default-src 'self'; object-src 'none'; base-uri 'none'; "
        "form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Frame-Options": "DENY",  # frame-ancestors for browsers that predate it
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}
# ANCHOR_END: headers


class StaticFiles(tornado.web.StaticFileHandler):
    """A NUL byte in a file name gets a 400, not the 500 of Tornado 6.5.9, 6.5.10, 6.6.0, 6.6.1."""

    def set_default_headers(self):
        # Files and error pages alike: a 404 page here must not be framed or sniffed either.
        for name, value in SECURITY_HEADERS.items():
            self.set_header(name, value)

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


@dataclass
class Note:
    text: str
    likes: int = 0


class BaseHandler(tornado.web.RequestHandler):
    def initialize(self, board):
        self.board = board

    def set_default_headers(self):
        # Called again before an error page is written, so error pages carry them too.
        for name, value in SECURITY_HEADERS.items():
            self.set_header(name, value)

    def write_error(self, status_code, **kwargs):
        # Say why a request was refused: for a 403 this is the XSRF or origin check.
        _, error, _ = kwargs.get("exc_info", (None, None, None))
        message = f"{status_code} {responses.get(status_code, 'Unknown Error')}"
        if isinstance(error, tornado.web.HTTPError) and status_code < 500 and error.get_message():
            message += f": {error.get_message()}"
        self.set_header("Content-Type", "text/plain; charset=UTF-8")
        self.finish(message + "\n")


class NotFoundHandler(BaseHandler):
    def prepare(self):
        raise tornado.web.HTTPError(404)

    # As in Tornado's own ErrorHandler: a POST to no page is a 404, not a 403 for its token.
    def check_xsrf_cookie(self):
        pass

    def check_trusted_origin(self, origin):
        return True


class BoardHandler(BaseHandler):
    def get(self):
        self.render("board.html", notes=self.board, text="", error=None, limit=MAX_NOTE)


class NotesHandler(BaseHandler):
    def post(self):
        text = self.get_body_argument("text", "").strip()
        if not text:
            error = "Please write something."
        elif len(text) > MAX_NOTE:
            error = f"Please keep notes to {MAX_NOTE} characters (this one has {len(text)})."
        else:
            self.board.add(text)
            self.redirect("/", status=303)
            return
        self.set_status(400)
        self.render("board.html", notes=self.board, text=text, error=error, limit=MAX_NOTE)


class LikeHandler(BaseHandler):
    def post(self, number):
        note = self.board.notes.get(int(number))
        if note is None:
            raise tornado.web.HTTPError(404, "no note number %s", number)
        note.likes += 1
        self.write({"likes": note.likes})


class Board:
    """The newest notes by number; iterating gives (number, note), newest first."""

    def __init__(self):
        self.notes = {}
        self.numbers = itertools.count(1)

    def add(self, text):
        self.notes[next(self.numbers)] = Note(text)
        if len(self.notes) > KEEP:
            del self.notes[min(self.notes)]

    def __iter__(self):
        return iter(reversed(self.notes.items()))


def make_app(trusted_origins=()):
    board = Board()
    return tornado.web.Application(
        [
            (r"/", BoardHandler, {"board": board}),
            (r"/notes", NotesHandler, {"board": board}),
            (r"/notes/([0-9]{1,9})/like", LikeHandler, {"board": board}),
        ],
        template_path=BASE / "templates",
        static_path=BASE / "static",
        static_handler_class=StaticFiles,
        xsrf_cookies=True,
        xsrf_cookie_kwargs={"samesite": "Lax"},
        cross_origin_protection=True,
        trusted_origins=list(trusted_origins),
        default_handler_class=NotFoundHandler,
        default_handler_args={"board": board},
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
