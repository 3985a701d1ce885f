from http.cookies import SimpleCookie

import pytest

from examples.ch06 import visits_plain

EXAMPLE = visits_plain


def visit(server, cookie=None):
    resp = server.fetch("/", headers={"Cookie": cookie} if cookie else {})
    assert resp.status == 200
    assert resp.headers["Content-Type"] == "text/plain; charset=UTF-8"
    return resp


def sent_cookie(resp):
    cookie = SimpleCookie(resp.headers["Set-Cookie"])
    return cookie["visits"].value


@pytest.mark.reader
def test_first_visit(server):
    resp = visit(server)
    assert resp.text == "You have been here 1 time.\n"
    assert sent_cookie(resp) == "1"


@pytest.mark.reader
def test_counter_goes_up_with_the_cookie_it_set(server):
    cookie = None
    for number in range(1, 4):
        resp = visit(server, cookie)
        assert resp.text.startswith(f"You have been here {number} time")
        cookie = f"visits={sent_cookie(resp)}"


def test_a_forged_number_is_believed(server):
    # The point of this example: the server cannot tell a forged cookie from its own.
    resp = visit(server, "visits=1000000")
    assert resp.text == "You have been here 1000001 times.\n"
    assert sent_cookie(resp) == "1000001"


@pytest.mark.parametrize(
    "value", ["lots", "-5", "1e3", "", "0x10", "1234567890", "9" * 5000, "²", "%31"]
)
def test_nonsense_counts_as_zero(server, value):
    resp = visit(server, f"visits={value}")
    assert resp.text == "You have been here 1 time.\n"


def test_other_cookies_are_ignored(server):
    assert visit(server, "theme=dark; visits=7").text == "You have been here 8 times.\n"


def test_parse_count():
    assert visits_plain.parse_count(None) == 0
    assert visits_plain.parse_count("007") == 7
    assert visits_plain.parse_count("١٢") == 0  # Arabic-Indic digits: str.isdigit() says yes
