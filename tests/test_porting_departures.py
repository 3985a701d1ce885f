import concurrent.futures
import contextlib
import functools

import pytest
import tornado.web

from examples.porting import departures
from tests import ch05_support
from tests.ch05_support import base_url, load, serve_rail
from tests.support import RawServer, example_relpath, run_example, serve_in_thread, start_error

EXAMPLE = departures
NOBODY = "http://127.0.0.1:9"  # the discard port: nothing listens there
TEXT = "text/plain; charset=UTF-8"
HANGZHOU = """\
Departures from Hangzhou East
07:40  G7502  Shanghai Hongqiao  on time
08:05  D3141  Ningbo             12 min late, expected 08:17
08:32  G1374  Beijing South      on time
"""


serve_board = functools.partial(ch05_support.serve_client, departures, timeout=3.0)


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


@pytest.mark.parametrize(
    ("method", "path", "status", "text"),
    [
        ("GET", "/departures/", 404, "Not Found\n"),
        ("GET", "/departures/a/b", 404, "Not Found\n"),
        ("GET", "/", 404, "Not Found\n"),
        ("GET", "/departures/%FF", 400, "Bad Request\n"),  # not UTF-8: Tornado's own 400
        ("POST", "/departures/hangzhou", 405, "Method Not Allowed\n"),
    ],
)
def test_tornados_own_errors_are_plain_text_too(server, method, path, status, text):
    resp = server.fetch(path, method=method, body=b"" if method == "POST" else None)
    assert (resp.status, resp.text) == (status, text)
    assert resp.headers["Content-Type"] == TEXT


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
def raw_upstream(answer):
    """An upstream on a bare socket that takes each connection and answers it with `answer`.

    b"" reads the request and closes the connection without a word, a clean FIN (the client
    sees HTTPStreamClosedError); "reset" aborts the connection at once with an RST (the client
    sees ConnectionResetError; a close at once without either is a race between the two); any
    other bytes are sent after the request is read, and then the connection is closed.
    """
    with RawServer(answer) as server:
        yield server.url


MALFORMED = "the rail service closed the connection or sent a malformed answer\n"


@pytest.mark.reader
@pytest.mark.parametrize("answer", [b"", "reset"], ids=["closed", "reset"])
def test_upstream_that_hangs_up_is_502_not_a_timeout(mode, answer):
    with raw_upstream(answer) as upstream, serve_board(mode, upstream, timeout=5.0) as srv:
        resp = srv.fetch("/departures/hangzhou")
        assert "Traceback" not in srv.output()
    assert (resp.status, resp.text) == (502, MALFORMED)


OK_HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
GARBAGE = {
    "not-http": b"SSH-2.0-OpenSSH_9.2\r\n",
    "bad-status-line": b"HTTP/1.1 two hundred OK\r\n\r\n{}",
    "header-line-of-200kb": OK_HEAD + b"X-Padding: " + b"a" * 200_000 + b"\r\n\r\n{}",
    "header-without-colon": OK_HEAD + b"no colon here\r\nContent-Length: 2\r\n\r\n{}",
    "two-content-lengths": OK_HEAD + b"Content-Length: 2\r\nContent-Length: 3\r\n\r\n{}",
    "body-shorter-than-said": OK_HEAD + b"Content-Length: 10\r\n\r\n{}",
    "bad-chunk-size": OK_HEAD + b"Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n",
    "bad-gzip": OK_HEAD + b"Content-Encoding: gzip\r\nContent-Length: 8\r\n\r\nnot gzip",
}


@pytest.mark.parametrize("answer", GARBAGE.values(), ids=GARBAGE.keys())
def test_malformed_http_from_upstream_is_502(answer):
    with (
        raw_upstream(answer) as upstream,
        serve_in_thread(departures.make_app(upstream)) as srv,
    ):
        resp = srv.fetch("/departures/hangzhou")
    assert (resp.status, resp.text) == (502, MALFORMED)


@pytest.mark.reader
def test_malformed_http_from_upstream_leaves_no_traceback(mode):
    answer = GARBAGE["header-line-of-200kb"]
    with raw_upstream(answer) as upstream, serve_board(mode, upstream) as srv:
        resp = srv.fetch("/departures/hangzhou")
        assert "Traceback" not in srv.output()
    assert (resp.status, resp.text) == (502, MALFORMED)


def json_answer(body):
    return OK_HEAD + b"Content-Length: %d\r\n\r\n" % len(body) + body


HOSTILE_JSON = {
    # json.loads raises RecursionError, neither a ValueError nor caught by one
    "nested-100000-deep": b"[" * 100_000 + b"]" * 100_000,
    # valid JSON, but a lone surrogate cannot be encoded as UTF-8 when the board is sent
    "lone-surrogate": b'{"station": "\\ud800", "trains": []}',
    "lone-surrogate-in-a-train": (
        b'{"station": "X", "trains": [["07:40", "G1", "Sh\\udfffanghai"]]}'
    ),
}


@pytest.mark.parametrize("body", HOSTILE_JSON.values(), ids=HOSTILE_JSON.keys())
def test_json_that_parses_badly_or_cannot_be_sent_is_502(body):
    with (
        raw_upstream(json_answer(body)) as upstream,
        serve_in_thread(departures.make_app(upstream)) as srv,
    ):
        resp = srv.fetch("/departures/hangzhou")
    assert (resp.status, resp.text) == (502, "the rail service sent data we cannot read\n")
    assert resp.headers["Content-Type"] == TEXT


@pytest.mark.reader
def test_json_nested_too_deep_leaves_no_traceback(mode):
    with (
        raw_upstream(json_answer(HOSTILE_JSON["nested-100000-deep"])) as upstream,
        serve_board(mode, upstream) as srv,
    ):
        resp = srv.fetch("/departures/hangzhou")
        assert "Traceback" not in srv.output()
    assert (resp.status, resp.text) == (502, "the rail service sent data we cannot read\n")


@pytest.mark.reader
def test_slow_upstream_is_504(mode):
    with serve_rail(delay=2.0) as rail, serve_board(mode, base_url(rail), timeout=0.3) as srv:
        resp = srv.fetch("/departures/hangzhou")
    assert (resp.status, resp.text) == (504, "no answer from the rail service within 0.3 s\n")


@pytest.mark.reader
def test_more_calls_than_the_client_pool_wait_and_are_503_not_blamed_on_upstream(mode):
    """Each board makes two calls; past the client's max_clients they queue, and time out there.

    The rail service takes longer than the timeout, so the calls in flight time out (504); the
    calls still queued when their own timeout comes are ours to blame, not the rail service's.
    """
    boards = departures.MAX_CLIENTS + 10
    with serve_rail(delay=3.0) as rail, serve_board(mode, base_url(rail), timeout=1.0) as srv:
        with concurrent.futures.ThreadPoolExecutor(boards) as pool:
            replies = list(pool.map(srv.fetch, ["/departures/hangzhou"] * boards))
        assert "Traceback" not in srv.output()
    answers = {(r.status, r.text) for r in replies}
    assert answers == {
        (503, "too busy: too many calls to the rail service waiting\n"),
        (504, "no answer from the rail service within 1.0 s\n"),
    }


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
        ('{"station": "X", "trains": [["07:40", "G1", "Y"]]}', '{"G1": -30}'),
        ('{"station": "X", "trains": [["07:40", "G1", "Y"]]}', '{"G1": 1441}'),
        ('{"station": "X", "trains": [["07:40", "G1", "Y"]]}', f'{{"G1": {10**28}}}'),
        ('{"station": "X", "trains": [["99:99", "G1", "Y"]]}', '{"G1": 5}'),
        ('{"station": "X", "trains": [["-5:-70", "G1", "Y"]]}', '{"G1": 5}'),
        ('{"station": "X", "trains": [["7:40", "G1", "Y"]]}', "{}"),
        ('{"station": "X", "trains": [["07:40 ", "G1", "Y"]]}', "{}"),
        ('{"station": "X", "trains": ["G12"]}', "{}"),
        ('{"station": "X", "trains": [["07:40", "G1", "Y", "Z"]]}', "{}"),
        ('{"station": "X", "trains": [["07:40", 1, "Y"]]}', "{}"),
        ('{"station": "X", "trains": [["07:40", "G1", null]]}', "{}"),
        ('{"station": ["X"], "trains": []}', "{}"),
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


def test_a_delay_of_a_whole_day_is_the_most_the_board_accepts():
    timetable = {"station": "X", "trains": [["00:00", "Z1", "Y"]]}
    line = departures.board(timetable, {"Z1": departures.MAX_LATE}).splitlines()[1]
    assert line.endswith("1440 min late, expected 00:00")


def test_a_trailing_slash_on_upstream_is_dropped():
    with serve_rail() as rail:
        upstream = base_url(rail) + "/"
        with run_example(example_relpath(departures), f"--upstream={upstream}") as srv:
            resp = srv.fetch("/departures/hangzhou")
    assert (resp.status, resp.text) == (200, HANGZHOU)


@pytest.mark.parametrize(
    ("argument", "message"),
    [
        (
            "--upstream=127.0.0.1:8001",
            "error: upstream must be an http:// or https:// URL, not 127.0.0.1:8001",
        ),
        (
            "--upstream=ftp://127.0.0.1/",
            "error: upstream must be an http:// or https:// URL, not ftp://127.0.0.1/",
        ),
        (
            "--upstream=http://:8001",
            "error: upstream must be an http:// or https:// URL, not http://:8001",
        ),
        (
            "--upstream=http://127.0.0.1:8001/?key=1",
            "error: upstream is a base URL, without ? or #, not http://127.0.0.1:8001/?key=1",
        ),
        (
            "--upstream=http://127.0.0.1:8001#top",
            "error: upstream is a base URL, without ? or #, not http://127.0.0.1:8001#top",
        ),
        (
            "--upstream=http://127.0.0.1:80010",
            "error: upstream must be a valid URL (Port out "
            "of range 0-65535), not http://127.0.0.1:80010",
        ),
        (
            "--upstream=http://[::1:8001/",
            "error: upstream must be a valid URL (Invalid IPv6 URL), not http://[::1:8001/",
        ),
        (
            "--upstream=http://exa mple.com",
            "error: upstream cannot contain spaces or control "
            "characters, not 'http://exa mple.com'",
        ),
        (
            "--upstream=http://h\x01x",
            "error: upstream cannot contain spaces or control characters, not 'http://h\\x01x'",
        ),
        (
            "--upstream=http://127.0.0.1:8001/rail service",
            "error: upstream cannot contain "
            "spaces or control characters, not 'http://127.0.0.1:8001/rail service'",
        ),
        (
            "--upstream=http://127.0.0.1:8001/rail\n",
            "error: upstream cannot contain spaces or "
            "control characters, not 'http://127.0.0.1:8001/rail\\n'",
        ),
        (
            "--upstream=http://127.0.0.1:8001/a\tb",
            "error: upstream cannot contain spaces or "
            "control characters, not 'http://127.0.0.1:8001/a\\tb'",
        ),
        (
            "--upstream=\u3000http://127.0.0.1:8001",
            "error: upstream cannot contain spaces or "
            "control characters, not '\\u3000http://127.0.0.1:8001'",
        ),
        ("--timeout=0", "error: timeout must be more than 0 and at most 60 s, not 0.0"),
    ],
)
def test_bad_options_are_clear_errors(argument, message):
    assert start_error("porting/departures.py", argument) == message


@pytest.mark.parametrize("text", ["http://h\x00x", "http://127.0.0.1:8001/a\rb", "http://a\x7f"])
def test_control_characters_a_command_line_cannot_carry_are_refused_too(text):
    with pytest.raises(ValueError, match="cannot contain spaces or control characters"):
        departures.base_url(text)
