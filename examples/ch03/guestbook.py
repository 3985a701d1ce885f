"""A guestbook: visitors' comments go back into the page, and autoescaping keeps them inert."""

import asyncio
import collections
import sys
from dataclasses import dataclass
from pathlib import Path

import tornado.options
import tornado.web
from tornado.options import define, options

BASE = Path(__file__).parent
MAX_BODY_SIZE = 16 * 1024
LIMITS = {"name": 40, "comment": 500}  # form field -> most characters allowed
KEEP = 50  # newest comments kept in memory


@dataclass(frozen=True)
class Entry:
    name: str
    comment: str


def check(form):
    """A message for every field that is missing or too long."""
    errors = {}
    for field, limit in LIMITS.items():
        if not form[field]:
            errors[field] = f"Please fill in your {field}."
        elif len(form[field]) > limit:
            errors[field] = (
                f"Please keep your {field} to {limit} characters; this one has {len(form[field])}."
            )
    return errors


class GuestbookHandler(tornado.web.RequestHandler):
    def initialize(self, entries):
        self.entries = entries

    def get(self):
        self.render(
            "guestbook.html", entries=self.entries, form=dict.fromkeys(LIMITS, ""), errors={}
        )

    def post(self):
        form = {field: self.get_body_argument(field, "") for field in LIMITS}
        errors = check(form)
        if errors:
            self.set_status(400)
            self.render("guestbook.html", entries=self.entries, form=form, errors=errors)
            return
        self.entries.appendleft(Entry(**form))
        self.redirect("/", status=303)


def make_app():
    entries = collections.deque(maxlen=KEEP)
    return tornado.web.Application(
        [(r"/", GuestbookHandler, {"entries": entries})],
        template_path=BASE / "templates",
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
