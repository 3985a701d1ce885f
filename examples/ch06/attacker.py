"""XSRF demonstration, for learning only: a page that makes its visitor's browser post a note
to the notice board (xsrf_board.py) running on this computer. It can target nothing else.
"""

import asyncio
import re
import sys
from pathlib import Path

import tornado.options
import tornado.web
from tornado.options import define, options

BASE = Path(__file__).parent
# Matched character by character, not parsed: urlsplit() finds the host localhost in
# http://evil.example\@localhost:8000, where a browser finds evil.example.
LOCAL_TARGET = re.compile(r"http://(localhost|127\.0\.0\.1)(?::([0-9]{1,5}))?/?")


def check_target(url):
    """http://HOST:PORT, rebuilt from `url` if it names this computer; ValueError otherwise."""
    match = LOCAL_TARGET.fullmatch(url)
    port = int(match[2] or 80) if match else 0
    if not 0 < port < 65536:
        raise ValueError(f"the target must look like http://localhost:8000, not {url!r}")
    return f"http://{match[1]}:{port}"


class PrizeHandler(tornado.web.RequestHandler):
    def initialize(self, target):
        self.target = target

    def get(self):
        self.render("attack.html", action=f"{self.target}/notes")


def make_app(target="http://localhost:8000"):
    return tornado.web.Application(
        [(r"/", PrizeHandler, {"target": check_target(target)})],
        template_path=BASE / "templates",
    )


async def main(port, target):
    app = make_app(target)
    app.listen(port, address="127.0.0.1")
    print(f"Listening on http://127.0.0.1:{port}/ (attacking {target})", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    define("port", default=8000, type=int, help="TCP port to listen on")
    define("target", default="http://localhost:8000", help="the notice board to attack")
    try:
        tornado.options.parse_command_line()
        if not 0 < options.port < 65536:
            raise ValueError(f"port must be between 1 and 65535, not {options.port}")
        check_target(options.target)
    except (tornado.options.Error, ValueError) as exc:
        sys.exit(f"error: {exc}")
    asyncio.run(main(options.port, options.target))
