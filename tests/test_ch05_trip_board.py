import concurrent.futures
import functools
import json
import threading

import pytest

from examples.ch05 import trip_board
from tests import ch05_support
from tests.ch05_support import (
    base_url,
    garbage_error,
    serve_garbage,
    serve_upstream,
    stats,
)
from tests.support import (
    SILENT,
    RawServer,
    serve_in_thread,
    start_error,
    wait_until,
)

EXAMPLE = trip_board
NOBODY = "http://127.0.0.1:9"  # the discard port: nothing listens there
CITIES = ["beijing", "chengdu", "guangzhou", "hangzhou", "harbin", "lhasa"]
SIX = "/board?" + "&".join(f"city={city}" for city in CITIES)


serve_client = functools.partial(ch05_support.serve_client, trip_board, timeout=3.0)


def board(srv, path):
    resp = srv.fetch(path)
    return resp.status, json.loads(resp.body)


@pytest.mark.reader
def test_cities_come_back_in_the_order_asked(mode):
    with serve_upstream(delay=0.2) as up, serve_client(mode, base_url(up)) as srv:
        status, body = board(srv, "/board?city=lhasa&city=beijing&city=lhasa")
        assert status == 200
        assert body == {
            "cities": [
                {"city": "lhasa", "weather": {"city": "Lhasa", "sky": "clear", "temp_c": 15}},
                {"city": "beijing", "weather": {"city": "Beijing", "sky": "sunny", "temp_c": 31}},
            ]
        }
        assert stats(up) == {"in_flight": 0, "peak": 2, "served": 2}


def test_the_semaphore_keeps_three_requests_in_flight(mode):
    with serve_upstream(delay=0.5) as up, serve_client(mode, base_url(up)) as srv:
        status, body = board(srv, SIX)
        assert status == 200
        assert [row["city"] for row in body["cities"]] == CITIES
        assert all("weather" in row for row in body["cities"])
        assert stats(up) == {"in_flight": 0, "peak": trip_board.CONCURRENCY, "served": 6}


def test_one_bad_city_does_not_spoil_the_board(mode):
    with serve_upstream() as up, serve_client(mode, base_url(up)) as srv:
        status, body = board(srv, "/board?city=harbin&city=atlantis")
    assert status == 200
    assert body["cities"][1] == {"city": "atlantis", "error": "the weather service answered 404"}


def test_when_every_city_fails_the_board_is_502(mode):
    with serve_upstream(fail=True) as up, serve_client(mode, base_url(up)) as srv:
        status, body = board(srv, "/board?city=harbin")
    assert status == 502
    assert body == {"cities": [{"city": "harbin", "error": "the weather service answered 503"}]}
    with serve_client(mode, NOBODY) as srv:
        status, body = board(srv, "/board?city=harbin")
    assert status == 502
    assert body == {"cities": [{"city": "harbin", "error": "the weather service is unreachable"}]}


def test_an_upstream_that_hangs_up_is_not_reported_as_599(mode):
    with serve_upstream(hang_up=True) as up, serve_client(mode, base_url(up)) as srv:
        status, body = board(srv, "/board?city=harbin")
    assert status == 502
    assert body == {"cities": [{"city": "harbin", "error": trip_board.BROKEN}]}


@pytest.mark.reader
def test_the_deadline_counts_time_spent_queueing(mode):
    """1 s per city, 3 at a time: the last three wait 1 s in line and cannot finish by 1.8 s."""
    with serve_upstream(delay=1.0) as up, serve_client(mode, base_url(up), timeout=1.8) as srv:
        status, body = board(srv, SIX)
    assert status == 200
    assert all("weather" in row for row in body["cities"][:3])
    assert body["cities"][3:] == [
        {"city": city, "error": "no answer within 1.8 s"} for city in CITIES[3:]
    ]


@pytest.mark.parametrize(
    "kind", ["not JSON", "a JSON list", "no status line", "huge header", "redirect to ftp"]
)
def test_garbage_from_the_upstream_is_a_row_not_a_500(kind):
    with serve_garbage(kind) as url, serve_client("in-process", url) as srv:
        status, body = board(srv, "/board?city=harbin")
    error = garbage_error(trip_board, kind)
    assert (status, body) == (502, {"cities": [{"city": "harbin", "error": error}]})


def test_at_most_three_connections_even_after_timeouts():
    """Three boards of three cities, each call timing out after 1 s; B arrives half-way.

    B's cities get their slots when A's time out, with 0.5 s of their deadline left, and C
    waits behind B. A slot must go back only once its connection has closed: if the deadline
    merely stopped waiting, C's cities would open three more while B's are still open.
    """
    upstream = RawServer(SILENT)
    boards = [
        "/board?" + "&".join(f"city={city}" for city in cities)
        for cities in (CITIES[:3], CITIES[3:], CITIES[:3])
    ]
    try:
        with (
            serve_in_thread(trip_board.make_app(upstream.url, timeout=1.0)) as srv,
            concurrent.futures.ThreadPoolExecutor(3) as pool,
        ):
            futures = [pool.submit(board, srv, boards[0])]
            assert wait_until(lambda: upstream.accepted == 3)
            threading.Event().wait(0.5)  # not measured: it only places B half-way
            futures.append(pool.submit(board, srv, boards[1]))
            assert wait_until(lambda: upstream.accepted == 6)
            futures.append(pool.submit(board, srv, boards[2]))
            results = [future.result() for future in futures]
    finally:
        upstream.close()
    assert [status for status, _ in results] == [502, 502, 502]
    errors = {row["error"] for _, body in results for row in body["cities"]}
    assert errors == {"no answer within 1.0 s"}
    assert upstream.peak == trip_board.CONCURRENCY


def test_a_city_still_in_line_at_its_deadline_gives_up_waiting():
    """Eight cities, a service that never answers: the cities after the first three wait in line.

    Cities 1-3 hold the slots until their deadline, which is also (to within microseconds) the
    deadline of the others: those stop waiting in line, or get a slot with a moment left.
    """
    upstream = RawServer(SILENT)
    cities = CITIES + ["kunming", "xiamen"]
    try:
        with serve_in_thread(trip_board.make_app(upstream.url, timeout=0.3)) as srv:
            status, body = board(srv, "/board?" + "&".join(f"city={c}" for c in cities))
    finally:
        upstream.close()
    assert status == 502
    assert body["cities"] == [{"city": c, "error": "no answer within 0.3 s"} for c in cities]
    assert upstream.peak <= trip_board.CONCURRENCY


@pytest.mark.parametrize(
    ("query", "error"),
    [
        ("", "ask for at least one city, as in ?city=beijing&city=lhasa"),
        ("?city=" + "&city=".join("abcdefghi"), "ask for at most 8 cities at a time"),
        ("?city=beijing&city=New%20York", "a city is 1 to 30 letters a-z"),
        ("?city=", "a city is 1 to 30 letters a-z"),
    ],
)
def test_bad_queries_are_400(query, error):
    with serve_in_thread(trip_board.make_app(NOBODY)) as srv:
        assert board(srv, "/board" + query) == (400, {"error": error})


@pytest.mark.parametrize(
    ("argument", "message"),
    [
        (
            "--upstream=127.0.0.1:8001",
            "error: upstream must be an http:// or https:// URL, not 127.0.0.1:8001",
        ),
        ("--timeout=-2", "error: timeout must be more than 0 and at most 60 s, not -2.0"),
    ],
)
def test_bad_options_are_clear_errors(argument, message):
    assert start_error("ch05/trip_board.py", argument) == message
