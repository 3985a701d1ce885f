import contextlib
import http.client
import signal
import socket
from concurrent.futures import ThreadPoolExecutor

import pytest

from examples.ch08 import whoami
from tests.ch08_support import printed_url, processes
from tests.support import Server, free_port, run_example, run_program, wait_until

EXAMPLE = whoami
CSS = whoami.BASE / "static" / "deploy.css"


@pytest.mark.reader
def test_page_says_which_process_answered(server):
    resp = server.fetch("/")
    assert resp.status == 200
    page = resp.html
    assert page.title.string == "Who answered?"
    assert page.find(id="pid").string == resp.headers["X-Worker-Pid"]
    assert page.find(id="running").string == "1"  # this very request
    assert page.find(id="client").string == "127.0.0.1"
    assert page.find(id="protocol").string == "http"


@pytest.mark.reader
def test_stylesheet_through_the_url_the_page_gives(server):
    href, resp = server.stylesheet()
    assert href.startswith("/static/deploy.css?v=")
    assert (resp.status, resp.body) == (200, CSS.read_bytes())


@pytest.mark.reader
def test_whoami_is_the_client_as_the_server_sees_it(server):
    resp = server.fetch("/whoami")
    assert resp.headers["Content-Type"] == "text/plain; charset=UTF-8"
    assert resp.text == "client 127.0.0.1, protocol http\n"
    assert resp.headers["X-Worker-Pid"].isdigit()


def test_work_takes_the_seconds_asked(server):
    resp = server.fetch("/work?seconds=0")
    assert resp.status == 200
    assert resp.text == "worked for 0 s\n"


@pytest.mark.parametrize("seconds", ["abc", "-1", "", "31", "1.5", "123"])
def test_bad_seconds_are_refused(server, seconds):
    resp = server.fetch(f"/work?seconds={seconds}")
    assert resp.status == 400
    assert resp.headers["Content-Type"] == "text/plain; charset=UTF-8"
    assert resp.text == f"seconds must be a whole number from 0 to {whoami.MAX_WORK}\n"


def test_the_status_line_carries_only_the_standard_phrase(server):
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(b"GET /work?seconds=99 HTTP/1.1\r\nHost: x\r\n\r\n")
        status_line = sock.makefile("rb").readline()
    assert status_line == b"HTTP/1.1 400 Bad Request\r\n"


def test_proxy_headers_are_trusted_when_run_as_deployed():
    """xheaders=True: X-Real-IP and X-Forwarded-Proto become remote_ip and protocol."""
    with run_example("ch08/whoami.py") as srv:
        spoofed = {"X-Real-IP": "203.0.113.9", "X-Forwarded-Proto": "https"}
        assert srv.fetch("/whoami", headers=spoofed).text == "client 203.0.113.9, protocol https\n"
        forwarded = {"X-Forwarded-For": "198.51.100.1, 203.0.113.7"}
        assert srv.fetch("/whoami", headers=forwarded).text.startswith("client 203.0.113.7,")
        junk = {"X-Real-IP": "<script>", "X-Forwarded-Proto": "gopher"}
        assert srv.fetch("/whoami", headers=junk).text == "client 127.0.0.1, protocol http\n"


def test_reuse_port_spreads_connections_over_processes(tmp_path):
    port = free_port()
    with processes("whoami.py", [port, port, port], directory=tmp_path) as running:
        pids = {str(process.pid) for process, _, _ in running}
        seen = set()
        for _ in range(500):
            seen.add(Server(port).fetch("/whoami").headers["X-Worker-Pid"])
            if seen == pids:
                break
        assert seen == pids


def test_the_address_it_prints_answers(tmp_path):
    with processes("whoami.py", [free_port()], directory=tmp_path) as running:
        _, port, log = running[0]
        assert wait_until(lambda: "Listening on" in log.read_text())
        url = printed_url(log)
        assert url == f"http://localhost:{port}/"
        assert Server(port).fetch(url.removeprefix(f"http://localhost:{port}")).status == 200


def running_count(srv):
    return srv.fetch("/").html.find(id="running").string


def refused(port):
    try:
        socket.create_connection(("127.0.0.1", port), 0.5).close()
    except ConnectionRefusedError:
        return True
    return False


@contextlib.contextmanager
def sigterm_while_running(process, port, request):
    """Send `request` (a path to fetch, or a function that makes the request) from a thread;
    once the process runs it (two requests running: it and /'s count), send SIGTERM. Yields
    the request's future; leaving waits for the request to end."""
    call = (Server(port).fetch, request) if isinstance(request, str) else (request,)
    with ThreadPoolExecutor(1) as pool:
        future = pool.submit(*call)
        assert wait_until(lambda: running_count(Server(port)) == "2")
        process.send_signal(signal.SIGTERM)
        yield future


def test_sigterm_lets_the_running_request_finish(tmp_path):
    with processes("whoami.py", [free_port()], directory=tmp_path) as running:
        process, port, log = running[0]
        with sigterm_while_running(process, port, "/work?seconds=3") as slow:
            assert wait_until(lambda: refused(port))
            resp = slow.result()
        assert resp.status == 200
        assert resp.text == "worked for 3 s\n"
        assert process.wait(15) == 0
        output = log.read_text()
        assert "Stopping; 1 request(s) still running" in output
        assert output.rstrip().endswith("Stopped")


def test_sigterm_gives_up_after_the_grace_period(tmp_path):
    with processes("whoami.py", [free_port()], "--grace=1", directory=tmp_path) as running:
        process, port, log = running[0]
        with (
            sigterm_while_running(process, port, "/work?seconds=30") as slow,
            pytest.raises((http.client.RemoteDisconnected, ConnectionError)),
        ):
            slow.result()
        assert process.wait(15) == 0
        assert "Gave up on 1 request(s) after 1.0 s" in log.read_text()


def test_a_refused_method_does_not_upset_the_count(server):
    assert server.fetch("/whoami", "TRACE").status == 405  # refused before prepare()
    assert server.fetch("/work?seconds=0").status == 200
    assert running_count(server) == "1"


def test_sigterm_after_a_refused_method_stops_at_once(tmp_path):
    """The grace period is long; with nothing running the process must not wait for it."""
    with processes("whoami.py", [free_port()], "--grace=300", directory=tmp_path) as running:
        process, port, log = running[0]
        srv = Server(port)
        assert srv.fetch("/whoami", "TRACE").status == 405
        assert srv.fetch("/whoami").status == 200
        process.send_signal(signal.SIGTERM)
        assert process.wait(60) == 0  # a generous bound, far below the 300 s grace
        output = log.read_text()
        assert "Stopping; 0 request(s) still running" in output
        assert "Gave up" not in output


def test_two_requests_running_at_once(server):
    with ThreadPoolExecutor(2) as pool:
        slow = [pool.submit(server.fetch, "/work?seconds=2") for _ in range(2)]
        assert wait_until(lambda: running_count(server) == "3")
        assert [f.result().status for f in slow] == [200, 200]
    assert running_count(server) == "1"


@pytest.mark.parametrize("grace", ["0", "301", "-5"])
def test_bad_grace_is_a_clear_error(grace):
    done = run_program("ch08/whoami.py", f"--grace={grace}", timeout=30)
    assert done.returncode == 1
    assert done.stderr.strip() == (
        f"error: grace must be over 0 and at most 300 seconds, not {float(grace)}"
    )


@pytest.mark.reader
def test_head_answers_like_get_without_a_body(server):
    for path in ("/", "/whoami"):
        resp = server.fetch(path, "HEAD")
        assert (resp.status, resp.body) == (200, b""), path
        assert resp.headers["X-Worker-Pid"].isdigit()


def test_an_unknown_path_also_names_the_process(server):
    resp = server.fetch("/no/such/page")
    assert resp.status == 404
    assert resp.headers["X-Worker-Pid"].isdigit()
    assert server.fetch("/whoami", "TRACE").headers["X-Worker-Pid"].isdigit()


def test_after_sigterm_a_kept_alive_connection_is_told_to_close(tmp_path):
    """A proxy's pooled connection gets one more answer, marked Connection: close."""
    with processes("whoami.py", [free_port()], directory=tmp_path) as running:
        process, port, log = running[0]
        kept = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        kept.request("GET", "/whoami")
        first = kept.getresponse()
        first.read()
        assert first.headers["Connection"] is None  # kept open for the next request
        with sigterm_while_running(process, port, "/work?seconds=3") as slow:  # keeps it draining
            assert wait_until(lambda: refused(port))
            kept.request("GET", "/whoami")
            late = kept.getresponse()
            assert late.read() == b"client 127.0.0.1, protocol http\n"
            assert late.headers["Connection"] == "close"
            kept.close()
            assert slow.result().status == 200
        assert process.wait(15) == 0


def test_a_request_running_at_sigterm_is_answered_with_connection_close(tmp_path):
    """The header is decided when the answer goes out, not when the request arrived."""
    with processes("whoami.py", [free_port()], directory=tmp_path) as running:
        process, port, log = running[0]
        kept = http.client.HTTPConnection("127.0.0.1", port, timeout=10)

        def slow():
            kept.request("GET", "/work?seconds=2")
            resp = kept.getresponse()
            return resp.read(), resp.headers["Connection"]

        with sigterm_while_running(process, port, slow) as answer:
            assert answer.result() == (b"worked for 2 s\n", "close")
        kept.close()
        assert process.wait(15) == 0


def test_a_second_signal_stops_at_once(tmp_path):
    with processes("whoami.py", [free_port()], "--grace=300", directory=tmp_path) as running:
        process, port, log = running[0]
        with sigterm_while_running(process, port, "/work?seconds=30") as slow:
            assert wait_until(lambda: "Stopping; 1 request(s)" in log.read_text())
            process.send_signal(signal.SIGINT)  # Ctrl-C pressed again
            assert process.wait(60) == 1  # without waiting for the 30 s request
            try:  # the cut request: a 500 if it could still be written, else a dropped connection
                status = slow.result().status
            except (http.client.RemoteDisconnected, ConnectionError):
                status = None
            assert status in (500, None)
        assert "Second signal: stopping now" in log.read_text()
