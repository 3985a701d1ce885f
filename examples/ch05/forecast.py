"""The right way: await an asynchronous HTTP client; a timeout is 504, other failures 502."""

import asyncio
import json
import re
import sys

import tornado.httpclient
import tornado.iostream
import tornado.options
import tornado.simple_httpclient
import tornado.web
from tornado.options import define, options

CITY = re.compile(r"[a-z]{1,30}")
BROKEN = "the weather service closed the connection or sent a malformed response"
NOT_A_REPORT = "the weather service sent something that is not a weather report"


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


class WeatherHandler(tornado.web.RequestHandler):
    def initialize(self, upstream, timeout):
        self.upstream = upstream
        self.timeout = timeout

    async def get(self, city):
        if not CITY.fullmatch(city):
            return self.reply(400, "a city is 1 to 30 letters a-z")
        client = tornado.httpclient.AsyncHTTPClient()
        try:
            response = await client.fetch(
                f"{self.upstream}/weather/{city}",
                request_timeout=self.timeout,
                follow_redirects=False,  # the weather service never redirects: a 3xx is a 502
            )
        except tornado.simple_httpclient.HTTPTimeoutError:
            return self.reply(504, f"the weather service did not answer in {self.timeout} s")
        except (
            tornado.simple_httpclient.HTTPStreamClosedError,
            tornado.iostream.UnsatisfiableReadError,  # a header line too long to read
        ):
            return self.reply(502, BROKEN)
        except tornado.httpclient.HTTPClientError as exc:
            if exc.code == 404:
                return self.reply(404, f"no weather for {city}")
            return self.reply(502, f"the weather service answered {exc.code}")
        except OSError:
            return self.reply(502, "the weather service is unreachable")
        report = weather_report(response.body)
        if report is None:
            return self.reply(502, NOT_A_REPORT)
        self.write(report)

    def reply(self, status, error):
        self.set_status(status)
        self.write({"error": error})


def make_app(upstream="http://127.0.0.1:8001", timeout=3.0):
    return tornado.web.Application(
        [(r"/weather/([^/]+)", WeatherHandler, dict(upstream=upstream, timeout=timeout))]
    )


async def main(port, upstream, timeout):
    app = make_app(upstream, timeout)
    app.listen(port, address="127.0.0.1")
    print(f"Listening on http://localhost:{port}/", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    define("port", default=8000, type=int, help="TCP port to listen on")
    define("upstream", default="http://127.0.0.1:8001", help="base URL of the weather service")
    define("timeout", default=3.0, type=float, help="seconds to wait for the weather service")
    try:
        tornado.options.parse_command_line()
        if not 0 < options.port < 65536:
            raise ValueError(f"port must be between 1 and 65535, not {options.port}")
        if not options.upstream.startswith(("http://", "https://")):
            raise ValueError(f"upstream must be an http:// or https:// URL, not {options.upstream}")
        if not 0 < options.timeout <= 60:
            raise ValueError(f"timeout must be more than 0 and at most 60 s, not {options.timeout}")
    except (tornado.options.Error, ValueError) as exc:
        sys.exit(f"error: {exc}")
    asyncio.run(main(options.port, options.upstream, options.timeout))
