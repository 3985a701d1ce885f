import concurrent.futures
import json

import pytest

from examples.ch11 import wsgi_mount
from tests.support import Server, ctrl_c, example_relpath, run_example, serve_in_thread

EXAMPLE = wsgi_mount


@pytest.fixture
def served(mode):
    """The program as main() runs it (a pool of threads for the WSGI side), or from a terminal."""
    if mode == "in-process":
        with (
            concurrent.futures.ThreadPoolExecutor(2, thread_name_prefix="wsgi") as pool,
            serve_in_thread(wsgi_mount.make_app(pool)) as srv,
        ):
            yield srv
    else:
        with run_example(example_relpath(wsgi_mount)) as srv:
            yield srv


@pytest.mark.reader
def test_tornado_answers_in_the_loop_and_wsgi_in_a_worker(served):
    assert json.loads(served.fetch("/whoami").body) == {
        "served_by": "tornado",
        "thread": "event loop",
    }
    resp = served.fetch("/old/whoami")
    assert resp.status == 200
    assert resp.headers["Content-Type"] == "application/json"
    assert json.loads(resp.body) == {"served_by": "wsgi", "thread": "worker"}


@pytest.mark.reader
def test_a_streamed_wsgi_body_arrives_whole(served):
    resp = served.fetch("/old/report")
    assert resp.status == 200
    assert resp.body == b"line 1\nline 2\nline 3\n"
    assert resp.headers["Content-Length"] == "21"  # buffered, then sent in one piece
    assert "Transfer-Encoding" not in resp.headers


@pytest.mark.parametrize(
    ("path", "status", "body"),
    [
        ("/old/greet?name=Ada", 200, "Hello, Ada!\n"),
        ("/old/greet?name=%E5%B0%8F%E6%98%8E", 200, "Hello, 小明!\n"),
        ("/old/greet", 400, "name: 1 to 40 characters\n"),
        ("/old/greet?name=", 400, "name: 1 to 40 characters\n"),
        ("/old/greet?name=" + "x" * 41, 400, "name: 1 to 40 characters\n"),
        ("/old/greet?name=%ff", 400, "the query must be UTF-8\n"),
        ("/old/nothing", 404, "no such page in the old application\n"),
    ],
)
def test_the_wsgi_side_checks_its_input(served, path, status, body):
    resp = served.fetch(path)
    assert (resp.status, resp.body.decode()) == (status, body)
    assert resp.headers["Content-Type"] == "text/plain; charset=UTF-8"


def test_other_methods_are_405_with_allow(served):
    resp = served.fetch("/old/greet?name=Ada", method="POST", body=b"x")
    assert (resp.status, resp.body) == (405, b"only GET and HEAD\n")
    assert resp.headers["Allow"] == "GET, HEAD"
    assert served.fetch("/old/greet?name=Ada", method="HEAD").status == 200


@pytest.mark.parametrize("host", ["localhost:abc", "localhost:", "a:b:c", "[::1]:x"])
def test_a_host_whose_port_is_not_a_number_is_400(served, host):
    resp = served.fetch("/old/whoami", headers={"Host": host})
    assert (resp.status, resp.body) == (400, b"the Host header's port must be a number\n")


@pytest.mark.parametrize("host", ["localhost", "localhost:8000", "127.0.0.1:8000", "[::1]:8000"])
def test_ordinary_hosts_pass(served, host):
    assert served.fetch("/old/whoami", headers={"Host": host}).status == 200


def test_ctrl_c_prints_stopped_without_a_traceback():
    def ask(port):
        assert json.loads(Server(port).fetch("/old/whoami").body)["thread"] == "worker"

    status, out, err = ctrl_c(example_relpath(wsgi_mount), before=ask)
    assert (status, out) == (0, "Stopped\n")
    assert "Traceback" not in err


@pytest.mark.parametrize("path", ["/whoami", "/old/whoami"])
def test_a_body_over_the_limit_is_refused_unread(path):
    """The WSGI side's 405 comes only after Tornado has read the whole body into memory."""
    with run_example(example_relpath(wsgi_mount)) as srv:
        assert srv.post_head(path, wsgi_mount.MAX_BODY_SIZE + 1).startswith(b"HTTP/1.1 4")
