"""Jobs beside the request path: a PeriodicCallback sweeps expired notes, an asyncio task reports
on them, and both are stopped cleanly on SIGTERM or Ctrl+C."""

import asyncio
import re
import signal
import sys
import time

import tornado.ioloop
import tornado.options
import tornado.web
from tornado.log import app_log
from tornado.options import define, options

MAX_BODY_SIZE = 4096
MAX_TEXT = 500
MAX_TTL = 3600
SWEEP_EVERY = 1.0
REPORT_EVERY = 60.0
NUMBER = re.compile(r"[0-9]{1,4}")


class Notes:
    """Notes that expire; `clock` is time.monotonic unless a test turns the hands itself."""

    def __init__(self, clock=time.monotonic):
        self.clock = clock
        self.kept = {}  # id: (expires, text)
        self.last_id = 0
        self.swept = 0

    def add(self, text, ttl):
        self.last_id += 1
        self.kept[self.last_id] = (self.clock() + ttl, text)
        return self.last_id

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


class NotesHandler(tornado.web.RequestHandler):
    def initialize(self, notes):
        self.notes = notes

    def post(self):
        text = self.get_body_argument("text", "")
        ttl = self.get_body_argument("ttl", "60")
        if not 1 <= len(text) <= MAX_TEXT:
            self.reply(400, {"error": f"text must be 1 to {MAX_TEXT} characters"})
        elif not NUMBER.fullmatch(ttl) or not 1 <= int(ttl) <= MAX_TTL:
            self.reply(400, {"error": f"ttl must be a whole number of seconds from 1 to {MAX_TTL}"})
        else:
            self.reply(201, {"id": self.notes.add(text, int(ttl)), "ttl": int(ttl)})

    def reply(self, status, body):
        self.set_status(status)
        self.write(body)


class NoteHandler(tornado.web.RequestHandler):
    def initialize(self, notes):
        self.notes = notes

    def get(self, note_id):
        text = self.notes.get(int(note_id))
        if text is None:
            self.set_status(404)
            self.write({"error": f"no note {int(note_id)}: it never existed or has expired"})
            return
        self.set_header("Content-Type", "text/plain; charset=UTF-8")
        self.write(text + "\n")


class StatsHandler(tornado.web.RequestHandler):
    def initialize(self, notes):
        self.notes = notes

    def get(self):
        self.write({"notes": len(self.notes.kept), "swept": self.notes.swept})


def make_app(notes=None):
    notes = notes or Notes()
    return tornado.web.Application(
        [
            (r"/notes", NotesHandler, dict(notes=notes)),
            (r"/notes/([0-9]{1,9})", NoteHandler, dict(notes=notes)),
            (r"/stats", StatsHandler, dict(notes=notes)),
        ]
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
