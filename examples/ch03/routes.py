"""Named routes, reverse_url and RedirectHandler, set up in an Application subclass."""

import asyncio
import sys
from pathlib import Path

import tornado.escape
import tornado.options
import tornado.web
from tornado.options import define, options
from tornado.web import url

BASE = Path(__file__).parent
TEAS = {"bai-mudan": "Bai Mudan", "longjing": "Longjing", "tieguanyin": "Tieguanyin"}


class TeaLink(tornado.web.UIModule):
    def render(self, slug):
        href = self.handler.reverse_url("tea", slug)
        name = tornado.escape.xhtml_escape(TEAS[slug])
        return f'<a href="{href}">{name}</a>'


class HomeHandler(tornado.web.RequestHandler):
    def get(self):
        self.render("routes_home.html", teas=TEAS)


class TeaHandler(tornado.web.RequestHandler):
    def get(self, slug):
        if slug not in TEAS:
            raise tornado.web.HTTPError(404, reason="No such tea")
        others = [other for other in TEAS if other != slug]
        self.render("routes_tea.html", name=TEAS[slug], others=others)


class PickHandler(tornado.web.RequestHandler):
    """The home page's form asks for /pick?tea=longjing; send the browser to that tea."""

    def get(self):
        slug = self.get_query_argument("tea", "")
        if slug not in TEAS:
            raise tornado.web.HTTPError(400, reason="Pick one of the teas on the menu")
        self.redirect(self.reverse_url("tea", slug))


class Teahouse(tornado.web.Application):
    def __init__(self):
        handlers = [
            url(r"/", HomeHandler, name="home"),
            url(r"/tea/([a-z-]{1,40})", TeaHandler, name="tea"),
            url(r"/pick", PickHandler, name="pick"),
            url(r"/teas/([a-z-]{1,40})", tornado.web.RedirectHandler, {"url": "/tea/{0}"}),
            url(
                r"/today",
                tornado.web.RedirectHandler,
                {"url": "/tea/longjing", "permanent": False},
            ),
        ]
        settings = {
            "template_path": BASE / "templates",
            "ui_modules": {"TeaLink": TeaLink},
        }
        super().__init__(handlers, **settings)


def make_app():
    return Teahouse()


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
