"""HTTP methods and status codes: a tiny in-memory notebook keyed by name."""

import asyncio
import sys

import tornado.options
import tornado.web
from tornado.options import define, options

MAX_BODY_SIZE = 64 * 1024
MAX_NOTE = 1000


class NoteHandler(tornado.web.RequestHandler):
    def initialize(self, notes):
        self.notes = notes

    def get(self, name):
        if name not in self.notes:
            raise tornado.web.HTTPError(404, reason="no such note")
        self.set_header("Content-Type", "text/plain; charset=UTF-8")
        self.write(self.notes[name])

    def put(self, name):
        text = self.body_text()
        created = name not in self.notes
        self.notes[name] = text
        self.set_status(201 if created else 200)
        self.set_header("Content-Type", "text/plain; charset=UTF-8")
        self.write(f"{'created' if created else 'replaced'} {name}\n")

    def delete(self, name):
        if self.notes.pop(name, None) is None:
            raise tornado.web.HTTPError(404, reason="no such note")
        self.set_status(204)

    def body_text(self):
        try:
            text = self.request.body.decode("utf-8")
        except UnicodeDecodeError:
            raise tornado.web.HTTPError(400, reason="note must be UTF-8 text") from None
        if not text.strip():
            raise tornado.web.HTTPError(400, reason="note is empty")
        if len(text) > MAX_NOTE:
            raise tornado.web.HTTPError(413, reason=f"note is longer than {MAX_NOTE} characters")
        return text


def make_app():
    notes = {}
    return tornado.web.Application([(r"/notes/([a-z0-9-]{1,40})", NoteHandler, dict(notes=notes))])


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
