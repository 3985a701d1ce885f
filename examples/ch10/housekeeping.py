"""Jobs beside the request path: a PeriodicCallback sweeps expired notes, an asyncio task reports
on them, and both are stopped cleanly on SIGTERM or Ctrl+C."""

import asyncio
import re
import secrets
import signal
import sys
import time

import tornado.ioloop
import tornado.options
import tornado.web
from tornado.log import app_log
from tornado.options import define, options

MAX_BODY = 4096  # what a note may send; more gets a 413 that says so
MAX_BODY_SIZE = 64 * 1024  # the server's own limit: room to read and refuse a body over MAX_BODY
MAX_TEXT = 500
MAX_TTL = 3600
MAX_NOTES = 10_000  # about 10 MB at most; when full, a new note waits for the sweep
# Hosts this server answers to: a page on another name that resolves to 127.0.0.1 (DNS
# rebinding) is refused. A real deployment lists its own names.
LOCAL_HOSTS = {"localhost", "127.0.0.1"}
SWEEP_EVERY = 1.0
REPORT_EVERY = 60.0
NUMBER = re.compile(r"[0-9]{1,4}")
NOTE_ID = r"[A-Za-z0-9_-]{1,64}"


class Notes:
    """Notes that expire; `clock` is time.monotonic unless a test turns the hands itself."""

    def __init__(self, clock=time.monotonic, limit=MAX_NOTES):
        self.clock = clock
        self.limit = limit
        self.kept = {}  # id: (expires, text)
        self.swept = 0

    def add(self, text, ttl):
        """The new note's id, or None when `limit` notes are kept already."""
        if len(self.kept) >= self.limit:
            return None
        # Unguessable, so a note is read only by whoever was given its id. Teaching
        # simplification: anyone may write; a real service checks who is asking (chapter 6).
        note_id = secrets.token_urlsafe(16)
        self.kept[note_id] = (self.clock() + ttl, text)
        return note_id

    def get(self, note_id):
        expires, text = self.kept.get(note_id, (0, None))
        return text if expires > self.clock() else None

    def sweep(self):
        now = self.clock()
        expired = [note_id for note_id, (expires, _) in self.kept.items() if expires <= now]
        for note_id in expired:
            del self.kept[note_id]
        self.swept += len(expired)


# ANCHOR: jobs
async def repeat(seconds, job):
    """An asyncio task's loop: wait, run the job, log any failure and carry on."""
    while True:
        await asyncio.sleep(seconds)
        try:
            job()
        except Exception:
            app_log.exception("background job %s failed", job.__name__)


class Housekeeping:
    """The background jobs of one process: started after listen(), stopped before it exits."""

    def __init__(self, notes, sweep_every=SWEEP_EVERY, report_every=REPORT_EVERY):
        self.notes = notes
        self.sweeper = tornado.ioloop.PeriodicCallback(notes.sweep, sweep_every * 1000, 0.1)
        self.report_every = report_every
        self.reporter = None  # the task: asyncio itself keeps only a weak reference to it

    def report(self):
        app_log.info("%d note(s) kept, %d swept so far", len(self.notes.kept), self.notes.swept)

    def start(self):
        self.sweeper.start()
        self.reporter = asyncio.create_task(repeat(self.report_every, self.report))

    async def stop(self):
        self.sweeper.stop()
        self.reporter.cancel()
        await asyncio.gather(self.reporter, return_exceptions=True)


# ANCHOR_END: jobs


class BaseHandler(tornado.web.RequestHandler):
    def prepare(self):
        if self.request.host_name not in LOCAL_HOSTS:
            raise tornado.web.HTTPError(403, "this server answers only to localhost and 127.0.0.1")
        if len(self.request.body) > MAX_BODY:
            raise tornado.web.HTTPError(413, f"the body must be at most {MAX_BODY} bytes")

    def write_error(self, status_code, **kwargs):
        # Say why in JSON: a foreign Host, a body too big, a cross-site POST (403).
        _, error, _ = kwargs.get("exc_info", (None, None, None))
        if isinstance(error, tornado.web.HTTPError) and status_code < 500 and error.get_message():
            self.finish({"error": error.get_message()})
        else:
            super().write_error(status_code, **kwargs)


class NotesHandler(BaseHandler):
    def initialize(self, notes):
        self.notes = notes

    def post(self):
        text = self.get_body_argument("text", "")
        ttl = self.get_body_argument("ttl", "60")
        if not 1 <= len(text) <= MAX_TEXT:
            self.reply(400, {"error": f"text must be 1 to {MAX_TEXT} characters"})
        elif not text.replace("\n", "").isprintable():  # \r, DEL, U+202E would fool a terminal
            self.reply(400, {"error": "text may hold line breaks, but no other control characters"})
        elif not NUMBER.fullmatch(ttl) or not 1 <= int(ttl) <= MAX_TTL:
            self.reply(400, {"error": f"ttl must be a whole number of seconds from 1 to {MAX_TTL}"})
        elif (note_id := self.notes.add(text, int(ttl))) is None:
            self.set_header("Retry-After", "60")
            self.reply(503, {"error": f"{self.notes.limit} notes are kept; try again later"})
        else:
            self.reply(201, {"id": note_id, "ttl": int(ttl)})

    def reply(self, status, body):
        self.set_status(status)
        self.write(body)


class NoteHandler(BaseHandler):
    def initialize(self, notes):
        self.notes = notes

    def get(self, note_id):
        text = self.notes.get(note_id)
        if text is None:
            self.set_status(404)
            self.write({"error": "no such note: it never existed or has expired"})
            return
        self.set_header("Content-Type", "text/plain; charset=UTF-8")
        self.set_header("X-Content-Type-Options", "nosniff")  # never read as a page
        self.write(text + "\n")


class StatsHandler(BaseHandler):
    def initialize(self, notes):
        self.notes = notes

    def get(self):
        self.write({"notes": len(self.notes.kept), "swept": self.notes.swept})


def make_app(notes=None):
    notes = notes or Notes()
    return tornado.web.Application(
        [
            (r"/notes", NotesHandler, dict(notes=notes)),
            (rf"/notes/({NOTE_ID})", NoteHandler, dict(notes=notes)),
            (r"/stats", StatsHandler, dict(notes=notes)),
        ],
        cross_origin_protection=True,  # a POST from another site's page gets a 403
    )


# ANCHOR: main
async def main(port, report_every=REPORT_EVERY):
    notes = Notes()
    server = make_app(notes).listen(port, address="127.0.0.1", max_body_size=MAX_BODY_SIZE)
    jobs = Housekeeping(notes, report_every=report_every)
    jobs.start()
    print(f"Listening on http://localhost:{port}/", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()
    server.stop()
    await jobs.stop()
    await server.close_all_connections()
    print("Stopped", flush=True)


# ANCHOR_END: main


if __name__ == "__main__":
    define("port", default=8000, type=int, help="TCP port to listen on")
    define("report", default=REPORT_EVERY, type=float, help="seconds between two reports")
    try:
        tornado.options.parse_command_line()
        if not 0 < options.port < 65536:
            raise ValueError(f"port must be between 1 and 65535, not {options.port}")
        if not 0.01 <= options.report <= 86400:
            raise ValueError(f"report must be from 0.01 to 86400 seconds, not {options.report}")
    except (tornado.options.Error, ValueError) as exc:
        sys.exit(f"error: {exc}")
    asyncio.run(main(options.port, options.report))
