import pytest

from examples.ch01 import hello_server

EXAMPLE = hello_server


@pytest.mark.reader
def test_greets(server):
    resp = server.fetch("/")
    assert resp.status == 200
    assert resp.text == "Hello from an HTTPServer, Tornado reader!\n"
    assert resp.headers["Content-Type"] == "text/plain; charset=UTF-8"


@pytest.mark.reader
def test_server_refuses_a_body_over_its_limit(server):
    """main() hands max_body_size to the HTTPServer it makes: the server answers before any
    handler runs."""
    assert server.post_head("/", hello_server.MAX_BODY_SIZE + 1).startswith(b"HTTP/1.1 400 ")
    at_limit = server.fetch("/", method="POST", body="x" * hello_server.MAX_BODY_SIZE)
    assert at_limit.status == 405


def test_post_is_not_allowed(server):
    assert server.fetch("/", method="POST", body="x").status == 405
