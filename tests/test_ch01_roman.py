from html.parser import HTMLParser

import pytest
import tornado.web

from examples.ch01 import roman
from tests.support import serve_in_thread

EXAMPLE = roman


class ErrorPage(HTMLParser):
    """Collects the text of <title>, <h1> and <p> from an error page."""

    def __init__(self, html):
        super().__init__()
        self.text, self._tag = {}, None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self._tag = tag

    def handle_endtag(self, tag):
        self._tag = None

    def handle_data(self, data):
        if self._tag in {"title", "h1", "p"}:
            self.text[self._tag] = self.text.get(self._tag, "") + data


@pytest.mark.parametrize(
    ("number", "numeral"),
    [
        (1, "I"),
        (4, "IV"),
        (9, "IX"),
        (14, "XIV"),
        (1994, "MCMXCIV"),
        (2026, "MMXXVI"),
        (3999, "MMMCMXCIX"),
    ],
)
def test_to_roman(number, numeral):
    assert roman.to_roman(number) == numeral


@pytest.mark.reader
def test_roman(server):
    resp = server.fetch("/roman/2026")
    assert (resp.status, resp.text) == (200, "2026 = MMXXVI\n")
    assert resp.headers["Content-Type"] == "text/plain; charset=UTF-8"


@pytest.mark.parametrize("digits", ["0", "4000", "000000000", "999999999"])
def test_out_of_range_is_400_page(server, digits):
    resp = server.fetch(f"/roman/{digits}")
    assert resp.status == 400
    page = ErrorPage(resp.text)
    assert page.text["h1"] == "400 Bad Request"
    assert page.text["p"].startswith("number must be from 1 to 3999, not ")


@pytest.mark.reader
def test_unknown_page_is_404_page(server):
    resp = server.fetch("/roman/XIV")
    assert resp.status == 404
    page = ErrorPage(resp.text)
    assert page.text["title"] == "404 Not Found"
    assert page.text["p"] == "there is no page at /roman/XIV"


def test_hostile_path_is_escaped(server):
    resp = server.fetch("/%3Cscript%3E<b>")
    assert resp.status == 404
    assert "<script>" not in resp.text and "<b>" not in resp.text
    assert ErrorPage(resp.text).text["p"] == "there is no page at /%3Cscript%3E<b>"


def test_wrong_method_is_405_page(server):
    resp = server.fetch("/roman/12", method="DELETE")
    assert resp.status == 405
    assert ErrorPage(resp.text).text["p"] == "Method Not Allowed"


def test_crash_is_500_page_without_traceback():
    class Broken(roman.BaseHandler):
        def get(self):
            raise RuntimeError("secret internals")

    app = tornado.web.Application([(r"/", Broken)])
    with serve_in_thread(app) as srv:
        resp = srv.fetch("/")
    assert resp.status == 500
    assert ErrorPage(resp.text).text["p"] == "Something went wrong on our side."
    assert "secret" not in resp.text


def test_non_standard_status_still_gets_a_page():
    class Odd(roman.BaseHandler):
        def get(self):
            raise tornado.web.HTTPError(499, "client went away", reason="Client Closed Request")

    with serve_in_thread(tornado.web.Application([(r"/", Odd)])) as srv:
        resp = srv.fetch("/")
    assert resp.status == 499
    page = ErrorPage(resp.text)
    assert page.text["h1"] == "499 Unknown Error"
    assert page.text["p"] == "client went away"
