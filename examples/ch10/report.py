"""A report too big to build in memory, sent a piece at a time while it is being made."""

import asyncio
import re
import sys

import tornado.iostream
import tornado.options
import tornado.web
from tornado.options import define, options

MAX_ROWS = 5_000_000
MAX_SENDING = 16  # reports being sent at once; each holds a socket until its client is done
FLUSH_TIMEOUT = 30  # seconds a client may take to accept a piece; Tornado has no write timeout
ROWS = re.compile(r"[0-9]{1,7}")
PIECE = 64 * 1024  # bytes gathered before each write and flush
MAX_BODY_SIZE = 64 * 1024  # no request here has a body; Tornado would read 100 MiB of one


def lines(count):
    """The report, one CSV line at a time: in a real program, rows from a database cursor."""
    yield "reading,sensor,celsius\n"
    for n in range(1, count + 1):
        yield f"{n},s{n % 16:02d},{20 + n % 70 / 10:.1f}\n"


class Tally:
    """What the report handler has done so far; the tests and /stats read it."""

    def __init__(self):
        self.lines = 0  # lines made, in every report
        self.sending = 0  # reports still being sent
        self.abandoned = 0  # reports whose client went away, or stopped reading, before the end

    def as_dict(self):
        return {"lines": self.lines, "sending": self.sending, "abandoned": self.abandoned}


# ANCHOR: handler
class ReportHandler(tornado.web.RequestHandler):
    def initialize(self, tally):
        self.tally = tally

    async def get(self):
        rows = self.get_query_argument("rows", "1000")
        if not ROWS.fullmatch(rows) or not 1 <= int(rows) <= MAX_ROWS:
            self.set_status(400)
            self.write({"error": f"rows must be a whole number from 1 to {MAX_ROWS:,}"})
            return
        if self.tally.sending >= MAX_SENDING:
            self.set_status(503)
            self.set_header("Retry-After", "5")
            self.write({"error": "busy: too many reports are being sent; try again"})
            return
        self.set_header("Content-Type", "text/csv; charset=UTF-8")
        self.set_header("Content-Disposition", 'attachment; filename="report.csv"')
        self.tally.sending += 1
        try:
            await self.send(lines(int(rows)))
        except tornado.iostream.StreamClosedError:
            self.tally.abandoned += 1  # the client left: stop making the rest
        except TimeoutError:
            self.tally.abandoned += 1  # the client stopped reading: hang up on it
            self.request.connection.close()
        finally:
            self.tally.sending -= 1

    async def send(self, source):
        piece, size = [], 0
        for line in source:
            self.tally.lines += 1
            piece.append(line)
            size += len(line)
            if size >= PIECE:
                self.write("".join(piece))
                # Waits until the client has taken the bytes in, but not for ever.
                await asyncio.wait_for(self.flush(), FLUSH_TIMEOUT)
                piece, size = [], 0
        self.write("".join(piece))


# ANCHOR_END: handler


class StatsHandler(tornado.web.RequestHandler):
    def initialize(self, tally):
        self.tally = tally

    def get(self):
        self.write(self.tally.as_dict())


def make_app(tally=None):
    tally = tally or Tally()
    return tornado.web.Application(
        [
            (r"/report\.csv", ReportHandler, dict(tally=tally)),
            (r"/stats", StatsHandler, dict(tally=tally)),
        ]
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
    try:
        asyncio.run(main(options.port))
    except KeyboardInterrupt:  # Ctrl+C: asyncio.run has cancelled main and waited for it
        print("Stopped", flush=True)
