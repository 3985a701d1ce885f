import pytest

from examples.ch01 import hello

EXAMPLE = hello


@pytest.mark.reader
def test_default_greeting(server):
    resp = server.fetch("/")
    assert resp.status == 200
    assert resp.text == "Hello, Tornado reader!\n"


@pytest.mark.reader
def test_greeting_argument(server):
    resp = server.fetch("/?greeting=Salve")
    assert resp.text == "Salve, Tornado reader!\n"


def test_unicode_greeting(server):
    resp = server.fetch("/?greeting=%E4%BD%A0%E5%A5%BD")
    assert resp.text == "你好, Tornado reader!\n"


def test_hostile_greeting_is_plain_text(server):
    resp = server.fetch("/?greeting=%3Cscript%3Ealert(1)%3C/script%3E")
    assert resp.status == 200
    assert resp.headers["Content-Type"] == "text/plain; charset=UTF-8"


def test_long_greeting_is_refused(server):
    resp = server.fetch("/?greeting=" + "a" * (hello.MAX_GREETING + 1))
    assert resp.status == 400
    assert resp.reason == f"greeting is longer than {hello.MAX_GREETING} characters"
    assert b"greeting is longer than" in resp.body


def test_post_is_not_allowed(server):
    assert server.fetch("/", method="POST", body="x").status == 405
