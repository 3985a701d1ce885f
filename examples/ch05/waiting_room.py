"""A waiting room: every GET /wait parks until someone POSTs /release, then all are answered."""

import asyncio
import sys

import tornado.options
import tornado.web
from tornado.options import define, options

BACKLOG = 4096


class Room:
    """Everyone waiting, as one future each; release answers them all exactly once."""

    def __init__(self):
        self.waiters = set()
        self.released = 0

    def wait(self):
        future = asyncio.get_running_loop().create_future()
        self.waiters.add(future)
        return future

    def leave(self, future):
        self.waiters.discard(future)
        future.cancel()

    def release(self):
        waiters, self.waiters = self.waiters, set()
        for future in waiters:
            future.set_result(None)
        self.released += len(waiters)
        return len(waiters)


class WaitHandler(tornado.web.RequestHandler):
    def initialize(self, room):
        self.room = room
        self.future = asyncio.get_running_loop().create_future()  # replaced by get()

    async def get(self):
        self.future = self.room.wait()
        try:
            await self.future
        except asyncio.CancelledError:
            return  # the client hung up; there is nobody to answer
        self.set_header("Content-Type", "text/plain; charset=UTF-8")
        self.write("released\n")

    def on_connection_close(self):
        self.room.leave(self.future)


class ReleaseHandler(tornado.web.RequestHandler):
    def initialize(self, room):
        self.room = room

    def post(self):
        self.write({"released": self.room.release()})


class StatsHandler(tornado.web.RequestHandler):
    def initialize(self, room):
        self.room = room

    def get(self):
        self.write({"waiting": len(self.room.waiters), "released": self.room.released})


def make_app():
    room = Room()
    return tornado.web.Application(
        [
            (r"/wait", WaitHandler, dict(room=room)),
            (r"/release", ReleaseHandler, dict(room=room)),
            (r"/stats", StatsHandler, dict(room=room)),
        ]
    )


async def main(port):
    app = make_app()
    app.listen(port, address="127.0.0.1", backlog=BACKLOG)
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
