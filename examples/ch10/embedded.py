"""Tornado in a background thread of another program: the program reports its progress to the
web server's loop, asks it a question, and stops it cleanly when its own work is done."""

import asyncio
import sys
import threading
import time

import tornado.httpserver
import tornado.netutil
import tornado.options
import tornado.web
from tornado.options import define, options

MAX_BODY_SIZE = 64 * 1024  # no request here has a body; Tornado would read 100 MiB of one


class Progress:
    """Read and written in the loop's thread only."""

    def __init__(self, total=0):
        self.total = total
        self.done = 0
        self.served = 0


class ProgressHandler(tornado.web.RequestHandler):
    def initialize(self, progress):
        self.progress = progress

    def get(self):
        self.progress.served += 1
        self.write({"done": self.progress.done, "total": self.progress.total})


def make_app(progress=None):
    progress = progress or Progress()
    return tornado.web.Application([(r"/progress", ProgressHandler, dict(progress=progress))])


# ANCHOR: link
class Link:
    """What the program's own thread holds: the loop to hand work to, and a way to stop it."""

    def __init__(self):
        self.ready = threading.Event()
        self.loop = self.stopping = None

    def attach(self):  # in the loop's thread
        self.loop = asyncio.get_running_loop()
        self.stopping = asyncio.Event()
        self.ready.set()

    def call(self, function, *args):
        """Run function(*args) in the loop's thread; wait for its result here."""

        async def run():
            return function(*args)

        return asyncio.run_coroutine_threadsafe(run(), self.loop).result(timeout=10)

    def stop(self):
        self.loop.call_soon_threadsafe(self.stopping.set)


# ANCHOR_END: link


# ANCHOR: main
async def main(sockets, progress=None, link=None):
    link = link or Link()
    server = tornado.httpserver.HTTPServer(make_app(progress), max_body_size=MAX_BODY_SIZE)
    server.add_sockets(sockets)
    link.attach()
    await link.stopping.wait()
    server.stop()
    await server.close_all_connections()


def work(progress, link, step):
    """The program's own work, in its main thread; the web server only reports on it."""
    link.ready.wait()
    for task in range(1, progress.total + 1):
        time.sleep(step)  # a real program would do something useful here
        link.call(setattr, progress, "done", task)
        print(f"task {task} of {progress.total} done", flush=True)
    served = link.call(getattr, progress, "served")
    print(f"the web server answered {served} request(s)", flush=True)


# ANCHOR_END: main


if __name__ == "__main__":
    define("port", default=8000, type=int, help="TCP port to listen on")
    define("tasks", default=3, type=int, help="how many tasks the program works through")
    define("step", default=2.0, type=float, help="seconds each task takes")
    try:
        tornado.options.parse_command_line()
        if not 0 < options.port < 65536:
            raise ValueError(f"port must be between 1 and 65535, not {options.port}")
        if not 0 <= options.tasks <= 1000 or not 0 <= options.step <= 60:
            raise ValueError("tasks must be from 0 to 1000 and step from 0 to 60 seconds")
        sockets = tornado.netutil.bind_sockets(options.port, address="127.0.0.1")
    except (tornado.options.Error, ValueError, OSError) as exc:
        sys.exit(f"error: {exc}")
    # ANCHOR: thread
    progress, link = Progress(options.tasks), Link()
    server = threading.Thread(target=lambda: asyncio.run(main(sockets, progress, link)))
    server.start()
    print(f"Listening on http://localhost:{options.port}/progress", flush=True)
    try:
        work(progress, link, options.step)
    except KeyboardInterrupt:  # Ctrl+C reaches the main thread only
        print("Interrupted", flush=True)
    finally:  # the work is done or interrupted: stop the server, wait for its thread
        link.ready.wait()
        link.stop()
        server.join()
        print("Stopped", flush=True)
    # ANCHOR_END: thread
