# Tea prices as the gen.coroutine era wrote it: Tornado 5.1 on Python 3.7, with return_future
# over a client library that only knows callbacks.
# Appendix A ports it to examples/porting/tea_prices.py.
import time

import tornado.concurrent
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

    tornado.ioloop.IOLoop.current().add_timeout(time.time() + 0.2, answer)


@tornado.concurrent.return_future
def price_of(tea, callback):
    fetch_price(tea, callback)


class PriceHandler(tornado.web.RequestHandler):
    @tornado.gen.coroutine
    def get(self, tea):
        try:
            price = yield price_of(tea)
        except KeyError:
            self.set_status(404)
            self.write("no price for that tea\n")
            return
        self.write("%s: %s yuan a pot\n" % (tea, price))


if __name__ == "__main__":
    tornado.options.parse_command_line()
    application = tornado.web.Application([(r"/price/([a-z]+)", PriceHandler)])
    application.listen(options.port, address="127.0.0.1")
    print("Listening on http://localhost:%d/" % options.port)
    tornado.ioloop.IOLoop.current().start()
