"""The wrong way, and a stopgap: a handler that asks a slow service with a blocking client."""

import asyncio
import http.client
import json
import re
import sys
import urllib.error
import urllib.request

import tornado.ioloop
import tornado.options
import tornado.web
from tornado.options import define, options

CITY = re.compile(r"[a-z]{1,30}")
TIMEOUT = 5.0  # seconds for the connection, and again for each read of the response
LIMIT = 1024 * 1024  # bytes of body read from the weather service; a report is under 100
BROKEN = "the weather service closed the connection or sent a malformed response"
NOT_A_REPORT = "the weather service sent something that is not a weather report"
TOO_BIG = f"the weather service sent more than {LIMIT} bytes"


# ANCHOR: report
REPORT = {"city": str, "sky": str, "temp_c": int}  # the fields of a weather report, and their types


def weather_report(body):
    """The weather report in an upstream's JSON body, or None if the body is not one."""
    try:
        report = json.loads(body)
    except (ValueError, RecursionError):  # not JSON, not UTF-8, or nested absurdly deep
        return None
    if not isinstance(report, dict) or any(type(report.get(k)) is not t for k, t in REPORT.items()):
        return None
    return {key: report[key] for key in REPORT}
    # ANCHOR_END: report


# ANCHOR: opener
class NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args):
        return None  # the weather service never redirects: a 3xx becomes an HTTPError


OPENER = urllib.request.build_opener(NoRedirects)
# ANCHOR_END: opener


def fetch_weather(upstream, city):
    """Blocking: the status and JSON body to answer with, whatever the weather service did."""
    if not CITY.fullmatch(city):
        return 400, {"error": "a city is 1 to 30 letters a-z"}
    try:
        url = f"{upstream}/weather/{city}"  # the upstream was checked to be http(s) at startup
        with OPENER.open(url, timeout=TIMEOUT) as resp:
            if (resp.length or 0) > LIMIT:  # Content-Length says so: do not read any of it
                return 502, {"error": TOO_BIG}
            body = resp.read(LIMIT + 1)  # never more, whatever the upstream sends
            if resp.length:  # the body ended before its Content-Length
                raise http.client.IncompleteRead(body, resp.length)
    except urllib.error.HTTPError as exc:
        exc.close()
        if exc.code == 404:
            return 404, {"error": f"no weather for {city}"}
        return 502, {"error": f"the weather service answered {exc.code}"}
    except http.client.HTTPException:  # no status line, a broken one, a body cut short
        return 502, {"error": BROKEN}
    except OSError as exc:
        cause = exc.reason if isinstance(exc, urllib.error.URLError) else exc  # connect timeout
        if isinstance(cause, TimeoutError):
            return 504, {"error": f"the weather service did not answer in {TIMEOUT} s"}
        return 502, {"error": "the weather service is unreachable"}
    if len(body) > LIMIT:  # no Content-Length, and too much
        return 502, {"error": TOO_BIG}
    report = weather_report(body)
    if report is None:
        return 502, {"error": NOT_A_REPORT}
    return 200, report


class BlockingHandler(tornado.web.RequestHandler):
    def initialize(self, upstream):
        self.upstream = upstream

    def get(self, city):
        self.reply(*fetch_weather(self.upstream, city))

    def reply(self, status, body):
        self.set_status(status)
        self.write(body)


class ThreadedHandler(BlockingHandler):
    async def get(self, city):
        loop = tornado.ioloop.IOLoop.current()
        self.reply(*await loop.run_in_executor(None, fetch_weather, self.upstream, city))


def make_app(upstream="http://127.0.0.1:8001"):
    return tornado.web.Application(
        [
            (r"/blocking/([^/]+)", BlockingHandler, dict(upstream=upstream)),
            (r"/threaded/([^/]+)", ThreadedHandler, dict(upstream=upstream)),
        ]
    )


async def main(port, upstream):
    app = make_app(upstream)
    app.listen(port, address="127.0.0.1")
    print(f"Listening on http://localhost:{port}/", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    define("port", default=8000, type=int, help="TCP port to listen on")
    define("upstream", default="http://127.0.0.1:8001", help="base URL of the weather service")
    try:
        tornado.options.parse_command_line()
        if not 0 < options.port < 65536:
            raise ValueError(f"port must be between 1 and 65535, not {options.port}")
        if not options.upstream.startswith(("http://", "https://")):
            raise ValueError(f"upstream must be an http:// or https:// URL, not {options.upstream}")
    except (tornado.options.Error, ValueError) as exc:
        sys.exit(f"error: {exc}")
    asyncio.run(main(options.port, options.upstream))
