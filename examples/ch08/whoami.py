"""Which process answered? The app this chapter deploys: several copies behind nginx."""

import asyncio
import os
import re
import signal
import sys
from pathlib import Path

import tornado.options
import tornado.web
from tornado.options import define, options

BASE = Path(__file__).parent
MAX_WORK = 30  # seconds /work may be asked to take
SECONDS = re.compile(r"[0-9]{1,2}")


class StaticFiles(tornado.web.StaticFileHandler):
    """A NUL byte in a file name gets a 400, not the 500 of Tornado 6.5.9, 6.5.10, 6.6.0, 6.6.1."""

    def validate_absolute_path(self, root, absolute_path):
        if "\x00" in absolute_path:
            raise tornado.web.HTTPError(400, "a file name cannot contain a NUL byte")
        return super().validate_absolute_path(root, absolute_path)

    def write_error(self, status_code, **kwargs):
        # Say why, in plain text: Tornado's own reasons repeat the path that was asked for.
        _, error, _ = kwargs.get("exc_info", (None, None, None))
        if isinstance(error, tornado.web.HTTPError) and status_code < 500 and error.get_message():
            self.set_header("Content-Type", "text/plain; charset=UTF-8")
            self.finish(f"{status_code}: {error.get_message()}\n")
        else:
            super().write_error(status_code, **kwargs)


class Running:
    """How many requests this process is working on; `idle` is set when there are none."""

    def __init__(self):
        self.count = 0
        self.stopping = False  # set on SIGTERM: every answer finished from then on says close
        self.idle = asyncio.Event()
        self.idle.set()

    def enter(self):
        self.count += 1
        self.idle.clear()

    def leave(self):
        self.count -= 1
        if self.count == 0:
            self.idle.set()


class BaseHandler(tornado.web.RequestHandler):
    counted = False  # on_finish runs even for requests refused before prepare (405)

    def set_default_headers(self):
        self.set_header("X-Worker-Pid", str(os.getpid()))

    def finish(self, chunk=None):
        # Checked as the answer goes out, not when the request came in: a request that was
        # already running at SIGTERM says it too. (Once headers are sent, this changes nothing.)
        if self.settings["running"].stopping:
            self.set_header("Connection", "close")  # do not send me more on this connection
        return super().finish(chunk)

    def prepare(self):
        self.settings["running"].enter()
        self.counted = True

    def on_finish(self):
        if self.counted:
            self.settings["running"].leave()

    def head(self, *args):
        return self.get(*args)  # what GET would answer, without the body (curl -I, monitors)


class NotFoundHandler(BaseHandler):
    def get(self):
        raise tornado.web.HTTPError(404)


class PageHandler(BaseHandler):
    def get(self):
        self.render(
            "whoami.html",
            pid=os.getpid(),
            running=self.settings["running"].count,
            client=self.request.remote_ip,
            protocol=self.request.protocol,
        )


class WhoAmIHandler(BaseHandler):
    def get(self):
        self.set_header("Content-Type", "text/plain; charset=UTF-8")
        self.write(f"client {self.request.remote_ip}, protocol {self.request.protocol}\n")


class WorkHandler(BaseHandler):
    async def get(self):
        self.set_header("Content-Type", "text/plain; charset=UTF-8")
        seconds = self.get_argument("seconds", "1")
        if not SECONDS.fullmatch(seconds) or int(seconds) > MAX_WORK:
            self.set_status(400)
            self.write(f"seconds must be a whole number from 0 to {MAX_WORK}\n")
            return
        await asyncio.sleep(int(seconds))
        self.write(f"worked for {seconds} s\n")


def make_app():
    return tornado.web.Application(
        [(r"/", PageHandler), (r"/whoami", WhoAmIHandler), (r"/work", WorkHandler)],
        default_handler_class=NotFoundHandler,  # unknown paths carry X-Worker-Pid as well
        template_path=BASE / "templates",
        static_path=BASE / "static",
        static_handler_class=StaticFiles,
        running=Running(),
    )


def stop_now():
    print("Second signal: stopping now", flush=True)
    sys.exit(1)


async def main(port, grace):
    app = make_app()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    server = app.listen(port, address="127.0.0.1", xheaders=True, reuse_port=True)
    print(f"Listening on http://localhost:{port}/", flush=True)
    await stop.wait()
    # ANCHOR: shutdown
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop_now)  # a second signal does not wait
    server.stop()  # close the listening socket: new connections are refused
    running = app.settings["running"]
    running.stopping = True  # and connections kept open end after their next answer
    print(f"Stopping; {running.count} request(s) still running", flush=True)
    try:
        async with asyncio.timeout(grace):
            await running.idle.wait()
    except TimeoutError:
        print(f"Gave up on {running.count} request(s) after {grace} s", flush=True)
    await server.close_all_connections()  # idle keep-alive connections too
    print("Stopped", flush=True)
    # ANCHOR_END: shutdown


if __name__ == "__main__":
    define("port", default=8000, type=int, help="TCP port to listen on")
    define("grace", default=35.0, type=float, help="seconds running requests get on SIGTERM")
    try:
        tornado.options.parse_command_line()
        if not 0 < options.port < 65536:
            raise ValueError(f"port must be between 1 and 65535, not {options.port}")
        if not 0 < options.grace <= 300:
            raise ValueError(f"grace must be over 0 and at most 300 seconds, not {options.grace}")
    except (tornado.options.Error, ValueError) as exc:
        sys.exit(f"error: {exc}")
    asyncio.run(main(options.port, options.grace))
