"""static_url_prefix: the same static files under /assets/ instead of /static/."""

import asyncio
import sys
from pathlib import Path

import tornado.options
import tornado.web
from tornado.options import define, options

BASE = Path(__file__).parent


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


class LinkHandler(tornado.web.RequestHandler):
    def get(self):
        self.set_header("Content-Type", "text/plain; charset=UTF-8")
        self.write(self.static_url("style.css") + "\n")


def make_app():
    return tornado.web.Application(
        [(r"/", LinkHandler)],
        static_path=BASE / "static",
        static_url_prefix="/assets/",
        static_handler_class=StaticFiles,
    )


async def main(port):
    app = make_app()
    app.listen(port, address="127.0.0.1")
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
