# Several processes on one port as the callback era wrote it: Tornado 3.1 on Python 2.7.
# Chapter 8's examples/ch08/forked.py is how Tornado 6 does it.
import os

import tornado.httpserver
import tornado.ioloop
import tornado.options
import tornado.process
import tornado.web
from tornado.options import define, options

define("port", default=8000, type=int, help="TCP port to listen on")
define("processes", default=0, type=int, help="how many processes to fork (0: one per CPU)")


class WhoAmIHandler(tornado.web.RequestHandler):
    def get(self):
        self.set_header("Content-Type", "text/plain; charset=UTF-8")
        self.write("process %d, task %d\n" % (os.getpid(), tornado.process.task_id()))


if __name__ == "__main__":
    tornado.options.parse_command_line()
    application = tornado.web.Application([(r"/whoami", WhoAmIHandler)])
    server = tornado.httpserver.HTTPServer(application)
    server.bind(options.port, address="127.0.0.1")
    print "Listening on http://localhost:%d/whoami" % options.port
    server.start(options.processes)  # forks; from here on, in each child
    tornado.ioloop.IOLoop.instance().start()
