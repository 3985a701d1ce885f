import concurrent.futures
import contextlib
import json

import pytest

from examples.porting import rail
from tests.support import run_example, serve_in_thread, start_error

EXAMPLE = rail


@contextlib.contextmanager
def serve_rail(mode="in-process", delay=0.0, fail=False):
    """The rail service, for the departure board to call."""
    if mode == "in-process":
        with serve_in_thread(rail.make_app(delay=delay, fail=fail)) as srv:
            yield srv
    else:
        args = [f"--delay={delay}"] + (["--fail"] if fail else [])
        with run_example("porting/rail.py", *args) as srv:
            yield srv


def base_url(srv):
    return f"http://127.0.0.1:{srv.port}"


def load(srv):
    return json.loads(srv.fetch("/load").body)


@pytest.mark.reader
def test_timetable(server):
    resp = server.fetch("/timetable/suzhou")
    assert resp.status == 200
    assert resp.headers["Content-Type"] == "application/json; charset=UTF-8"
    assert json.loads(resp.body) == {
        "station": "Suzhou",
        "trains": [["09:10", "G7013", "Nanjing South"], ["09:48", "D2281", "Wuhan"]],
    }
    assert load(server) == {"in_flight": 0, "peak": 1, "served": 1}


def test_delays(server):
    assert json.loads(server.fetch("/delays/hangzhou").body) == {"D3141": 12}
    assert json.loads(server.fetch("/delays/suzhou").body) == {}


@pytest.mark.parametrize("kind", ["timetable", "delays"])
def test_unknown_station_is_404_json(server, kind):
    resp = server.fetch(f"/{kind}/lhasa")
    assert resp.status == 404
    assert json.loads(resp.body) == {"error": "no such station"}


def test_only_known_paths_and_lowercase_names_are_routed(server):
    assert server.fetch("/timetable/Suzhou").status == 404
    assert server.fetch("/arrivals/suzhou").status == 404
    assert load(server)["served"] == 0


@pytest.mark.reader
def test_a_failing_service_answers_503(mode):
    with serve_rail(mode, fail=True) as srv:
        resp = srv.fetch("/timetable/hangzhou")
    assert resp.status == 503
    assert json.loads(resp.body) == {"error": "the rail service is down for maintenance"}


def test_requests_overlap_while_they_wait():
    with serve_rail(delay=0.5) as srv:
        with concurrent.futures.ThreadPoolExecutor(3) as pool:
            replies = list(pool.map(srv.fetch, ["/delays/suzhou"] * 3))
        assert [r.status for r in replies] == [200, 200, 200]
        assert load(srv) == {"in_flight": 0, "peak": 3, "served": 3}


@pytest.mark.parametrize(
    ("argument", "message"),
    [
        ("--delay=61", "error: delay must be between 0 and 60 seconds, not 61.0"),
        ("--delay=later", "error: could not convert string to float: 'later'"),
    ],
)
def test_bad_delay_is_a_clear_error(argument, message):
    assert start_error("porting/rail.py", argument) == message
