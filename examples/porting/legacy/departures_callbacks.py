# The departure board as the callback era wrote it: Tornado 3.1 on Python 2.7.
# It does not run on Tornado 6; Appendix A ports it to examples/porting/departures.py.
import json
import re

import tornado.httpclient
import tornado.httpserver
import tornado.ioloop
import tornado.options
import tornado.web
from tornado.options import define, options

define("port", default=8000, type=int, help="TCP port to listen on")
define("upstream", default="http://127.0.0.1:8001", help="base URL of the rail service")


class DeparturesHandler(tornado.web.RequestHandler):
    @tornado.web.asynchronous
    def get(self, station):
        if not re.match(r"^[a-z]{1,20}$", station):
            return self._reply(400, "a station is 1 to 20 letters a-z")
        self._station = station
        client = tornado.httpclient.AsyncHTTPClient()
        client.fetch(options.upstream + "/timetable/" + station, callback=self._on_timetable)

    def _on_timetable(self, response):
        if response.error:
            return self._fail(response)
        self._timetable = json.loads(response.body)
        client = tornado.httpclient.AsyncHTTPClient()
        client.fetch(options.upstream + "/delays/" + self._station, callback=self._on_delays)

    def _on_delays(self, response):
        if response.error:
            return self._fail(response)
        delays = json.loads(response.body)
        lines = ["Departures from " + self._timetable["station"]]
        for time, train, destination in self._timetable["trains"]:
            late = delays.get(train, 0)
            if late:
                hours, minutes = time.split(":")
                due = (int(hours) * 60 + int(minutes) + late) % (24 * 60)
                status = "%d min late, expected %02d:%02d" % (late, due / 60, due % 60)
            else:
                status = "on time"
            lines.append("%s  %-6s %-18s %s" % (time, train, destination, status))
        self._reply(200, "\n".join(lines))

    def _fail(self, response):
        if response.code == 404:
            self._reply(404, "no timetable for " + self._station)
        elif response.code == 599:  # no answer: refused, unreachable, or too slow
            self._reply(502, "the rail service is unreachable")
        else:
            self._reply(502, "the rail service answered %d" % response.code)

    def _reply(self, status, text):
        self.set_status(status)
        self.set_header("Content-Type", "text/plain; charset=UTF-8")
        self.write(text + "\n")
        self.finish()


if __name__ == "__main__":
    tornado.options.parse_command_line()
    application = tornado.web.Application([(r"/departures/([^/]+)", DeparturesHandler)])
    server = tornado.httpserver.HTTPServer(application)
    server.listen(options.port, address="127.0.0.1")
    print "Listening on http://localhost:%d/" % options.port
    tornado.ioloop.IOLoop.instance().start()
