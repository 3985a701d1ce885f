"""A WSGI application of our own, served by Tornado beside a native handler: FallbackHandler
hands every request the Tornado routes do not take to a WSGIContainer, which runs the WSGI
callable on a thread pool."""

import asyncio
import concurrent.futures
import json
import re
import sys
import urllib.parse

import tornado.options
import tornado.web
import tornado.wsgi
from tornado.options import define, options

NAME_LIMIT = 40
MAX_BODY_SIZE = 64 * 1024  # none of these handlers reads a body: refuse big ones unread
PORT_IN_HOST = re.compile(r"(?:[^:\[\]]*|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?")


# ANCHOR: legacy
def where():
    """Which thread runs us: the one with the event loop, or a pool's worker."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return "worker"
    return "event loop"


def respond(start_response, status, body, content_type="text/plain; charset=UTF-8", extra=()):
    data = body.encode()
    headers = [("Content-Type", content_type), ("Content-Length", str(len(data))), *extra]
    start_response(status, headers)
    return [data]


def legacy_app(environ, start_response):
    """A small WSGI application, standing in for a Flask or Django project."""
    body = route(environ, start_response)
    return [] if environ["REQUEST_METHOD"] == "HEAD" else body  # the headers, without a body


def route(environ, start_response):
    path, method = environ["PATH_INFO"], environ["REQUEST_METHOD"]
    if method not in ("GET", "HEAD"):
        allow = [("Allow", "GET, HEAD")]
        return respond(start_response, "405 Method Not Allowed", "only GET and HEAD\n", extra=allow)
    if path == "/old/whoami":
        return respond(
            start_response,
            "200 OK",
            json.dumps({"served_by": "wsgi", "thread": where()}),
            "application/json",
        )
    if path == "/old/greet":
        try:
            query = urllib.parse.parse_qs(environ["QUERY_STRING"], errors="strict")
        except UnicodeDecodeError:
            return respond(start_response, "400 Bad Request", "the query must be UTF-8\n")
        name = query.get("name", [""])[0]
        if not 0 < len(name) <= NAME_LIMIT:
            return respond(start_response, "400 Bad Request", "name: 1 to 40 characters\n")
        return respond(start_response, "200 OK", f"Hello, {name}!\n")
    if path == "/old/report":
        start_response("200 OK", [("Content-Type", "text/plain; charset=UTF-8")])
        return (f"line {n}\n".encode() for n in range(1, 4))  # one chunk at a time
    return respond(start_response, "404 Not Found", "no such page in the old application\n")


# ANCHOR_END: legacy


# ANCHOR: tornado_side
class WhoAmIHandler(tornado.web.RequestHandler):
    def get(self):
        self.write({"served_by": "tornado", "thread": where()})


class Fallback(tornado.web.FallbackHandler):
    """WSGIContainer reads the port in Host with int(): a bad one must be a 400, not a hang."""

    def prepare(self):
        if not PORT_IN_HOST.fullmatch(self.request.host):
            self.set_status(400)
            self.finish("the Host header's port must be a number\n")
            return
        super().prepare()


def make_app(pool):
    legacy = tornado.wsgi.WSGIContainer(legacy_app, executor=pool)
    return tornado.web.Application(
        [
            (r"/whoami", WhoAmIHandler),
            (r"/old/.*", Fallback, dict(fallback=legacy)),
        ]
    )


async def main(port):
    with concurrent.futures.ThreadPoolExecutor(4, thread_name_prefix="wsgi") as pool:
        app = make_app(pool)
        app.listen(port, address="127.0.0.1", max_body_size=MAX_BODY_SIZE)
        print(f"Listening on http://localhost:{port}/", flush=True)
        await asyncio.Event().wait()


# ANCHOR_END: tornado_side


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
    except KeyboardInterrupt:  # Ctrl+C: stop without a traceback
        print("Stopped", flush=True)
