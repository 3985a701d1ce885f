"""Hello again, started as older programs start it: an HTTPServer made by hand."""

import asyncio
import sys

import tornado.httpserver
import tornado.options
import tornado.web
from tornado.options import define, options

MAX_BODY_SIZE = 1024


class HelloHandler(tornado.web.RequestHandler):
    def get(self):
        self.set_header("Content-Type", "text/plain; charset=UTF-8")
        self.write("Hello from an HTTPServer, Tornado reader!\n")


def make_app():
    return tornado.web.Application([(r"/", HelloHandler)])


async def main(port):
    app = make_app()
    server = tornado.httpserver.HTTPServer(app, max_body_size=MAX_BODY_SIZE)
    server.listen(port, address="127.0.0.1")
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
