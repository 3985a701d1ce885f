import pytest

from examples.ch01 import notes

EXAMPLE = notes


@pytest.mark.reader
def test_lifecycle(server):
    assert server.fetch("/notes/todo").status == 404
    resp = server.fetch("/notes/todo", method="PUT", body="buy milk")
    assert (resp.status, resp.text) == (201, "created todo\n")
    resp = server.fetch("/notes/todo")
    assert (resp.status, resp.text) == (200, "buy milk")
    resp = server.fetch("/notes/todo", method="PUT", body="buy tea")
    assert (resp.status, resp.text) == (200, "replaced todo\n")
    assert server.fetch("/notes/todo").text == "buy tea"
    resp = server.fetch("/notes/todo", method="DELETE")
    assert (resp.status, resp.body) == (204, b"")
    resp = server.fetch("/notes/todo", method="DELETE")
    assert (resp.status, resp.reason) == (404, "no such note")


def test_unsupported_methods_are_405(server):
    assert server.fetch("/notes/todo", method="POST", body="x").status == 405
    assert server.fetch("/notes/todo", method="PATCH", body="x").status == 405


@pytest.mark.parametrize("name", ["UPPER", "a_b", "x" * 41, "", "a/b"])
def test_names_outside_the_pattern_are_404(server, name):
    assert server.fetch(f"/notes/{name}", method="PUT", body="x").status == 404


@pytest.mark.parametrize(
    ("body", "status", "reason"),
    [
        (b"", 400, "note is empty"),
        (b"  \n", 400, "note is empty"),
        (b"\xff\xfe", 400, "note must be UTF-8 text"),
        (b"n" * 1001, 413, "note is longer than 1000 characters"),
    ],
)
def test_bad_bodies_are_refused(server, body, status, reason):
    resp = server.fetch("/notes/bad", method="PUT", body=body)
    assert (resp.status, resp.reason) == (status, reason)
    assert server.fetch("/notes/bad").status == 404


@pytest.mark.reader
def test_hostile_note_is_plain_text(server):
    server.fetch("/notes/x", method="PUT", body="<img src=x onerror=alert(1)>")
    resp = server.fetch("/notes/x")
    assert resp.headers["Content-Type"] == "text/plain; charset=UTF-8"


def test_each_app_has_its_own_notes():
    first, second = notes.make_app(), notes.make_app()
    assert first is not second
