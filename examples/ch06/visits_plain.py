"""A visit counter kept in a plain cookie: easy to write, and just as easy to forge."""

import asyncio
import re
import sys

import tornado.options
import tornado.web
from tornado.options import define, options

SECURITY_HEADERS = {
    # Plain text with nothing to load: the strictest policy fits.
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def parse_count(value):
    """The number stored in the cookie, or 0 when it is missing or not a small whole number."""
    if value is None or not re.fullmatch(r"[0-9]{1,9}", value):
        return 0
    return int(value)


class BaseHandler(tornado.web.RequestHandler):
    def set_default_headers(self):
        for name, value in SECURITY_HEADERS.items():
            self.set_header(name, value)


class NotFoundHandler(BaseHandler):
    def prepare(self):
        raise tornado.web.HTTPError(404)


class VisitsHandler(BaseHandler):
    def get(self):
        visits = parse_count(self.get_cookie("visits")) + 1
        self.set_cookie("visits", str(visits))
        self.set_header("Content-Type", "text/plain; charset=UTF-8")
        self.write(f"You have been here {visits} time{'' if visits == 1 else 's'}.\n")


def make_app():
    return tornado.web.Application([(r"/", VisitsHandler)], default_handler_class=NotFoundHandler)


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
