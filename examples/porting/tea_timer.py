"""A tea timer ported from Tornado 3.1's add_timeout and 5.1's gen.sleep: wait, then count."""

import asyncio
import secrets
import sys

import tornado.options
import tornado.web
from tornado.options import define, options

STEEP = {"green": 1.0, "oolong": 2.0}  # seconds, so that trying it takes no minutes
TEXT = "text/plain; charset=UTF-8"


class BrewHandler(tornado.web.RequestHandler):
    async def get(self, tea):
        self.set_header("Content-Type", TEXT)
        if tea not in STEEP:
            self.set_status(404)
            return self.write(f"no such tea; try {' or '.join(STEEP)}\n")
        await asyncio.sleep(STEEP[tea])  # other requests are served meanwhile
        brews = self.brews_today() + 1
        self.set_signed_cookie("brews", str(brews), expires_days=1, httponly=True, samesite="Lax")
        self.write(f"your {tea} tea is ready (brew {brews} today)\n")

    def brews_today(self):
        """The count in our signed cookie; 0 without one, if it was not signed by us, or if it
        is not a count of at most 6 digits (int() refuses thousands of digits)."""
        value = self.get_signed_cookie("brews", max_age_days=1)
        return int(value) if value and value.isdigit() and len(value) <= 6 else 0


def make_app(cookie_secret=None):
    return tornado.web.Application(
        [(r"/brew/([^/]+)", BrewHandler)],
        cookie_secret=cookie_secret or secrets.token_urlsafe(32),
    )


async def main(port):
    app = make_app()  # a new secret each start: counts begin again after a restart
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
