# The departure board as the gen.coroutine era wrote it: Tornado 5.1 on Python 3.7.
# It still runs on Tornado 6.6 (Python 3.12 and 3.13 warn about IOLoop.instance());
# Appendix A ports it to examples/porting/departures.py.
import json
import re

import tornado.gen
import tornado.httpclient
import tornado.ioloop
import tornado.options
import tornado.web
from tornado.options import define, options

STATION = re.compile(r"^[a-z]{1,20}$")


class DeparturesHandler(tornado.web.RequestHandler):
    def initialize(self, upstream):
        self.upstream = upstream

    def reply(self, status, text):
        self.set_status(status)
        self.set_header("Content-Type", "text/plain; charset=UTF-8")
        self.write(text + "\n")

    @tornado.gen.coroutine
    def get(self, station):
        if not STATION.match(station):
            self.reply(400, "a station is 1 to 20 letters a-z")
            return
        try:
            timetable, delays = yield [
                self.fetch_json("/timetable/" + station),
                self.fetch_json("/delays/" + station),
            ]
        except tornado.httpclient.HTTPError as exc:
            if exc.code == 404:
                self.reply(404, "no timetable for " + station)
                return
            if exc.code == 599:  # a timeout, or the connection closed early
                self.reply(504, "no answer from the rail service within 3.0 s")
                return
            self.reply(502, "the rail service answered %d" % exc.code)
            return
        except OSError:
            self.reply(502, "the rail service is unreachable")
            return
        lines = ["Departures from " + timetable["station"]]
        for time, train, destination in timetable["trains"]:
            late = delays.get(train, 0)
            if late:
                hours, minutes = time.split(":")
                due = (int(hours) * 60 + int(minutes) + late) % (24 * 60)
                status = "%d min late, expected %02d:%02d" % (late, due // 60, due % 60)
            else:
                status = "on time"
            lines.append("%s  %-6s %-18s %s" % (time, train, destination, status))
        self.reply(200, "\n".join(lines))

    @tornado.gen.coroutine
    def fetch_json(self, path):
        client = tornado.httpclient.AsyncHTTPClient()
        response = yield client.fetch(self.upstream + path, request_timeout=3.0)
        raise tornado.gen.Return(json.loads(response.body))


if __name__ == "__main__":
    define("port", default=8000, type=int, help="TCP port to listen on")
    define("upstream", default="http://127.0.0.1:8001", help="base URL of the rail service")
    tornado.options.parse_command_line()
    app = tornado.web.Application(
        [(r"/departures/([^/]+)", DeparturesHandler, dict(upstream=options.upstream))]
    )
    app.listen(options.port, address="127.0.0.1")
    print("Listening on http://localhost:%d/" % options.port)
    tornado.ioloop.IOLoop.instance().start()
