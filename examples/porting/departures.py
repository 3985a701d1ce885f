"""A departure board ported from callbacks: two upstream calls awaited together."""

import asyncio
import json
import re
import sys
import urllib.parse

import tornado.httpclient
import tornado.httputil
import tornado.iostream
import tornado.options
import tornado.simple_httpclient
import tornado.web
from tornado.options import define, options

STATION = re.compile(r"[a-z]{1,20}")
TIME = re.compile(r"([01][0-9]|2[0-3]):([0-5][0-9])")
MAX_LATE = 24 * 60  # minutes; a longer delay is not a delay but a mistake
MAX_CLIENTS = 20  # calls to the rail service in flight at once; the rest wait in a queue
QUEUED_TOO_LONG = "Timeout in request queue"  # what Tornado's client says then


class PlainTextHandler(tornado.web.RequestHandler):
    """Every answer is one line of plain text, Tornado's own error pages included."""

    def reply(self, status, text):
        self.set_status(status)
        self.set_header("Content-Type", "text/plain; charset=UTF-8")
        self.write(text + "\n")

    def write_error(self, status_code, **kwargs):
        self.reply(status_code, tornado.httputil.responses.get(status_code, "Unknown Error"))


class NotFoundHandler(PlainTextHandler):
    def prepare(self):
        raise tornado.web.HTTPError(404)


class DeparturesHandler(PlainTextHandler):
    def initialize(self, upstream, timeout):
        self.upstream = upstream
        self.timeout = timeout

    async def get(self, station):
        if not STATION.fullmatch(station):
            return self.reply(400, "a station is 1 to 20 letters a-z")
        try:
            timetable, delays = await asyncio.gather(
                self.fetch_json(f"/timetable/{station}"),
                self.fetch_json(f"/delays/{station}"),
                return_exceptions=True,  # wait for both: no failure is left unretrieved
            )
            for result in (timetable, delays):
                if isinstance(result, Exception):
                    raise result  # the timetable's failure first, then the delays'
            # Sent inside the try: JSON allows a lone surrogate such as "\ud800", and the
            # reply fails only when it is encoded as UTF-8 (UnicodeEncodeError, a ValueError).
            self.reply(200, board(timetable, delays))
        except tornado.simple_httpclient.HTTPTimeoutError as exc:
            if exc.message == QUEUED_TOO_LONG:  # our own queue, not the rail service
                return self.reply(503, "too busy: too many calls to the rail service waiting")
            return self.reply(504, f"no answer from the rail service within {self.timeout} s")
        except (
            tornado.simple_httpclient.HTTPStreamClosedError,
            ConnectionResetError,
            tornado.iostream.UnsatisfiableReadError,  # a header line longer than 64 KiB
        ):
            return self.reply(
                502, "the rail service closed the connection or sent a malformed answer"
            )
        except tornado.httpclient.HTTPClientError as exc:
            if exc.code == 404:
                return self.reply(404, f"no timetable for {station}")
            return self.reply(502, f"the rail service answered {exc.code}")
        except OSError:  # refused, unknown host, no route
            return self.reply(502, "the rail service is unreachable")
        except (AttributeError, KeyError, TypeError, ValueError, RecursionError):
            # not JSON, not as expected, or nested too deep for json.loads
            return self.reply(502, "the rail service sent data we cannot read")

    async def fetch_json(self, path):
        client = tornado.httpclient.AsyncHTTPClient()
        response = await client.fetch(
            self.upstream + path, request_timeout=self.timeout, follow_redirects=False
        )  # a redirect is an error (HTTPClientError 3xx), never a trip to somewhere else
        return json.loads(response.body)


def board(timetable, delays):
    """The board as text: one line per train, and when it is now expected if it is late."""
    if not isinstance(timetable["station"], str):
        raise ValueError("the station name is not a string")
    lines = [f"Departures from {timetable['station']}"]
    for entry in timetable["trains"]:
        if not (isinstance(entry, list) and len(entry) == 3 and all(type(x) is str for x in entry)):
            raise ValueError("a train is [time, number, destination], three strings")
        time, train, destination = entry
        clock = TIME.fullmatch(time)
        late = delays.get(train, 0)
        if clock is None:
            raise ValueError(f"the time of {train} is not HH:MM")
        # bool is a subclass of int: type() rejects true and false too
        if type(late) is not int or not 0 <= late <= MAX_LATE:
            raise ValueError(f"the delay of {train} is not a number of minutes")
        if late:
            due = (int(clock[1]) * 60 + int(clock[2]) + late) % (24 * 60)
            status = f"{late} min late, expected {due // 60:02}:{due % 60:02}"
        else:
            status = "on time"
        lines.append(f"{time}  {train:<6} {destination:<18} {status}")
    return "\n".join(lines)


def make_app(upstream="http://127.0.0.1:8001", timeout=3.0):
    return tornado.web.Application(
        [(r"/departures/([^/]+)", DeparturesHandler, dict(upstream=upstream, timeout=timeout))],
        default_handler_class=NotFoundHandler,
    )


def base_url(text):
    """The --upstream option checked, and without a trailing slash: paths are added to it."""
    # urlsplit() silently drops some of these; a newline would reach the request line upstream.
    if " " in text or not text.isprintable():
        raise ValueError(f"upstream cannot contain spaces or control characters, not {text!r}")
    try:
        parts = urllib.parse.urlsplit(text)
        port = parts.port  # not a number up to 65535, or a broken [IPv6] address
    except ValueError as exc:
        raise ValueError(f"upstream must be a valid URL ({exc}), not {text}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname or port == 0:
        raise ValueError(f"upstream must be an http:// or https:// URL, not {text}")
    if "?" in text or "#" in text:
        raise ValueError(f"upstream is a base URL, without ? or #, not {text}")
    return text.rstrip("/")


async def main(port, upstream, timeout):
    # A process-wide setting, so it is made here and not in make_app(), which tests import.
    tornado.httpclient.AsyncHTTPClient.configure(None, max_clients=MAX_CLIENTS)
    app = make_app(upstream, timeout)
    app.listen(port, address="127.0.0.1")
    print(f"Listening on http://localhost:{port}/", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    define("port", default=8000, type=int, help="TCP port to listen on")
    define("upstream", default="http://127.0.0.1:8001", help="base URL of the rail service")
    define("timeout", default=3.0, type=float, help="seconds to wait for the rail service")
    try:
        tornado.options.parse_command_line()
        if not 0 < options.port < 65536:
            raise ValueError(f"port must be between 1 and 65535, not {options.port}")
        upstream = base_url(options.upstream)
        if not 0 < options.timeout <= 60:
            raise ValueError(f"timeout must be more than 0 and at most 60 s, not {options.timeout}")
    except (tornado.options.Error, ValueError) as exc:
        sys.exit(f"error: {exc}")
    asyncio.run(main(options.port, upstream, options.timeout))
