"""A tasting menu built from a UI module that brings its own template, CSS and JavaScript."""

import asyncio
import sys
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

import tornado.options
import tornado.web
from tornado.options import define, options

BASE = Path(__file__).parent
MAX_GUESTS = 8


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
class Tea:
    name: str
    kind: str
    grams: int  # leaf per cup
    water: int  # degrees Celsius
    seconds: int


FLIGHT = (
    Tea("Bai Mudan", "white", 3, 85, 180),
    Tea("Longjing", "green", 3, 80, 120),
    Tea("Tieguanyin", "oolong", 5, 95, 60),
)


class TeaCard(tornado.web.UIModule):
    def render(self, tea, guests):
        return self.render_string("tasting_card.html", tea=tea, grams=tea.grams * guests)

    def css_files(self):
        return ["tasting.css"]

    def javascript_files(self):
        return ["steep-timer.js"]

    def embedded_css(self):
        return ".steep { display: none; } .js .steep { display: inline-block; }"

    def embedded_javascript(self):
        return 'document.documentElement.classList.add("js");'


def page_with(handler, **arguments):
    """The current page's URL with the given query arguments."""
    return handler.request.path + "?" + urllib.parse.urlencode(arguments)


class TastingHandler(tornado.web.RequestHandler):
    def get(self):
        try:
            guests = int(self.get_query_argument("guests", "2"))
        except ValueError:
            guests = 0
        if not 1 <= guests <= MAX_GUESTS:
            raise tornado.web.HTTPError(400, reason=f"guests must be from 1 to {MAX_GUESTS}")
        self.render("tasting.html", flight=FLIGHT, guests=guests, max_guests=MAX_GUESTS)


def make_app():
    return tornado.web.Application(
        [(r"/", TastingHandler)],
        template_path=BASE / "templates",
        static_path=BASE / "static",
        static_handler_class=StaticFiles,
        ui_modules={"TeaCard": TeaCard},
        ui_methods={"page_with": page_with},
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
