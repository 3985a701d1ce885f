"""Several upstream calls at once: gathered, limited by a semaphore, each with a deadline."""

import asyncio
import json
import re
import sys

import tornado.httpclient
import tornado.ioloop
import tornado.iostream
import tornado.locks
import tornado.options
import tornado.simple_httpclient
import tornado.web
from tornado.options import define, options

CITY = re.compile(r"[a-z]{1,30}")
MAX_CITIES = 8
CONCURRENCY = 3  # weather requests in flight at once, for the whole application
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


class BoardHandler(tornado.web.RequestHandler):
    def initialize(self, upstream, timeout, limit):
        self.upstream = upstream
        self.timeout = timeout
        self.limit = limit

    async def get(self):
        cities = list(dict.fromkeys(self.get_query_arguments("city")))
        error = check(cities)
        if error:
            self.set_status(400)
            return self.write({"error": error})
        rows = await asyncio.gather(*(self.weather(city) for city in cities))
        if all("error" in row for row in rows):
            self.set_status(502)
        self.write({"cities": rows})

    async def weather(self, city):
        """One row of the board: the weather, or why there is none."""
        client = tornado.httpclient.AsyncHTTPClient()
        url = f"{self.upstream}/weather/{city}"
        loop = tornado.ioloop.IOLoop.current()
        deadline = loop.time() + self.timeout  # for queueing and asking together
        try:
            await self.limit.acquire(deadline)
        except TimeoutError:
            return {"city": city, "error": f"no answer within {self.timeout} s"}
        try:
            # What is left is the request's own timeout: when it passes, the client closes the
            # connection, and only after that does the slot go back to the semaphore.
            left = max(deadline - loop.time(), 0.001)
            response = await client.fetch(url, request_timeout=left, follow_redirects=False)
        except tornado.simple_httpclient.HTTPTimeoutError:
            return {"city": city, "error": f"no answer within {self.timeout} s"}
        except (
            tornado.simple_httpclient.HTTPStreamClosedError,
            tornado.iostream.UnsatisfiableReadError,  # a header line too long to read
        ):
            return {"city": city, "error": BROKEN}
        except tornado.httpclient.HTTPClientError as exc:
            return {"city": city, "error": f"the weather service answered {exc.code}"}
        except OSError:
            return {"city": city, "error": "the weather service is unreachable"}
        finally:
            self.limit.release()
        report = weather_report(response.body)
        if report is None:
            return {"city": city, "error": NOT_A_REPORT}
        return {"city": city, "weather": report}


def check(cities):
    """Why this list of cities cannot be looked up, or None."""
    if not cities:
        return "ask for at least one city, as in ?city=beijing&city=lhasa"
    if len(cities) > MAX_CITIES:
        return f"ask for at most {MAX_CITIES} cities at a time"
    if not all(CITY.fullmatch(city) for city in cities):
        return "a city is 1 to 30 letters a-z"
    return None


def make_app(upstream="http://127.0.0.1:8001", timeout=3.0):
    limit = tornado.locks.Semaphore(CONCURRENCY)
    return tornado.web.Application(
        [(r"/board", BoardHandler, dict(upstream=upstream, timeout=timeout, limit=limit))]
    )


async def main(port, upstream, timeout):
    app = make_app(upstream, timeout)
    app.listen(port, address="127.0.0.1")
    print(f"Listening on http://localhost:{port}/", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    define("port", default=8000, type=int, help="TCP port to listen on")
    define("upstream", default="http://127.0.0.1:8001", help="base URL of the weather service")
    define("timeout", default=3.0, type=float, help="seconds to wait for each city")
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
