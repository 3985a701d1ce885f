import json
import socket

import pytest

from examples.ch10 import report
from tests.support import ctrl_c, example_relpath, serve_in_thread, wait_until

EXAMPLE = report


@pytest.mark.reader
def test_a_short_report(server):
    resp = server.fetch("/report.csv?rows=3")
    assert resp.status == 200
    assert resp.headers["Content-Type"] == "text/csv; charset=UTF-8"
    assert resp.headers["Content-Disposition"] == 'attachment; filename="report.csv"'
    assert resp.text == "reading,sensor,celsius\n1,s01,20.1\n2,s02,20.2\n3,s03,20.3\n"


@pytest.mark.reader
def test_a_long_report_is_sent_in_chunks_as_it_is_made(server):
    resp = server.fetch("/report.csv?rows=100000")
    assert resp.status == 200
    assert resp.headers["Transfer-Encoding"] == "chunked"
    assert "Content-Length" not in resp.headers
    lines = resp.text.split("\n")
    assert len(lines) == 100_002  # the header, the rows, and the empty string after the last
    assert lines[-2] == "100000,s00,24.0"
    assert json.loads(server.fetch("/stats").body) == {
        "lines": 100_001,
        "sending": 0,
        "abandoned": 0,
    }


@pytest.mark.parametrize("rows", ["", "0", "-1", "x", "1.5", "5000001", "9" * 8, "%00", "%C2%B2"])
def test_a_bad_row_count_is_400(server, rows):
    resp = server.fetch(f"/report.csv?rows={rows}")
    assert resp.status == 400
    assert json.loads(resp.body) == {"error": "rows must be a whole number from 1 to 5,000,000"}


@pytest.mark.reader
def test_a_request_body_is_refused_before_it_is_read(server):
    answer = server.post_head("/report.csv?rows=1", report.MAX_BODY_SIZE + 1)
    assert answer.startswith(b"HTTP/1.1 400 Bad Request\r\n")
    assert server.fetch("/report.csv?rows=1").status == 200


def test_the_default_is_a_thousand_rows(server):
    assert server.fetch("/report.csv").text.count("\n") == 1001


def test_a_client_that_stops_reading_stops_the_report_and_one_that_leaves_ends_it():
    tally = report.Tally()
    with serve_in_thread(report.make_app(tally)) as srv:
        with socket.create_connection(("127.0.0.1", srv.port), timeout=10) as sock:
            sock.sendall(b"GET /report.csv?rows=5000000 HTTP/1.1\r\nHost: x\r\n\r\n")
            sock.recv(100)  # the report has started; from now on this client reads nothing

            seen = []  # the line counts so far: stalled once two in a row are the same

            def stalled():
                seen.append(tally.lines)
                return len(seen) > 1 and seen[-1] == seen[-2] and tally.sending == 1

            assert wait_until(stalled, interval=0.2)
            # Made only as far as the socket buffers hold: not the 5,000,000 lines asked for.
            assert tally.lines < report.MAX_ROWS // 4
        assert wait_until(lambda: tally.abandoned == 1 and tally.sending == 0)
        assert tally.lines < report.MAX_ROWS // 4


def stalled_report(srv):
    """A client that asks for the longest report and reads nothing but its first bytes."""
    sock = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
    sock.sendall(b"GET /report.csv?rows=5000000 HTTP/1.1\r\nHost: x\r\n\r\n")
    sock.recv(100)
    return sock


def test_a_client_that_never_reads_is_hung_up_on(monkeypatch):
    monkeypatch.setattr(report, "FLUSH_TIMEOUT", 0.5, raising=False)
    tally = report.Tally()
    with serve_in_thread(report.make_app(tally)) as srv, stalled_report(srv) as sock:
        assert wait_until(lambda: tally.abandoned == 1 and tally.sending == 0)
        while sock.recv(65536):  # what the buffers held, then the end: the server closed
            pass
        assert srv.fetch("/report.csv?rows=3").status == 200


def test_more_reports_at_once_than_the_limit_is_503_with_retry_after(monkeypatch):
    monkeypatch.setattr(report, "MAX_SENDING", 1, raising=False)
    tally = report.Tally()
    with serve_in_thread(report.make_app(tally)) as srv:
        with stalled_report(srv):
            assert wait_until(lambda: tally.sending == 1)
            busy = srv.fetch("/report.csv?rows=3")
            assert (busy.status, busy.headers.get("Retry-After")) == (503, "5")
            error = {"error": "busy: too many reports are being sent; try again"}
            assert json.loads(busy.body) == error
        assert wait_until(lambda: tally.sending == 0)
        assert srv.fetch("/report.csv?rows=3").status == 200


def test_ctrl_c_stops_it_without_a_traceback():
    status, out, err = ctrl_c(example_relpath(report))
    assert status == 0
    assert out.endswith("Stopped\n")
    assert "Traceback" not in out + err
