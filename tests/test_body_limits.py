"""A body over an example's MAX_BODY_SIZE is refused before it is read: the HTTP server that
main() makes answers 400 from the request's head alone, and the example goes on serving.
Chapter 1 explains the limit; every example with a form of its own sets one. The examples'
own tests check their forms; this is the check they share (chapter 5's boards, chapter 6's
login and chapter 8's live notices, which need a session or Redis, check it themselves)."""

import pytest

from examples.ch01 import string_service
from examples.ch02 import postcard, wordfreq
from examples.ch03 import guestbook
from examples.ch06 import xsrf_board

# (example, where its form posts, a page it still serves afterwards)
LIMITED = [
    (string_service, "/wrap", "/reverse/ok"),
    (postcard, "/postcard", "/"),
    (wordfreq, "/report", "/"),
    (guestbook, "/", "/"),
    (xsrf_board, "/notes", "/"),
]
SERVED = [example for example, _, _ in LIMITED]  # none keeps a database (tests/conftest.py)


@pytest.mark.reader
@pytest.mark.parametrize(
    ("example", "path", "then"),
    LIMITED,
    ids=[example.__name__.rsplit(".", 1)[-1] for example in SERVED],
)
def test_huge_body_is_refused_before_it_is_read(server, example, path, then):
    answer = server.post_head(path, example.MAX_BODY_SIZE + 1)
    assert answer.startswith(b"HTTP/1.1 400 Bad Request\r\n")
    assert server.fetch(then).status == 200
