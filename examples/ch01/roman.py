"""Custom error pages: every error, ours or Tornado's, rendered by one write_error."""

import asyncio
import sys

import tornado.options
import tornado.web
from tornado.escape import xhtml_escape
from tornado.httputil import responses
from tornado.options import define, options

NUMERALS = [
    (1000, "M"),
    (900, "CM"),
    (500, "D"),
    (400, "CD"),
    (100, "C"),
    (90, "XC"),
    (50, "L"),
    (40, "XL"),
    (10, "X"),
    (9, "IX"),
    (5, "V"),
    (4, "IV"),
    (1, "I"),
]

ERROR_PAGE = """<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>{code} {phrase}</title></head>
<body>
<h1>{code} {phrase}</h1>
<p>{message}</p>
</body>
</html>
"""


def to_roman(number):
    digits = []
    for value, numeral in NUMERALS:
        count, number = divmod(number, value)
        digits.append(numeral * count)
    return "".join(digits)


class BaseHandler(tornado.web.RequestHandler):
    def write_error(self, status_code, **kwargs):
        phrase = responses.get(status_code, "Unknown Error")
        message = "Something went wrong on our side."
        error = kwargs["exc_info"][1] if "exc_info" in kwargs else None
        if isinstance(error, tornado.web.HTTPError) and status_code < 500:
            message = error.get_message() or phrase
        self.finish(
            ERROR_PAGE.format(
                code=status_code,
                phrase=phrase,
                message=xhtml_escape(message),
            )
        )


class RomanHandler(BaseHandler):
    def get(self, digits):
        number = int(digits)
        if not 1 <= number <= 3999:
            raise tornado.web.HTTPError(400, "number must be from 1 to 3999, not %d", number)
        self.set_header("Content-Type", "text/plain; charset=UTF-8")
        self.write(f"{number} = {to_roman(number)}\n")


class NotFoundHandler(BaseHandler):
    def prepare(self):
        raise tornado.web.HTTPError(404, "there is no page at %s", self.request.path)


def make_app():
    return tornado.web.Application(
        [(r"/roman/(\d{1,9})", RomanHandler)],
        default_handler_class=NotFoundHandler,
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
