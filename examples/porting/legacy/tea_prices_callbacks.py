# Tea prices as the callback era wrote it: Tornado 3.1 on Python 2.7, with gen.engine and
# gen.Task over a client library that only knows callbacks.
# Appendix A ports it to examples/porting/tea_prices.py.
import time

import tornado.gen
import tornado.ioloop
import tornado.options
import tornado.web
from tornado.options import define, options

define("port", default=8000, type=int, help="TCP port to listen on")

PRICES = {"green": "12.50", "oolong": "18.00"}


def fetch_price(tea, callback):
    """A client library of the time: it calls back later, or raises there if it cannot."""
    def answer():
        callback(PRICES[tea])  # KeyError for a tea it does not know

    tornado.ioloop.IOLoop.instance().add_timeout(time.time() + 0.2, answer)


class PriceHandler(tornado.web.RequestHandler):
    @tornado.web.asynchronous
    @tornado.gen.engine
    def get(self, tea):
        try:
            price = yield tornado.gen.Task(fetch_price, tea)
        except KeyError:
            self.set_status(404)
            self.finish("no price for that tea\n")
            return
        self.finish("%s: %s yuan a pot\n" % (tea, price))


if __name__ == "__main__":
    tornado.options.parse_command_line()
    application = tornado.web.Application([(r"/price/([a-z]+)", PriceHandler)])
    application.listen(options.port, address="127.0.0.1")
    print "Listening on http://localhost:%d/" % options.port
    tornado.ioloop.IOLoop.instance().start()
