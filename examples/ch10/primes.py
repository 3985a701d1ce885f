"""CPU-bound work: counting primes in pure Python, in a pool of worker processes, with a bound on
how much work may wait."""

import asyncio
import concurrent.futures
import math
import multiprocessing
import re
import signal
import sys
from concurrent.futures.process import BrokenProcessPool

import tornado.options
import tornado.web
from tornado.options import define, options

MAX_BELOW = 2_000_000
NUMBER = re.compile(r"[0-9]{1,7}")
MAX_BODY_SIZE = 64 * 1024  # no request here has a body; Tornado would read 100 MiB of one


# ANCHOR: work
def count_primes(below):
    """How many primes are smaller than `below`: plain Python, so it holds the GIL throughout."""
    count = 0
    for n in range(2, below):
        if all(n % d for d in range(2, math.isqrt(n) + 1)):
            count += 1
    return count


def ignore_ctrl_c():
    """Run in each worker as it starts: Ctrl+C is for the server, which then stops the pool."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


# ANCHOR_END: work


class Jobs:
    """How many requests have a count running or waiting for a worker, and how many may."""

    def __init__(self, workers):
        self.limit = 2 * workers  # each worker busy, and one more count waiting for each
        self.pending = 0
        self.workers = asyncio.Semaphore(workers)  # the pool is never handed more than it runs


# ANCHOR: handler
class CountHandler(tornado.web.RequestHandler):
    def initialize(self, pool, jobs):
        self.pool = pool
        self.jobs = jobs
        self.turn = None

    async def get(self):
        below = self.get_query_argument("below", "")
        if not NUMBER.fullmatch(below) or not 2 <= int(below) <= MAX_BELOW:
            self.reply(400, {"error": f"below must be a whole number from 2 to {MAX_BELOW:,}"})
            return
        # Teaching simplification: a count a worker has started runs to its end even if its
        # client has gone, and holds its place here until then. A waiting one is dropped.
        if self.jobs.pending >= self.jobs.limit:
            self.set_header("Retry-After", "1")
            self.reply(503, {"error": f"busy: {self.jobs.pending} counts are waiting; try again"})
            return
        self.jobs.pending += 1
        try:
            primes = await self.count(int(below))
        except asyncio.CancelledError:
            return  # the client left while its count waited for a worker
        except BrokenProcessPool:
            self.reply(503, {"error": "the counting processes have died; try again later"})
            return
        finally:
            self.jobs.pending -= 1
        self.reply(200, {"below": int(below), "primes": primes})

    async def count(self, below):
        self.turn = asyncio.ensure_future(self.jobs.workers.acquire())
        await self.turn  # waits in this process, where it can still be dropped
        try:
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(self.pool, count_primes, below)
        finally:
            self.jobs.workers.release()

    def on_connection_close(self):
        if self.turn is not None:
            self.turn.cancel()  # drops a count still waiting; nothing once a worker has it

    def reply(self, status, body):
        self.set_status(status)
        self.write(body)


# ANCHOR_END: handler


class StatsHandler(tornado.web.RequestHandler):
    def initialize(self, jobs):
        self.jobs = jobs

    def get(self):
        self.write({"pending": self.jobs.pending, "limit": self.jobs.limit})


def make_app(pool, workers=2):
    jobs = Jobs(workers)
    return tornado.web.Application(
        [
            (r"/count", CountHandler, dict(pool=pool, jobs=jobs)),
            (r"/stats", StatsHandler, dict(jobs=jobs)),
        ]
    )


# ANCHOR: main
async def main(port, workers=2):
    spawn = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(
        workers, mp_context=spawn, initializer=ignore_ctrl_c
    ) as pool:
        app = make_app(pool, workers)
        app.listen(port, address="127.0.0.1", max_body_size=MAX_BODY_SIZE)
        print(f"Listening on http://localhost:{port}/", flush=True)
        await asyncio.Event().wait()


# ANCHOR_END: main


if __name__ == "__main__":
    define("port", default=8000, type=int, help="TCP port to listen on")
    define("workers", default=2, type=int, help="worker processes that count")
    try:
        tornado.options.parse_command_line()
        if not 0 < options.port < 65536:
            raise ValueError(f"port must be between 1 and 65535, not {options.port}")
        if not 1 <= options.workers <= 64:
            raise ValueError(f"workers must be from 1 to 64, not {options.workers}")
    except (tornado.options.Error, ValueError) as exc:
        sys.exit(f"error: {exc}")
    try:
        asyncio.run(main(options.port, options.workers))
    except KeyboardInterrupt:  # Ctrl+C: asyncio.run has cancelled main and waited for it
        print("Stopped", flush=True)
