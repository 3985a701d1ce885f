"""The teahouse menu in Chinese and English: tornado.locale picks each request's language."""

import asyncio
import datetime
import sys
from pathlib import Path

import tornado.locale
import tornado.options
import tornado.web
from tornado.options import define, options

BASE = Path(__file__).parent
COOKIE = "locale"
LANGUAGES = [("zh_CN", "中文"), ("en_US", "English")]  # each named in its own language
TEAS = ["Longjing", "Bai Mudan", "Tieguanyin"]
HARVEST = datetime.datetime(2026, 4, 2, 1, 30, tzinfo=datetime.UTC)  # 9:30 in Hangzhou
HANGZHOU = -8 * 60  # format_date's gmt_offset: minutes BEHIND UTC, so east is negative
CUPS_POURED = 12873
MAX_CUPS = 20
MAX_NAME = 40
ONE_YEAR = 365 * 24 * 60 * 60  # seconds


class LocaleHandler(tornado.web.RequestHandler):
    def get_user_locale(self):
        # A cookie naming a language we have wins; none, or one we cannot honour, falls
        # through (None) to get_browser_locale(), which reads Accept-Language.
        code = self.get_cookie(COOKIE)
        if code in tornado.locale.get_supported_locales():
            return tornado.locale.get(code)
        return None

    def set_default_headers(self):
        # The same URL answers in two languages: caches must key on both inputs.
        self.set_header("Vary", "Accept-Language, Cookie")

    def write_error(self, status_code, **kwargs):
        _, error, _ = kwargs.get("exc_info", (None, None, None))
        if isinstance(error, tornado.web.HTTPError) and status_code < 500 and error.log_message:
            self.set_header("Content-Type", "text/plain; charset=UTF-8")
            self.finish(self.locale.translate(error.get_message()) + "\n")
        else:
            super().write_error(status_code, **kwargs)


class MenuHandler(LocaleHandler):
    def get(self):
        text = self.get_query_argument("cups", "1")
        # ASCII digits only: int() alone would also take "1_0", "+3" and Devanagari digits.
        cups = int(text) if text.isascii() and text.isdigit() and len(text) <= 3 else 0
        if not 1 <= cups <= MAX_CUPS:
            raise tornado.web.HTTPError(400, "cups must be a whole number from 1 to 20")
        name = self.get_query_argument("name", "")
        if len(name) > MAX_NAME:
            raise tornado.web.HTTPError(400, "a name has at most 40 characters")
        self.set_header("Content-Language", self.locale.code.replace("_", "-"))
        self.render(
            "bilingual.html",
            cups=cups,
            name=name,
            teas=TEAS,
            languages=LANGUAGES,
            harvest=HARVEST,
            offset=HANGZHOU,
            poured=CUPS_POURED,
        )


class LanguageHandler(LocaleHandler):
    def get(self):
        code = self.get_query_argument("to", "")
        if code not in tornado.locale.get_supported_locales():
            raise tornado.web.HTTPError(400, "unknown language; use zh_CN or en_US")
        self.set_cookie(COOKIE, code, path="/", samesite="Lax", httponly=True, max_age=ONE_YEAR)
        self.redirect("/")


def make_app():
    tornado.locale.load_translations(BASE / "locale")
    return tornado.web.Application(
        [(r"/", MenuHandler), (r"/lang", LanguageHandler)],
        template_path=BASE / "templates",
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
