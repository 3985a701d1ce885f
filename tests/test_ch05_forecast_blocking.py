import functools
import json

import pytest

from examples.ch05 import forecast_blocking
from tests import ch05_support
from tests.ch05_support import (
    base_url,
    fetch_together,
    serve_upstream,
    stats,
    unanswered_connect,
)
from tests.support import RawServer, start_error

EXAMPLE = forecast_blocking
NOBODY = "http://127.0.0.1:9"  # the discard port: nothing listens there


serve_client = functools.partial(ch05_support.serve_client, forecast_blocking)


@pytest.mark.reader
def test_blocking_handler_answers_one_request_at_a_time(mode):
    with serve_upstream(delay=0.5) as up, serve_client(mode, base_url(up)) as srv:
        replies = fetch_together(srv, ["/blocking/hangzhou", "/blocking/chengdu"])
        assert [r.status for r in replies] == [200, 200]
        assert json.loads(replies[0].body)["sky"] == "light rain"
        # Both requests reached the weather service, but never at the same time.
        assert stats(up) == {"in_flight": 0, "peak": 1, "served": 2}


@pytest.mark.reader
def test_threaded_handler_waits_in_parallel(mode):
    with serve_upstream(delay=1.0) as up, serve_client(mode, base_url(up)) as srv:
        replies = fetch_together(srv, ["/threaded/hangzhou", "/threaded/chengdu"])
        assert [json.loads(r.body)["city"] for r in replies] == ["Hangzhou", "Chengdu"]
        assert stats(up) == {"in_flight": 0, "peak": 2, "served": 2}


@pytest.mark.parametrize("kind", ["blocking", "threaded"])
def test_upstream_errors_become_4xx_or_502(mode, kind):
    with serve_upstream() as up, serve_client(mode, base_url(up)) as srv:
        resp = srv.fetch(f"/{kind}/atlantis")
        assert (resp.status, json.loads(resp.body)) == (404, {"error": "no weather for atlantis"})
        resp = srv.fetch(f"/{kind}/Atlantis!")
        assert resp.status == 400
        assert json.loads(resp.body) == {"error": "a city is 1 to 30 letters a-z"}
        assert stats(up)["served"] == 1
    with serve_upstream(fail=True) as up, serve_client(mode, base_url(up)) as srv:
        resp = srv.fetch(f"/{kind}/beijing")
        assert resp.status == 502
        assert json.loads(resp.body) == {"error": "the weather service answered 503"}
    with serve_client(mode, NOBODY) as srv:
        resp = srv.fetch(f"/{kind}/beijing")
        assert resp.status == 502
        assert json.loads(resp.body) == {"error": "the weather service is unreachable"}


@pytest.mark.parametrize("kind", ["blocking", "threaded"])
def test_a_timeout_is_504_and_a_hang_up_is_502(monkeypatch, kind):
    monkeypatch.setattr(forecast_blocking, "TIMEOUT", 0.2)
    with serve_upstream(delay=2.0) as up, serve_client("in-process", base_url(up)) as srv:
        resp = srv.fetch(f"/{kind}/lhasa")
        assert resp.status == 504
        assert json.loads(resp.body) == {"error": "the weather service did not answer in 0.2 s"}
    with serve_upstream(hang_up=True) as up, serve_client("in-process", base_url(up)) as srv:
        resp = srv.fetch(f"/{kind}/lhasa")
        assert resp.status == 502
        assert json.loads(resp.body) == {"error": forecast_blocking.BROKEN}


def test_a_connection_never_accepted_is_a_timeout_too(monkeypatch):
    # urllib wraps a connect timeout in URLError, which is an OSError like "unreachable".
    monkeypatch.setattr(forecast_blocking, "TIMEOUT", 0.2)
    with unanswered_connect() as url, serve_client("in-process", url) as srv:
        resp = srv.fetch("/blocking/lhasa")
    assert resp.status == 504
    assert json.loads(resp.body) == {"error": "the weather service did not answer in 0.2 s"}


def test_upstream_must_be_http():
    message = start_error("ch05/forecast_blocking.py", "--upstream=file:///etc/passwd")
    assert message == "error: upstream must be an http:// or https:// URL, not file:///etc/passwd"


@pytest.mark.parametrize("path", ["/blocking/lhasa", "/threaded/lhasa"])
@pytest.mark.parametrize(
    "answer",
    [
        b"HTTP/1.1 200 OK\r\nContent-Length: 1000000000000\r\n\r\n{}",  # a terabyte, it says
        b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n" + b" " * (2 * 1024 * 1024),  # no length
    ],
    ids=["Content-Length of a terabyte", "2 MiB without a length"],
)
def test_a_body_too_big_is_502_and_never_read_whole(path, answer):
    with RawServer(answer) as upstream, serve_client("in-process", upstream.url) as srv:
        resp = srv.fetch(path)
    assert (resp.status, json.loads(resp.body)) == (502, {"error": forecast_blocking.TOO_BIG})
    assert forecast_blocking.TOO_BIG == "the weather service sent more than 1048576 bytes"
