import json
import socket

import pytest

from examples.ch05 import upstream
from examples.porting import rail
from tests.ch05_support import fetch_together, serve_service, serve_upstream, stats
from tests.support import start_error

EXAMPLE = upstream


@pytest.mark.reader
def test_weather_for_a_known_city(server):
    resp = server.fetch("/weather/lhasa")
    assert resp.status == 200
    assert json.loads(resp.body) == {"city": "Lhasa", "sky": "clear", "temp_c": 15}
    assert stats(server) == {"in_flight": 0, "peak": 1, "served": 1}


def test_unknown_city_is_404_json(server):
    resp = server.fetch("/weather/atlantis")
    assert resp.status == 404
    assert json.loads(resp.body) == {"error": "no weather for this city"}


def test_only_lowercase_names_are_routed(server):
    assert server.fetch("/weather/Lhasa").status == 404
    assert stats(server)["served"] == 0


# Appendix A's rail service is chapter 5's weather service ported: where they behave alike,
# one test checks both (each with a path it serves, the name it gives itself, its counters).
SERVICES = pytest.mark.parametrize(
    ("example", "path", "name", "counters"),
    [
        (upstream, "/weather/beijing", "weather", "/stats"),
        (rail, "/timetable/hangzhou", "rail", "/load"),
    ],
    ids=["ch05-upstream", "porting-rail"],
)


@pytest.mark.reader
@SERVICES
def test_a_failing_service_answers_503(mode, example, path, name, counters):
    with serve_service(example, mode, fail=True) as srv:
        resp = srv.fetch(path)
    assert resp.status == 503
    assert json.loads(resp.body) == {"error": f"the {name} service is down for maintenance"}


@pytest.mark.reader
def test_a_service_that_hangs_up_sends_nothing(mode):
    with serve_upstream(hang_up=True, mode=mode) as srv:
        with socket.create_connection(("127.0.0.1", srv.port), timeout=10) as sock:
            sock.sendall(b"GET /weather/beijing HTTP/1.1\r\nHost: x\r\n\r\n")
            assert sock.recv(100) == b""  # the connection closed before a single byte came
        assert stats(srv) == {"in_flight": 0, "peak": 0, "served": 0}


def test_a_hang_up_is_logged_as_444_not_200(caplog):
    with serve_upstream(hang_up=True) as srv, caplog.at_level("INFO", "tornado.access"):
        with socket.create_connection(("127.0.0.1", srv.port), timeout=10) as sock:
            sock.sendall(b"GET /weather/beijing HTTP/1.1\r\nHost: x\r\n\r\n")
            assert sock.recv(100) == b""
        stats(srv)
    messages = [record.getMessage() for record in caplog.records]
    logged = [message.split(" (")[0] for message in messages if "/weather/" in message]
    assert logged == ["444 GET /weather/beijing"]


@SERVICES
def test_requests_overlap_while_they_wait(example, path, name, counters):
    with serve_service(example, delay=0.5) as srv:
        replies = fetch_together(srv, [path] * 3)
        assert [r.status for r in replies] == [200, 200, 200]
        assert stats(srv, counters) == {"in_flight": 0, "peak": 3, "served": 3}


@pytest.mark.parametrize(
    ("program", "argument", "error"),
    [
        ("ch05/upstream.py", "--delay=-1", "delay must be between 0 and 60 seconds, not -1.0"),
        ("ch05/upstream.py", "--delay=soon", "could not convert string to float: 'soon'"),
        ("porting/rail.py", "--delay=61", "delay must be between 0 and 60 seconds, not 61.0"),
        ("porting/rail.py", "--delay=later", "could not convert string to float: 'later'"),
    ],
)
def test_bad_delay_is_a_clear_error(program, argument, error):
    assert start_error(program, argument) == f"error: {error}"
