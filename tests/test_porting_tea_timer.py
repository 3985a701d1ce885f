from http.cookies import SimpleCookie

import pytest
from tornado.web import create_signed_value, decode_signed_value

from examples.porting import tea_timer
from tests.support import serve_in_thread

EXAMPLE = tea_timer
SECRET = "s" * 43


def brew(server, tea, cookie=None):
    headers = {"Cookie": f"brews={cookie}"} if cookie else {}
    return server.fetch(f"/brew/{tea}", headers=headers)


def set_brews(resp):
    return SimpleCookie(resp.headers["Set-Cookie"])["brews"]


@pytest.mark.reader
def test_a_brew_waits_its_steeping_time_then_counts_one(server):
    resp = brew(server, "green")
    assert (resp.status, resp.text) == (200, "your green tea is ready (brew 1 today)\n")
    assert resp.headers["Content-Type"] == tea_timer.TEXT
    morsel = set_brews(resp)
    assert morsel["httponly"] and morsel["samesite"] == "Lax"


@pytest.mark.reader
def test_the_count_goes_on_with_the_signed_cookie(server):
    first = set_brews(brew(server, "green")).value
    assert brew(server, "green", first).text == "your green tea is ready (brew 2 today)\n"


@pytest.mark.reader
@pytest.mark.parametrize("cookie", ["99", "abc", "2|1|x|y", "%FF"])
def test_a_cookie_we_did_not_sign_counts_as_none(server, cookie):
    assert brew(server, "green", cookie).text == "your green tea is ready (brew 1 today)\n"


@pytest.mark.parametrize("tea", ["puer", "%3Cscript%3E", "GREEN", "x" * 5000])
def test_an_unknown_tea_is_404_without_echoing_it(server, tea):
    resp = brew(server, tea)
    assert (resp.status, resp.text) == (404, "no such tea; try green or oolong\n")
    assert "Set-Cookie" not in resp.headers


@pytest.mark.parametrize("count", ["lots", "9" * 5000, "１２"])
def test_a_signed_value_that_is_not_a_small_count_counts_as_none(count):
    value = create_signed_value(SECRET, "brews", count).decode()
    with serve_in_thread(tea_timer.make_app(SECRET)) as srv:
        resp = brew(srv, "green", value)
    assert (resp.status, resp.text) == (200, "your green tea is ready (brew 1 today)\n")


def test_a_cookie_signed_by_tornado_3_is_still_read_and_renewed_in_the_new_format():
    """Keep the old secret when porting: version 1 cookies (Tornado 3.x) are still accepted."""
    old = create_signed_value(SECRET, "brews", "4", version=1).decode()
    with serve_in_thread(tea_timer.make_app(SECRET)) as srv:
        resp = brew(srv, "green", old)
    assert resp.text == "your green tea is ready (brew 5 today)\n"
    renewed = set_brews(resp).value
    assert renewed.startswith("2|")  # version 2, the default since Tornado 3.2.1
    assert decode_signed_value(SECRET, "brews", renewed) == b"5"


def test_each_start_signs_with_a_new_secret():
    with serve_in_thread(tea_timer.make_app()) as one:
        cookie = set_brews(brew(one, "green")).value
    with serve_in_thread(tea_timer.make_app()) as two:
        assert brew(two, "green", cookie).text == "your green tea is ready (brew 1 today)\n"


def test_a_path_that_is_not_utf8_is_tornados_400(server):
    resp = brew(server, "%FF")
    assert resp.status == 400 and "Bad Request" in resp.text
