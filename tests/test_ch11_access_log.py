import json
import logging
import socket

import pytest
import tornado.web

from examples.ch11 import access_log
from tests.support import Server, ctrl_c, example_relpath, run_example, serve_in_thread, wait_until

EXAMPLE = access_log
GOOD = "/report?day=2026-12-01&token=demo-token"


def entries(mode, srv, caplog):
    """The access log's JSON objects: from the program's stderr, or formatted in-process."""
    if mode == "subprocess":
        lines = srv.output().splitlines()
    else:
        formatter = access_log.JsonLines()
        lines = [formatter.format(r) for r in caplog.records if r.name == "tornado.access"]
    return [json.loads(line) for line in lines if line.startswith("{")]


@pytest.fixture
def served(mode, caplog):
    caplog.set_level(logging.INFO, logger="tornado.access")
    if mode == "in-process":
        with serve_in_thread(access_log.make_app()) as srv:
            yield srv
    else:
        with run_example(example_relpath(access_log)) as srv:
            yield srv


@pytest.mark.reader
def test_each_request_is_one_json_line_without_the_token(served, mode, caplog):
    resp = served.fetch(GOOD, headers={"User-Agent": "curl/8.5.0"})
    assert resp.status == 200
    assert json.loads(resp.body) == {"day": "2026-12-01", "orders": 39}
    wait_until(lambda: entries(mode, served, caplog))
    (entry,) = entries(mode, served, caplog)
    assert entry["level"] == "info"
    assert entry["logger"] == "tornado.access"
    assert entry["message"] == "GET /report 200"
    assert {k: entry[k] for k in ("status", "method", "path", "query", "client", "agent")} == {
        "status": 200,
        "method": "GET",
        "path": "/report",
        "query": "day=2026-12-01&token=***",
        "client": "127.0.0.1",
        "agent": "curl/8.5.0",
    }
    assert entry["time"].endswith("+00:00")
    assert isinstance(entry["ms"], float)
    if mode == "subprocess":
        assert "demo-token" not in served.output()


@pytest.mark.reader
@pytest.mark.parametrize(("xheaders", "client"), [(False, "127.0.0.1"), (True, "203.0.113.7")])
def test_the_client_comes_from_x_real_ip_only_with_xheaders(mode, xheaders, client, caplog):
    caplog.set_level(logging.INFO, logger="tornado.access")
    if mode == "in-process":
        server = serve_in_thread(access_log.make_app(), xheaders=xheaders)
    else:
        server = run_example(example_relpath(access_log), *(["--xheaders"] if xheaders else []))
    with server as srv:
        srv.fetch(GOOD, headers={"X-Real-IP": "203.0.113.7"})
        wait_until(lambda: entries(mode, srv, caplog))
        assert [e["client"] for e in entries(mode, srv, caplog)] == [client]


@pytest.mark.parametrize(
    ("path", "status", "error"),
    [
        ("/report?day=2026-12-01", 403, "the link's token is missing or wrong"),
        ("/report?day=2026-12-01&token=guess", 403, "the link's token is missing or wrong"),
        ("/report?day=yesterday&token=demo-token", 400, "day must look like 2026-12-01"),
        ("/report?token=demo-token", 400, "day must look like 2026-12-01"),
    ],
)
def test_refusals_are_4xx_logged_as_warnings(server, caplog, path, status, error):
    caplog.set_level(logging.INFO, logger="tornado.access")
    resp = server.fetch(path)
    assert resp.status == status
    assert json.loads(resp.body) == {"error": error}
    wait_until(lambda: caplog.records)
    assert [(r.levelname, r.http["status"]) for r in caplog.records] == [("WARNING", status)]


def test_a_token_that_is_not_utf8_is_400_and_its_bytes_are_not_logged(server, caplog):
    caplog.set_level(logging.INFO)
    resp = server.fetch("/report?day=2026-12-01&token=s3cr%ffet")
    assert resp.status == 400
    wait_until(lambda: caplog.records)
    assert [r.name for r in caplog.records] == ["tornado.access"]  # no tornado.general line
    assert caplog.records[0].http["query"] == "day=2026-12-01&token=***"
    assert "s3cr" not in caplog.text


def test_an_uncaught_exception_is_logged_without_the_query(caplog):
    class Broken(access_log.ReportHandler):
        def get(self):
            raise RuntimeError("the report store is down")

    app = tornado.web.Application(
        [(r"/report", Broken, dict(token="t"))], log_function=access_log.log_request
    )
    caplog.set_level(logging.INFO)
    with serve_in_thread(app) as srv:
        assert srv.fetch("/report?token=t0p-secret").status == 500
        wait_until(lambda: len(caplog.records) == 2)
    error, access = caplog.records
    assert (error.name, error.getMessage()) == (
        "tornado.application",
        "uncaught exception in GET /report",
    )
    assert (access.levelname, access.http["status"]) == ("ERROR", 500)
    formatted = access_log.JsonLines().format(error)
    assert "the report store is down" in json.loads(formatted)["error"]
    assert "t0p-secret" not in caplog.text + formatted


@pytest.mark.parametrize(
    ("query", "logged"),
    [
        ("", ""),
        ("day=2026-12-01", "day=2026-12-01"),
        ("token=abc&day=x&sig=1&day=y", "token=***&day=x&sig=***&day=y"),
        ("access_token=&code", "access_token=***&code=***"),
        ("day=a%26b", "day=a%26b"),
    ],
)
def test_only_kept_parameters_keep_their_values(query, logged):
    assert access_log.redacted(query) == logged


def test_a_long_user_agent_is_cut(server, caplog):
    caplog.set_level(logging.INFO, logger="tornado.access")
    server.fetch(GOOD, headers={"User-Agent": "x" * 5000})
    wait_until(lambda: caplog.records)
    assert caplog.records[0].http["agent"] == "x" * access_log.LIMIT


def send_raw(port, request):
    """Bytes no well-behaved client sends: the answer's status line."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(request)
        return sock.recv(100).split(b"\r\n")[0]


def test_line_separators_and_utf8_in_the_request_stay_inside_one_ascii_line():
    """U+0085 and U+2028 written as they are would make str.splitlines() see extra records."""
    request = b"GET /a\x85b\xe2\x80\xa8c HTTP/1.1\r\nHost: x\r\nUser-Agent: caf\xc3\xa9\r\n\r\n"
    with run_example(example_relpath(access_log)) as srv:
        assert send_raw(srv.port, request) == b"HTTP/1.1 404 Not Found"
        wait_until(lambda: "404" in srv.output())
        log = srv.log.read_bytes()
    assert log.isascii()
    (line,) = [line for line in log.decode().splitlines() if line.startswith("{")]
    entry = json.loads(line)
    assert (entry["path"], entry["agent"]) == ("/a\ufffdb\u2028c", "caf\u00e9")


def test_a_huge_request_line_is_cut_in_the_log(server, caplog):
    caplog.set_level(logging.INFO, logger="tornado.access")
    path = "/" + "p" * 30000
    server.fetch(f"{path}?day={'9' * 30000}&token=x")
    wait_until(lambda: caplog.records)
    line = access_log.JsonLines().format(caplog.records[0])
    entry = json.loads(line)
    assert entry["path"] == path[: access_log.LIMIT]
    assert entry["query"] == f"day={'9' * (access_log.LIMIT - 4)}"
    assert len(line) < 2000


def test_a_record_without_request_fields_is_still_one_json_line():
    record = logging.LogRecord("tornado.general", logging.WARNING, __file__, 1, "a\nb", (), None)
    line = access_log.JsonLines().format(record)
    assert "\n" not in line
    assert {k: v for k, v in json.loads(line).items() if k != "time"} == {
        "level": "warning",
        "logger": "tornado.general",
        "message": "a\nb",
    }


def test_ctrl_c_prints_stopped_and_leaves_only_json_lines_in_the_log():
    """Run as the book does, with `2> access.jsonl`: no KeyboardInterrupt traceback in there."""
    status, out, log = ctrl_c(
        example_relpath(access_log), before=lambda port: Server(port).fetch("/orders")
    )
    assert (status, out) == (0, "Stopped\n")
    assert [json.loads(line)["status"] for line in log.splitlines()] == [404]


def test_a_body_over_the_limit_is_refused_unread():
    """No handler here reads a body: Tornado must not hold 100 MiB of one in memory."""
    with run_example(example_relpath(access_log)) as srv:
        assert srv.post_head("/report", access_log.MAX_BODY_SIZE + 1).startswith(b"HTTP/1.1 4")
