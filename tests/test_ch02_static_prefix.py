import re

import pytest

from examples.ch02 import static_prefix
from tests.support import EXAMPLES

EXAMPLE = static_prefix

STYLE = (EXAMPLES / "ch02" / "static" / "style.css").read_bytes()


@pytest.mark.reader
def test_static_url_starts_with_the_prefix(server):
    resp = server.fetch("/")
    assert resp.status == 200
    assert re.fullmatch(r"/assets/style\.css\?v=[0-9a-f]{128}\n", resp.text)


@pytest.mark.reader
def test_the_files_move_to_the_prefix(server):
    link = server.fetch("/").text.strip()
    resp = server.fetch(link)
    assert (resp.status, resp.body) == (200, STYLE)
    assert resp.headers["Cache-Control"] == "max-age=315360000"
    assert server.fetch("/static/style.css").status == 404


def test_favicon_and_robots_stay_at_the_root(server):
    assert server.fetch("/robots.txt").status == 404  # no such file, but the route is there
    assert server.fetch("/assets/robots.txt").status == 404


@pytest.mark.parametrize(
    ("path", "status", "says"),
    [
        ("/assets/../static_prefix.py", 403, "is not in root static directory"),
        ("/assets/style.css%00", 400, "a file name cannot contain a NUL byte"),
    ],
)
def test_bad_paths_get_a_4xx_with_a_reason(server, path, status, says):
    resp = server.fetch(path)
    assert resp.status == status
    assert says in resp.text
