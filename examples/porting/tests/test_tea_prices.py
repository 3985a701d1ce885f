"""The tea price tests, ported from AsyncHTTPTestCase's stop() and wait() to async def."""

import tornado.testing

from examples.porting import tea_prices


class PriceTest(tornado.testing.AsyncHTTPTestCase):
    def get_app(self):
        return tea_prices.make_app()

    @tornado.testing.gen_test
    async def test_a_known_tea_has_its_price(self):
        response = await self.http_client.fetch(self.get_url("/price/green"))
        self.assertEqual(response.body, b"green: 12.50 yuan a pot\n")

    @tornado.testing.gen_test
    async def test_an_unknown_tea_is_404(self):
        with tornado.testing.ExpectLog("tornado.access", "404 GET /price/puer"):
            response = await self.http_client.fetch(self.get_url("/price/puer"), raise_error=False)
        self.assertEqual((response.code, response.body), (404, b"no price for that tea\n"))
