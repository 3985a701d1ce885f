"""A small tea shop site: every page extends one base template."""

import asyncio
import sys
from dataclasses import dataclass
from pathlib import Path

import tornado.options
import tornado.web
from tornado.httputil import responses
from tornado.options import define, options

BASE = Path(__file__).parent


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
    slug: str
    name: str
    kind: str
    origin: str
    price: int  # yuan per 50 g tin
    water: int  # degrees Celsius
    minutes: int
    notes_html: str  # written by the shop, never by visitors


TEAS = (
    Tea(
        slug="longjing",
        name="Longjing",
        kind="green",
        origin="Hangzhou, Zhejiang",
        price=68,
        water=80,
        minutes=2,
        notes_html="Flat, pan-fired leaves that smell of <em>roasted chestnut</em>.",
    ),
    Tea(
        slug="tieguanyin",
        name="Tieguanyin",
        kind="oolong",
        origin="Anxi, Fujian",
        price=54,
        water=95,
        minutes=1,
        notes_html="Tightly rolled leaves: floral at first, <em>buttery</em> by the third pot.",
    ),
    Tea(
        slug="dianhong",
        name="Dianhong",
        kind="black",
        origin="Fengqing, Yunnan",
        price=42,
        water=95,
        minutes=3,
        notes_html="Golden tips and a <em>malty</em>, honeyed cup.",
    ),
    Tea(
        slug="bai-mudan",
        name="Bai Mudan",
        kind="white",
        origin="Fuding, Fujian",
        price=48,
        water=85,
        minutes=4,
        notes_html="Buds and young leaves, sun-dried; it tastes of <em>hay and melon</em>.",
    ),
)


class BaseHandler(tornado.web.RequestHandler):
    section = None  # the navigation entry to mark as the current page

    def write_error(self, status_code, **kwargs):
        phrase = responses.get(status_code, "Unknown Error")
        message = "Something went wrong on our side."
        error = kwargs["exc_info"][1] if "exc_info" in kwargs else None
        if isinstance(error, tornado.web.HTTPError) and status_code < 500:
            message = error.get_message() or phrase
        self.render("error.html", status_code=status_code, phrase=phrase, message=message)


class HomeHandler(BaseHandler):
    section = "teas"

    def get(self):
        self.render("home.html", teas=TEAS)


class TeaHandler(BaseHandler):
    section = "teas"

    def get(self, slug):
        tea = next((tea for tea in TEAS if tea.slug == slug), None)
        if tea is None:
            raise tornado.web.HTTPError(404, "we do not sell a tea called %s", slug)
        self.render("tea.html", tea=tea)


class AboutHandler(BaseHandler):
    section = "about"

    def get(self):
        self.render("about.html")


class NotFoundHandler(BaseHandler):
    def prepare(self):
        raise tornado.web.HTTPError(404, "there is no page at %s", self.request.path)


def make_app():
    return tornado.web.Application(
        [
            (r"/", HomeHandler),
            (r"/tea/([a-z-]{1,40})", TeaHandler),
            (r"/about", AboutHandler),
        ],
        template_path=BASE / "templates",
        static_path=BASE / "static",
        static_handler_class=StaticFiles,
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
