import contextlib
import socket
import struct
import threading

import pytest
import tornado.web

from conftest import example_relpath, run_example, serve_in_thread
from examples.porting import departures
from tests.test_porting_rail import base_url, load, serve_rail, start_error

EXAMPLE = departures
NOBODY = "http://127.0.0.1:9"  # the discard port: nothing listens there
TEXT = "text/plain; charset=UTF-8"
HANGZHOU = """\
Departures from Hangzhou East
07:40  G7502  Shanghai Hongqiao  on time
08:05  D3141  Ningbo             12 min late, expected 08:17
08:32  G1374  Beijing South      on time
"""


@contextlib.contextmanager
def serve_board(mode, upstream_url, timeout=3.0):
    if mode == "in-process":
        with serve_in_thread(departures.make_app(upstream_url, timeout)) as srv:
            yield srv
    else:
        args = [f"--upstream={upstream_url}", f"--timeout={timeout}"]
        with run_example(example_relpath(departures), *args) as srv:
            yield srv


@pytest.mark.reader
def test_the_board_merges_timetable_and_delays(mode):
    with serve_rail(delay=0.3) as rail, serve_board(mode, base_url(rail)) as srv:
        resp = srv.fetch("/departures/hangzhou")
        assert (resp.status, resp.text) == (200, HANGZHOU)
        assert resp.headers["Content-Type"] == TEXT
        # Both calls were in flight at once: the ported handler does not nest them.
        assert load(rail) == {"in_flight": 0, "peak": 2, "served": 2}


def test_a_station_without_delays(mode):
    with serve_rail() as rail, serve_board(mode, base_url(rail)) as srv:
        resp = srv.fetch("/departures/suzhou")
    assert resp.text.splitlines()[1:] == [
        "09:10  G7013  Nanjing South      on time",
        "09:48  D2281  Wuhan              on time",
    ]


def test_unknown_station_is_404(mode):
    with serve_rail() as rail, serve_board(mode, base_url(rail)) as srv:
        resp = srv.fetch("/departures/lhasa")
    assert (resp.status, resp.text) == (404, "no timetable for lhasa\n")


@pytest.mark.parametrize(
    "station", ["Hangzhou", "hang-zhou", "x" * 21, "%E6%9D%AD%E5%B7%9E", "%3Cscript%3E"]
)
def test_bad_station_is_400_without_calling_upstream(server, station):
    resp = server.fetch(f"/departures/{station}")
    assert (resp.status, resp.text) == (400, "a station is 1 to 20 letters a-z\n")
    assert resp.headers["Content-Type"] == TEXT


def test_paths_outside_the_route_are_404(server):
    assert server.fetch("/departures/").status == 404
    assert server.fetch("/departures/a/b").status == 404
    assert server.fetch("/departures/%FF").status == 400


@pytest.mark.reader
def test_unreachable_upstream_is_502(mode):
    with serve_board(mode, NOBODY) as srv:
        resp = srv.fetch("/departures/hangzhou")
        assert "Traceback" not in srv.output()
    assert (resp.status, resp.text) == (502, "the rail service is unreachable\n")


def test_failing_upstream_is_502(mode):
    with serve_rail(fail=True) as rail, serve_board(mode, base_url(rail)) as srv:
        resp = srv.fetch("/departures/hangzhou")
    assert (resp.status, resp.text) == (502, "the rail service answered 503\n")


@contextlib.contextmanager
def hang_up(reset):
    """An upstream that takes each connection and closes it without answering.

    It reads the request first, so its close is a clean FIN (the client sees
    HTTPStreamClosedError); with reset=True it aborts the connection at once with an RST
    (the client sees ConnectionResetError). A close at once without either is a race
    between the two.
    """
    listener = socket.create_server(("127.0.0.1", 0))

    def accept():
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:  # the listener was closed: the test is over
                return
            with conn:
                if reset:
                    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                else:
                    request = b""
                    while b"\r\n\r\n" not in request:
                        chunk = conn.recv(4096)
                        if not chunk:
                            break
                        request += chunk

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        listener.shutdown(socket.SHUT_RDWR)
        listener.close()
        thread.join(5)


@pytest.mark.reader
@pytest.mark.parametrize("reset", [False, True], ids=["closed", "reset"])
def test_upstream_that_hangs_up_is_502_not_a_timeout(mode, reset):
    with hang_up(reset) as upstream, serve_board(mode, upstream, timeout=5.0) as srv:
        resp = srv.fetch("/departures/hangzhou")
        assert "Traceback" not in srv.output()
    expected = "the rail service hung up without a complete answer\n"
    assert (resp.status, resp.text) == (502, expected)


@pytest.mark.reader
def test_slow_upstream_is_504(mode):
    with serve_rail(delay=2.0) as rail, serve_board(mode, base_url(rail), timeout=0.3) as srv:
        resp = srv.fetch("/departures/hangzhou")
    assert (resp.status, resp.text) == (504, "no answer from the rail service within 0.3 s\n")


class Garbled(tornado.web.RequestHandler):
    """An upstream that answers 200 with something the board cannot use."""

    def initialize(self, timetable, delays):
        self.bodies = {"timetable": timetable, "delays": delays}

    def get(self, kind, station):
        self.write(self.bodies[kind])


@pytest.mark.parametrize(
    ("timetable", "delays"),
    [
        ("<html>maintenance</html>", "{}"),
        ('{"trains": []}', "{}"),
        ('["Hangzhou East"]', "{}"),
        ('{"station": "X", "trains": [["07:40", "G1"]]}', "{}"),
        ('{"station": "X", "trains": [["07:40", "G1", "Y"]]}', "[]"),
        ('{"station": "X", "trains": [["07:40", "G1", "Y"]]}', '{"G1": "soon"}'),
        ('{"station": "X", "trains": [["07:40", "G1", "Y"]]}', '{"G1": Infinity}'),
        ('{"station": "X", "trains": [["07:40", "G1", "Y"]]}', '{"G1": true}'),
        ('{"station": "X", "trains": [["07:40", "G1", "Y"]]}', '{"G1": false}'),
        ('{"station": "X", "trains": [["noon", "G1", "Y"]]}', '{"G1": 5}'),
    ],
)
def test_garbled_upstream_data_is_502(timetable, delays):
    upstream = tornado.web.Application(
        [(r"/(timetable|delays)/(\w+)", Garbled, dict(timetable=timetable, delays=delays))]
    )
    with (
        serve_in_thread(upstream) as bad,
        serve_in_thread(departures.make_app(base_url(bad))) as srv,
    ):
        resp = srv.fetch("/departures/hangzhou")
    assert (resp.status, resp.text) == (502, "the rail service sent data we cannot read\n")


def test_late_trains_past_midnight_wrap_around():
    timetable = {"station": "X", "trains": [["23:50", "Z1", "Y"]]}
    assert departures.board(timetable, {"Z1": 25}).splitlines()[1].endswith("expected 00:15")


@pytest.mark.parametrize(
    ("argument", "message"),
    [
        ("--upstream=127.0.0.1:8001", "error: upstream must be an http:// or https:// URL, not "
         "127.0.0.1:8001"),
        ("--timeout=0", "error: timeout must be more than 0 and at most 60 s, not 0.0"),
    ],
)  # fmt: skip
def test_bad_options_are_clear_errors(argument, message):
    assert start_error("porting/departures.py", argument) == message
