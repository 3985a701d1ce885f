"""tests/support.py: the helpers every test file uses."""

import socket
import struct

import pytest
import tornado.web

from tests.support import SILENT, RawServer, run_python, serve_in_thread, sphinx_build, wait_until


def test_a_silent_server_outlives_a_client_that_resets():
    """A client that aborts (an RST) is dropped, and closed; the server goes on accepting."""
    with RawServer(SILENT) as server:
        address = ("127.0.0.1", int(server.url.rsplit(":", 1)[1]))
        aborted = socket.create_connection(address, timeout=10)
        assert wait_until(lambda: server.accepted == 1)
        aborted.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        aborted.close()
        with socket.create_connection(address, timeout=10):
            assert wait_until(lambda: server.accepted == 2)
            assert server.thread.is_alive()
            assert server.peak == 1  # the aborted one was closed before this one counted
            assert server.open[0].fileno() != -1


def test_a_page_must_come_with_a_200():
    app = tornado.web.Application([("/", Page)])
    with serve_in_thread(app) as server:
        assert server.page("/").h1.string == "A page"
        with pytest.raises(AssertionError, match="404"):
            server.page("/missing")


class Page(tornado.web.RequestHandler):
    def get(self):
        self.write("<h1>A page</h1>")


def test_run_python_runs_a_script_from_the_project_root():
    done = run_python("-c", "import pathlib; print(pathlib.Path('noxfile.py').is_file())")
    assert (done.returncode, done.stdout) == (0, "True\n")


def test_wait_until_says_whether_the_condition_came_true():
    assert wait_until(lambda: True)
    assert not wait_until(lambda: False, timeout=0.1)


def test_sphinx_build_fails_the_test_with_sphinxs_errors(tmp_path):
    with pytest.raises(AssertionError, match="conf.py"):
        sphinx_build(tmp_path, tmp_path / "out")


def test_the_stylesheet_is_fetched_from_the_url_the_page_gives():
    app = tornado.web.Application([("/", Styled), ("/style.css", Style)])
    with serve_in_thread(app) as server:
        href, resp = server.stylesheet()
    assert (href, resp.status, resp.text) == ("/style.css?v=1", 200, "h1 {}")


class Styled(tornado.web.RequestHandler):
    def get(self):
        self.write('<link rel="stylesheet" href="/style.css?v=1"><h1>A page</h1>')


class Style(tornado.web.RequestHandler):
    def get(self):
        self.write("h1 {}")
