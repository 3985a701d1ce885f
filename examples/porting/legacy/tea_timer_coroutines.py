# The tea timer as the gen.coroutine era wrote it: Tornado 5.1 on Python 3.7.
# Appendix A ports it to examples/porting/tea_timer.py.
import tornado.gen
import tornado.ioloop
import tornado.options
import tornado.web
from tornado.options import define, options

define("port", default=8000, type=int, help="TCP port to listen on")

STEEP = {"green": 1.0, "oolong": 2.0}


class BrewHandler(tornado.web.RequestHandler):
    @tornado.gen.coroutine
    def get(self, tea):
        if tea not in STEEP:
            self.set_status(404)
            self.write("no such tea; try green or oolong\n")
            return
        yield tornado.gen.sleep(STEEP[tea])
        brews = int(self.get_secure_cookie("brews") or 0) + 1
        self.set_secure_cookie("brews", str(brews), expires_days=1)
        self.write("your %s tea is ready (brew %d today)\n" % (tea, brews))


if __name__ == "__main__":
    tornado.options.parse_command_line()
    application = tornado.web.Application(
        [(r"/brew/([^/]+)", BrewHandler)],
        cookie_secret="change me: a long random string",
    )
    application.listen(options.port, address="127.0.0.1")
    print("Listening on http://localhost:%d/" % options.port)
    tornado.ioloop.IOLoop.instance().start()
