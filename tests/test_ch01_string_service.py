from urllib.parse import urlencode

import pytest

from examples.ch01 import string_service

EXAMPLE = string_service
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def wrap(server, **fields):
    return server.fetch("/wrap", method="POST", body=urlencode(fields), headers=FORM)


@pytest.mark.reader
def test_reverse(server):
    resp = server.fetch("/reverse/stressed")
    assert (resp.status, resp.text) == (200, "desserts\n")


def test_reverse_unicode(server):
    assert server.fetch("/reverse/%E4%BD%A0%E5%A5%BD").text == "好你\n"


def test_reverse_needs_a_word(server):
    assert server.fetch("/reverse/").status == 404
    assert server.fetch("/reverse/a/b").status == 404


def test_reverse_refuses_long_words(server):
    resp = server.fetch("/reverse/" + "x" * 101)
    assert resp.status == 400
    assert "longer than 100" in resp.reason


def test_reverse_bad_utf8_is_400(server):
    assert server.fetch("/reverse/%FF").status == 400


def test_hostile_word_is_plain_text(server):
    resp = server.fetch("/reverse/%3E'b'%3C")
    assert resp.text == "<'b'>\n"
    assert resp.headers["Content-Type"] == "text/plain; charset=UTF-8"


@pytest.mark.reader
def test_wrap_default_width(server):
    text = "Tornado is a Python web framework and asynchronous networking library."
    resp = wrap(server, text=text)
    assert resp.status == 200
    lines = resp.text.splitlines()
    assert max(map(len, lines)) <= 40
    assert " ".join(lines) == text


def test_wrap_width(server):
    resp = wrap(server, text="one two three four five six", width="10")
    assert resp.text == "one two\nthree four\nfive six\n"


@pytest.mark.parametrize("width", ["abc", "", "9", "201", "1e3", "-20"])
def test_bad_width_is_400(server, width):
    resp = wrap(server, text="hello", width=width)
    assert resp.status == 400
    assert resp.reason == "width must be a whole number from 10 to 200"


def test_missing_text_is_400(server):
    resp = wrap(server, width="20")
    assert resp.status == 400
    assert resp.reason == "missing form field 'text'"


def test_long_text_is_413(server):
    resp = wrap(server, text="a " * 6000)
    assert resp.status == 413
    assert resp.reason == "text is longer than 10000 characters"


def test_get_on_wrap_is_405(server):
    assert server.fetch("/wrap").status == 405
