"""Tornado's own test classes: python -m unittest runs them, and so does pytest."""

import tempfile
import urllib.parse

from tornado.testing import AsyncHTTPTestCase, ExpectLog, bind_unused_port, gen_test

from examples.ch09 import club


# ANCHOR: case
class ClubTest(AsyncHTTPTestCase):
    def setUp(self):
        folder = self.enterContext(tempfile.TemporaryDirectory())
        self.engine = club.create_engine(f"sqlite:///{folder}/club.db")
        super().setUp()  # makes self.io_loop, calls get_app(), starts the server
        self.io_loop.run_sync(lambda: club.create_schema(self.engine))

    def tearDown(self):
        self.io_loop.run_sync(self.engine.dispose)  # in the loop that used it, while it runs
        super().tearDown()  # stops the server, closes self.http_client, closes the loop

    def get_app(self):
        sock, port = bind_unused_port()
        sock.close()  # a port nobody listens on now: the weather service is down
        return club.make_app(self.engine, upstream=f"http://127.0.0.1:{port}")

    # ANCHOR_END: case
    # ANCHOR: tests
    def test_home_page(self):
        response = self.fetch("/")  # runs the loop until the answer is in
        self.assertEqual(response.code, 200)
        self.assertIn(b"Sign in</a> to post.", response.body)

    @gen_test
    async def test_login_page(self):
        response = await self.http_client.fetch(self.get_url("/login"))
        self.assertIn(b'<input id="name" name="name" value=""', response.body)

    def test_a_post_without_the_xsrf_token_is_refused(self):
        body = urllib.parse.urlencode({"text": "Hello"})
        with (
            ExpectLog("tornado.general", ".*'_xsrf' argument missing from POST"),
            ExpectLog("tornado.access", "403 POST /posts"),  # and keeps both off the screen
        ):
            response = self.fetch("/posts", method="POST", body=body)
        self.assertEqual(response.code, 403)

    @gen_test
    async def test_no_weather_service_is_a_502(self):
        with ExpectLog("tornado.access", "502 GET /weather"):
            response = await self.http_client.fetch(self.get_url("/weather"), raise_error=False)
        self.assertEqual(response.code, 502)

    # ANCHOR_END: tests
