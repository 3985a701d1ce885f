"""A slow weather service that stands in for a remote API: JSON after a delay, or a failure."""

import asyncio
import sys

import tornado.options
import tornado.web
from tornado.options import define, options

CITIES = {
    "beijing": {"city": "Beijing", "sky": "sunny", "temp_c": 31},
    "chengdu": {"city": "Chengdu", "sky": "overcast", "temp_c": 26},
    "guangzhou": {"city": "Guangzhou", "sky": "thunderstorms", "temp_c": 29},
    "hangzhou": {"city": "Hangzhou", "sky": "light rain", "temp_c": 24},
    "harbin": {"city": "Harbin", "sky": "windy", "temp_c": 18},
    "lhasa": {"city": "Lhasa", "sky": "clear", "temp_c": 15},
}


class Traffic:
    """How many requests are being answered now, at most so far, and in total."""

    def __init__(self):
        self.in_flight = 0
        self.peak = 0
        self.served = 0


class WeatherHandler(tornado.web.RequestHandler):
    def initialize(self, traffic, delay, fail, hang_up):
        self.traffic = traffic
        self.delay = delay
        self.fail = fail
        self.hang_up = hang_up

    async def get(self, city):
        if self.hang_up:
            # Nothing is sent, so the 200 Tornado would log is false: 444 is nginx's code for this.
            self.set_status(444, "Closed Without Response")
            return self.request.connection.close()  # no status line, no headers, nothing
        self.traffic.in_flight += 1
        self.traffic.peak = max(self.traffic.peak, self.traffic.in_flight)
        await asyncio.sleep(self.delay)  # the slow part of a real remote service
        self.traffic.in_flight -= 1
        self.traffic.served += 1
        if self.fail:
            self.set_status(503)
            self.write({"error": "the weather service is down for maintenance"})
        elif city not in CITIES:
            self.set_status(404)
            self.write({"error": "no weather for this city"})
        else:
            self.write(CITIES[city])


class StatsHandler(tornado.web.RequestHandler):
    def initialize(self, traffic):
        self.traffic = traffic

    def get(self):
        self.write(vars(self.traffic))


def make_app(delay=1.0, fail=False, hang_up=False):
    traffic = Traffic()
    weather = dict(traffic=traffic, delay=delay, fail=fail, hang_up=hang_up)
    return tornado.web.Application(
        [
            (r"/weather/([a-z]+)", WeatherHandler, weather),
            (r"/stats", StatsHandler, dict(traffic=traffic)),
        ]
    )


async def main(port, delay, fail, hang_up):
    app = make_app(delay, fail, hang_up)
    app.listen(port, address="127.0.0.1")
    print(f"Listening on http://localhost:{port}/", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    define("port", default=8000, type=int, help="TCP port to listen on")
    define("delay", default=1.0, type=float, help="seconds to wait before every answer")
    define("fail", default=False, type=bool, help="answer every request with 503")
    define("hang_up", default=False, type=bool, help="close every connection without answering")
    try:
        tornado.options.parse_command_line()
        if not 0 < options.port < 65536:
            raise ValueError(f"port must be between 1 and 65535, not {options.port}")
        if not 0 <= options.delay <= 60:
            raise ValueError(f"delay must be between 0 and 60 seconds, not {options.delay}")
    except (tornado.options.Error, ValueError) as exc:
        sys.exit(f"error: {exc}")
    asyncio.run(main(options.port, options.delay, options.fail, options.hang_up))
