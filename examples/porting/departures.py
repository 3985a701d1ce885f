"""A departure board ported from callbacks: two upstream calls awaited together."""

import asyncio
import json
import re
import sys

import tornado.httpclient
import tornado.options
import tornado.simple_httpclient
import tornado.web
from tornado.options import define, options

STATION = re.compile(r"[a-z]{1,20}")


class DeparturesHandler(tornado.web.RequestHandler):
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
            )
            text = board(timetable, delays)
        except tornado.simple_httpclient.HTTPTimeoutError:
            return self.reply(504, f"no answer from the rail service within {self.timeout} s")
        except (tornado.simple_httpclient.HTTPStreamClosedError, ConnectionResetError):
            return self.reply(502, "the rail service hung up without a complete answer")
        except tornado.httpclient.HTTPClientError as exc:
            if exc.code == 404:
                return self.reply(404, f"no timetable for {station}")
            return self.reply(502, f"the rail service answered {exc.code}")
        except OSError:  # refused, unknown host, no route
            return self.reply(502, "the rail service is unreachable")
        except (AttributeError, KeyError, TypeError, ValueError):  # not JSON, or not as expected
            return self.reply(502, "the rail service sent data we cannot read")
        self.reply(200, text)

    async def fetch_json(self, path):
        client = tornado.httpclient.AsyncHTTPClient()
        response = await client.fetch(self.upstream + path, request_timeout=self.timeout)
        return json.loads(response.body)

    def reply(self, status, text):
        self.set_status(status)
        self.set_header("Content-Type", "text/plain; charset=UTF-8")
        self.write(text + "\n")


def board(timetable, delays):
    """The board as text: one line per train, and when it is now expected if it is late."""
    lines = [f"Departures from {timetable['station']}"]
    for time, train, destination in timetable["trains"]:
        late = delays.get(train, 0)
        if type(late) is not int:  # bool is a subclass of int: reject true and false too
            raise ValueError(f"the delay of {train} is not a number of minutes")
        if late:
            hours, minutes = time.split(":")
            due = (int(hours) * 60 + int(minutes) + late) % (24 * 60)
            status = f"{late} min late, expected {due // 60:02}:{due % 60:02}"
        else:
            status = "on time"
        lines.append(f"{time}  {train:<6} {destination:<18} {status}")
    return "\n".join(lines)


def make_app(upstream="http://127.0.0.1:8001", timeout=3.0):
    return tornado.web.Application(
        [(r"/departures/([^/]+)", DeparturesHandler, dict(upstream=upstream, timeout=timeout))]
    )


async def main(port, upstream, timeout):
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
        if not options.upstream.startswith(("http://", "https://")):
            raise ValueError(f"upstream must be an http:// or https:// URL, not {options.upstream}")
        if not 0 < options.timeout <= 60:
            raise ValueError(f"timeout must be more than 0 and at most 60 s, not {options.timeout}")
    except (tornado.options.Error, ValueError) as exc:
        sys.exit(f"error: {exc}")
    asyncio.run(main(options.port, options.upstream, options.timeout))
