"""A string service: reverse a word taken from the URL, wrap posted text to a width."""

import asyncio
import sys
import textwrap

import tornado.options
import tornado.web
from tornado.options import define, options

MAX_BODY_SIZE = 1024 * 1024
MAX_WORD = 100
MAX_TEXT = 10_000
MIN_WIDTH, MAX_WIDTH = 10, 200


class ReverseHandler(tornado.web.RequestHandler):
    def get(self, word):
        if len(word) > MAX_WORD:
            raise tornado.web.HTTPError(400, reason=f"word is longer than {MAX_WORD} characters")
        self.set_header("Content-Type", "text/plain; charset=UTF-8")
        self.write(word[::-1] + "\n")


class WrapHandler(tornado.web.RequestHandler):
    def post(self):
        text = self.get_argument("text", None)
        if text is None:
            raise tornado.web.HTTPError(400, reason="missing form field 'text'")
        if len(text) > MAX_TEXT:
            raise tornado.web.HTTPError(413, reason=f"text is longer than {MAX_TEXT} characters")
        width = self.get_width()
        self.set_header("Content-Type", "text/plain; charset=UTF-8")
        self.write(textwrap.fill(text, width) + "\n")

    def get_width(self):
        raw = self.get_argument("width", "40")
        try:
            width = int(raw)
        except ValueError:
            width = None
        if width is None or not MIN_WIDTH <= width <= MAX_WIDTH:
            raise tornado.web.HTTPError(
                400, reason=f"width must be a whole number from {MIN_WIDTH} to {MAX_WIDTH}"
            )
        return width


def make_app():
    return tornado.web.Application(
        [
            (r"/reverse/([^/]+)", ReverseHandler),
            (r"/wrap", WrapHandler),
        ]
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
