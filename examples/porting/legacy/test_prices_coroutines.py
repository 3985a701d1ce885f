# The tea price tests as the gen.coroutine era wrote them: Tornado 5.1 on Python 3.7.
# Appendix A ports them to examples/porting/tests/test_tea_prices.py.
import tornado.gen
import tornado.testing
import tornado.web

from examples.porting.legacy.tea_prices_coroutines import PriceHandler


class PriceTest(tornado.testing.AsyncHTTPTestCase):
    def get_app(self):
        return tornado.web.Application([(r"/price/([a-z]+)", PriceHandler)])

    @tornado.testing.gen_test
    def test_a_known_tea_has_its_price(self):
        response = yield self.http_client.fetch(self.get_url("/price/green"))
        self.assertEqual(response.body, b"green: 12.50 yuan a pot\n")

    @tornado.testing.gen_test
    def test_an_unknown_tea_is_404(self):
        with tornado.testing.ExpectLog("tornado.access", "404 GET /price/puer"):
            response = yield self.http_client.fetch(self.get_url("/price/puer"), raise_error=False)
        self.assertEqual((response.code, response.body), (404, b"no price for that tea\n"))

