"""A rail operator's API for the ported handler to call: timetables and delays as JSON."""

import asyncio
import sys

import tornado.options
import tornado.web
from tornado.options import define, options

STATIONS = {
    "hangzhou": {
        "name": "Hangzhou East",
        "trains": [
            ["07:40", "G7502", "Shanghai Hongqiao"],
            ["08:05", "D3141", "Ningbo"],
            ["08:32", "G1374", "Beijing South"],
        ],
        "delays": {"D3141": 12},
    },
    "suzhou": {
        "name": "Suzhou",
        "trains": [["09:10", "G7013", "Nanjing South"], ["09:48", "D2281", "Wuhan"]],
        "delays": {},
    },
}


class Load:
    """Requests being answered now, the most at once so far, and the total."""

    def __init__(self):
        self.in_flight = 0
        self.peak = 0
        self.served = 0


class RailHandler(tornado.web.RequestHandler):
    def initialize(self, load, delay, fail):
        self.load = load
        self.delay = delay
        self.fail = fail

    async def get(self, kind, station):
        self.load.in_flight += 1
        self.load.peak = max(self.load.peak, self.load.in_flight)
        await asyncio.sleep(self.delay)  # a remote service takes its time
        self.load.in_flight -= 1
        self.load.served += 1
        if self.fail:
            self.set_status(503)
            return self.write({"error": "the rail service is down for maintenance"})
        if station not in STATIONS:
            self.set_status(404)
            return self.write({"error": "no such station"})
        info = STATIONS[station]
        if kind == "timetable":
            self.write({"station": info["name"], "trains": info["trains"]})
        else:
            self.write(info["delays"])


class LoadHandler(tornado.web.RequestHandler):
    def initialize(self, load):
        self.load = load

    def get(self):
        self.write(vars(self.load))


def make_app(delay=1.0, fail=False):
    load = Load()
    return tornado.web.Application(
        [
            (r"/(timetable|delays)/([a-z]+)", RailHandler, dict(load=load, delay=delay, fail=fail)),
            (r"/load", LoadHandler, dict(load=load)),
        ]
    )


async def main(port, delay, fail):
    app = make_app(delay, fail)
    app.listen(port, address="127.0.0.1")
    print(f"Listening on http://localhost:{port}/", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    define("port", default=8000, type=int, help="TCP port to listen on")
    define("delay", default=1.0, type=float, help="seconds to wait before every answer")
    define("fail", default=False, type=bool, help="answer every request with 503")
    try:
        tornado.options.parse_command_line()
        if not 0 < options.port < 65536:
            raise ValueError(f"port must be between 1 and 65535, not {options.port}")
        if not 0 <= options.delay <= 60:
            raise ValueError(f"delay must be between 0 and 60 seconds, not {options.delay}")
    except (tornado.options.Error, ValueError) as exc:
        sys.exit(f"error: {exc}")
    asyncio.run(main(options.port, options.delay, options.fail))
