"""One port, several processes: bind the socket, fork, then start an event loop in each child."""

import asyncio
import os
import sys

import tornado.httpserver
import tornado.netutil
import tornado.options
import tornado.process
import tornado.web
from tornado.options import define, options


class WhoAmIHandler(tornado.web.RequestHandler):
    def get(self):
        self.set_header("Content-Type", "text/plain; charset=UTF-8")
        self.write(f"process {os.getpid()}, task {tornado.process.task_id()}\n")


def make_app():
    return tornado.web.Application([(r"/whoami", WhoAmIHandler)])


async def main(sockets):
    server = tornado.httpserver.HTTPServer(make_app())
    server.add_sockets(sockets)
    await asyncio.Event().wait()


if __name__ == "__main__":
    define("port", default=8000, type=int, help="TCP port to listen on")
    define("processes", default=0, type=int, help="how many processes to fork (0: one per CPU)")
    try:
        tornado.options.parse_command_line()
        if not 0 < options.port < 65536:
            raise ValueError(f"port must be between 1 and 65535, not {options.port}")
        if options.processes < 0:
            raise ValueError(f"processes must be 0 or more, not {options.processes}")
    except (tornado.options.Error, ValueError) as exc:
        sys.exit(f"error: {exc}")
    # ANCHOR: fork
    sockets = tornado.netutil.bind_sockets(options.port, address="127.0.0.1")
    print(f"Listening on http://localhost:{options.port}/whoami", flush=True)
    tornado.process.fork_processes(options.processes)  # from here on, in each child
    asyncio.run(main(sockets))
    # ANCHOR_END: fork
