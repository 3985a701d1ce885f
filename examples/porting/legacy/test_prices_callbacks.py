# The tea price tests as the callback era wrote them: Tornado 3.1 on Python 2.7.
# Appendix A ports them to examples/porting/tests/test_tea_prices.py.
import tornado.ioloop
import tornado.testing
import tornado.web

from examples.porting.legacy.tea_prices_callbacks import PriceHandler


class PriceTest(tornado.testing.AsyncHTTPTestCase):
    def get_new_ioloop(self):
        # fetch_price schedules on IOLoop.instance(): the test must run that loop, not a new one
        return tornado.ioloop.IOLoop.instance()

    def get_app(self):
        return tornado.web.Application([(r"/price/([a-z]+)", PriceHandler)])

    def test_a_known_tea_has_its_price(self):
        self.http_client.fetch(self.get_url("/price/green"), self.stop)
        response = self.wait()
        self.assertEqual(response.body, b"green: 12.50 yuan a pot\n")

    def test_an_unknown_tea_is_404(self):
        with tornado.testing.ExpectLog("tornado.access", "404 GET /price/puer"):
            self.http_client.fetch(self.get_url("/price/puer"), self.stop)
            response = self.wait()
        self.assertEqual((response.code, response.body), (404, b"no price for that tea\n"))

