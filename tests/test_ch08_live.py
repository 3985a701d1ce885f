import asyncio
import contextlib
import json
import os
import re
import signal
import socket
import sys
from urllib.parse import urlencode

import pytest
import redis as redis_sync
import tornado.httpclient
import tornado.websocket

from examples.ch08 import live
from tests import ch08_support
from tests.ch08_support import CH08, live_app, nginx, processes, redis_server
from tests.support import (
    Server,
    body_limit,
    free_port,
    hang_up,
    receive,
    require_binary,
    run_example,
    run_program,
    serve_in_thread,
    stop,
    wait_for_port,
    wait_until,
)

EXAMPLE = live
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
SCRIPT = "<script>alert(1)</script>"


@pytest.fixture
def server(request, redis_url):
    """live.py on the session's Redis: in-process, or (`reader` tests) also from a terminal."""
    if request.param == "in-process":
        with serve_in_thread(live_app(redis_url), **body_limit(live)) as srv:
            yield srv
    else:
        with run_example("ch08/live.py", f"--redis-url={redis_url}") as srv:
            yield srv


def token(port):
    """The _xsrf cookie the form page sets: a script sends it back as cookie and field."""
    resp = Server(port).fetch("/notices")
    assert resp.status == 200
    return re.search(r"_xsrf=([^;]+)", resp.headers["Set-Cookie"])[1]


def publish(port, text, headers=None, xsrf=None):
    xsrf = xsrf or token(port)
    body = urlencode({"text": text, "_xsrf": xsrf})
    headers = {**FORM, "Cookie": f"_xsrf={xsrf}", **(headers or {})}
    return Server(port).fetch("/notices", "POST", body, headers)


def stats(port):
    return json.loads(Server(port).fetch("/stats").body)


async def connect(port, host="127.0.0.1"):
    """A WebSocket to /live, sent with the Origin a page from that address would send."""
    request = tornado.httpclient.HTTPRequest(
        f"ws://{host}:{port}/live", headers={"Origin": f"http://{host}:{port}"}
    )
    ws = await tornado.websocket.websocket_connect(request)
    hello = json.loads(await ws.read_message())
    assert hello["type"] == "hello"
    return ws, hello["pid"]


async def until(predicate):
    for _ in range(400):
        if predicate():
            return
        await asyncio.sleep(0.025)
    raise AssertionError("condition never became true")


@pytest.mark.reader
def test_one_notice_reaches_every_socket_and_poll(server):
    async def scenario():
        sockets = [(await connect(server.port))[0] for _ in range(2)]
        client = tornado.httpclient.AsyncHTTPClient()
        poll = asyncio.ensure_future(client.fetch(f"{server.url}/next", request_timeout=20))
        await until(lambda: stats(server.port)["polls"] == 1)
        assert stats(server.port)["sockets"] == 2
        assert publish(server.port, "  Lunch is served in the hall  ").text == "published\n"
        got = [await receive(s) for s in sockets]
        answered = await poll
        await hang_up(*sockets)
        return got, answered

    got, answered = asyncio.run(scenario())
    pid = server.process.pid if server.process else os.getpid()
    notice = {"type": "notice", "text": "Lunch is served in the hall", "published_by": pid}
    assert got == [notice, notice]
    assert answered.headers["Content-Type"] == "application/json"
    assert json.loads(answered.body) == notice


def test_hostile_text_travels_as_data(server):
    async def scenario():
        ws, _ = await connect(server.port)
        publish(server.port, SCRIPT)
        notice = await receive(ws)
        await hang_up(ws)
        return notice

    assert asyncio.run(scenario())["text"] == SCRIPT


@pytest.mark.parametrize("text", ["", "   ", "x" * (live.MAX_NOTICE + 1)])
def test_bad_notices_are_refused(server, text):
    resp = publish(server.port, text)
    assert resp.status == 400
    assert resp.text == f"A notice is 1 to {live.MAX_NOTICE} characters of text.\n"


def test_a_notice_that_is_not_utf8_is_refused(server):
    headers = {**FORM, "Cookie": "_xsrf=t"}
    resp = server.fetch("/notices", "POST", b"_xsrf=t&text=%FF%FE", headers)
    assert resp.status == 400


@pytest.mark.reader
def test_the_form_page_carries_the_token(server):
    resp = server.fetch("/notices")
    assert resp.status == 200
    field = resp.html.find("input", attrs={"name": "_xsrf"})
    assert field is not None and field["value"]
    assert resp.html.find("form")["action"] == "/notices"


def test_a_post_without_the_token_is_refused(server):
    resp = server.fetch("/notices", "POST", urlencode({"text": "hello"}), FORM)
    assert resp.status == 403
    assert resp.reason == "Forbidden"
    assert resp.text == "403 Forbidden: '_xsrf' argument missing from POST\n"


def test_a_method_notices_do_not_take_is_a_short_plain_answer(server):
    headers = {**FORM, "Cookie": "_xsrf=t", "X-XSRFToken": "t"}
    resp = server.fetch("/notices", "PUT", "text=x", headers)
    assert (resp.status, resp.text) == (405, "405 Method Not Allowed\n")


@pytest.mark.parametrize(
    "headers",
    [
        {"Sec-Fetch-Site": "cross-site", "Origin": "http://evil.example"},
        {"Sec-Fetch-Site": "same-site", "Origin": "http://127.0.0.1:1"},
        {"Origin": "http://evil.example"},
    ],
)
def test_a_cross_origin_post_is_refused_even_with_a_token(server, headers):
    resp = publish(server.port, "Free cake in room 3", headers, xsrf="a-matching-pair")
    assert resp.status == 403
    assert "not allowed" in resp.text
    assert stats(server.port)["pid"]  # still up


@pytest.mark.reader
def test_a_same_origin_post_with_the_token_is_published(server):
    origin = {"Sec-Fetch-Site": "same-origin", "Origin": f"http://127.0.0.1:{server.port}"}
    assert publish(server.port, "Meeting moved to 4 pm", origin).text == "published\n"
    plain_origin = {"Origin": f"http://127.0.0.1:{server.port}"}  # no Sec-Fetch-Site: plain HTTP
    assert publish(server.port, "Meeting moved to 4 pm", plain_origin).status == 200


@pytest.mark.reader
def test_an_oversized_body_is_refused(server):
    answer = server.post_head("/notices", live.MAX_BODY_SIZE + 1)
    assert answer.startswith(b"HTTP/1.1 400 Bad Request\r\n")
    assert server.fetch("/stats").status == 200


def test_messages_from_a_socket_get_a_polite_error(server):
    async def scenario():
        ws, _ = await connect(server.port)
        await ws.write_message("hello?")
        reply = await receive(ws)
        await hang_up(ws)
        await until(lambda: stats(server.port)["sockets"] == 0)
        return reply

    assert asyncio.run(scenario()) == {
        "type": "error",
        "message": "send notices with POST /notices",
    }


def test_a_poll_whose_client_leaves_is_forgotten(server):
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(b"GET /next HTTP/1.1\r\nHost: x\r\n\r\n")
        assert wait_until(lambda: stats(server.port)["polls"] == 1)
    assert wait_until(lambda: stats(server.port)["polls"] == 0)


def test_a_quiet_poll_ends_with_no_content(redis_url, monkeypatch):
    monkeypatch.setattr(live, "POLL_TIMEOUT", 0.2)
    with serve_in_thread(live_app(redis_url), **body_limit(live)) as srv:
        resp = srv.fetch("/next")
        assert (resp.status, resp.body) == (204, b"")
        assert stats(srv.port)["polls"] == 0


@contextlib.contextmanager
def live_with_redis(tmp_path):
    """live.py in-process with a Redis server of its own, for a test to stop and start again:
    (Redis's port, its process, the server)."""
    port = free_port()
    url = f"redis://127.0.0.1:{port}/0"
    with (
        redis_server(port, tmp_path) as redis_process,
        serve_in_thread(live_app(url), **body_limit(live)) as srv,
    ):
        yield port, redis_process, srv


def test_while_redis_is_down_publishing_is_503_and_then_recovers(tmp_path):
    with live_with_redis(tmp_path) as (port, redis_process, srv):
        stop(redis_process)
        down = publish(srv.port, "Is anyone there?", xsrf="a-matching-pair")
        assert (down.status, down.reason) == (503, "Service Unavailable")
        assert down.text.startswith("Notices are unavailable for a moment (no Redis)")
        assert down.headers["Retry-After"] == "5"
        with redis_server(port, tmp_path):
            asyncio.run(heard_again(srv.port))


async def publish_until(port, done, failure):
    """Publish "Back N" (N = 0, 1, ...) until `await done(ws, N, resp)` says it is done, with a
    WebSocket open to hear the notices; 0.2 s between tries after a refusal, 150 tries at most."""
    ws, _ = await connect(port)
    try:
        for attempt in range(150):
            resp = publish(port, f"Back {attempt}")
            if await done(ws, attempt, resp):
                return
            if resp.status != 200:
                await asyncio.sleep(0.2)
        raise AssertionError(failure)
    finally:
        await hang_up(ws)


async def heard_again(port):
    """Once Redis is back, publish until the relay (subscribed again) hands a notice on."""

    async def heard(ws, attempt, resp):
        assert resp.status in (200, 503)
        if resp.status == 200:
            with contextlib.suppress(asyncio.TimeoutError):
                notice = json.loads(await asyncio.wait_for(ws.read_message(), 0.5))
                assert notice["type"] == "notice" and notice["text"].startswith("Back ")
                return True
        return False

    await publish_until(port, heard, "no notice came through after Redis returned")


def test_just_after_redis_returns_no_notice_is_published_to_nobody(tmp_path, caplog):
    """While the relay still backs off, Redis has no subscriber: 503, not a false 200."""
    with live_with_redis(tmp_path) as (port, redis_process, srv):
        stop(redis_process)
        assert wait_until(lambda: "trying again in 1.6 s" in caplog.text)  # a long wait next
        with redis_server(port, tmp_path):
            asyncio.run(every_200_is_delivered(srv.port))


async def every_200_is_delivered(port):
    async def delivered(ws, attempt, resp):
        if resp.status == 200:
            notice = json.loads(await asyncio.wait_for(ws.read_message(), 20))
            assert notice["text"] == f"Back {attempt}"
            return True
        assert resp.status == 503 and resp.headers["Retry-After"] == "5"
        assert resp.text.startswith("Notices are unavailable for a moment (")
        return False

    await publish_until(port, delivered, "never published after Redis returned")


def test_the_chapter_redis_listens_on_loopback_and_writes_nothing(tmp_path):
    port = free_port()
    with redis_server(port, tmp_path) as process:
        client = redis_sync.Redis(port=port, decode_responses=True)
        try:
            assert client.config_get("bind") == {"bind": "127.0.0.1"}
            assert client.config_get("save") == {"save": ""}
            assert client.config_get("appendonly") == {"appendonly": "no"}
            client.set("book:test", "x")
        finally:
            client.close()
        assert stop(process, signal.SIGTERM) == 0
    assert not list(tmp_path.glob("*.rdb")) and not (tmp_path / "appendonlydir").exists()


def test_redis_that_cannot_be_reached_is_a_one_line_error():
    done = run_program("ch08/live.py", f"--redis-url=redis://127.0.0.1:{free_port()}/0", timeout=60)
    assert done.returncode == 1
    assert done.stderr.startswith("error: cannot reach Redis: ")
    assert "Traceback" not in done.stderr


def test_redis_that_does_not_answer_is_a_one_line_error():
    """A listener that never answers (a stopped Redis, rediss:// against plain Redis)."""
    with socket.create_server(("127.0.0.1", 0)) as silent:  # accepts, never says a word
        port = silent.getsockname()[1]
        url = f"redis://127.0.0.1:{port}/0?socket_timeout=1&socket_connect_timeout=1"
        done = run_program("ch08/live.py", f"--redis-url={url}", timeout=60)
    assert done.returncode == 1
    assert done.stderr.startswith("error: cannot reach Redis: ") and "Timeout" in done.stderr
    assert "Traceback" not in done.stderr and done.stderr.count("\n") == 1


def test_a_url_that_is_not_redis_is_a_one_line_error():
    done = run_program("ch08/live.py", "--redis-url=http://127.0.0.1/", timeout=30)
    assert done.returncode == 1
    assert done.stderr.startswith("error: Redis URL must specify one of the following schemes")


def test_behind_nginx_every_client_of_every_process_hears_each_notice_once(redis_url, tmp_path):
    ports = [free_port() for _ in range(4)]
    args = [f"--redis-url={redis_url}"]
    with processes("live.py", ports, *args, directory=tmp_path) as running:
        listen = free_port()
        values = {f"PORT_{i}": port for i, port in enumerate(ports, 1)}
        prefix = tmp_path / "nginx"
        prefix.mkdir()
        with nginx("nginx.conf", prefix, LISTEN_PORT=listen, APP_DIR=CH08, **values):
            pids = {p.pid for p, _, _ in running}
            asyncio.run(everyone_hears_it_once(listen, ports, pids))


async def everyone_hears_it_once(listen, ports, pids):
    sockets = {}  # one WebSocket through nginx on each process
    extra = []
    for _ in range(40):
        ws, pid = await connect(listen)
        (extra if pid in sockets else sockets.setdefault(pid, [])).append(ws)
        if sockets.keys() == pids:
            break
    assert sockets.keys() == pids
    client = tornado.httpclient.AsyncHTTPClient()
    polls = [  # and one long poll straight to each process
        asyncio.ensure_future(client.fetch(f"http://127.0.0.1:{p}/next", request_timeout=20))
        for p in ports
    ]
    await until(lambda: all(stats(p)["polls"] == 1 for p in ports))
    listeners = [s for group in sockets.values() for s in group] + extra
    assert publish(listen, "Fire drill at 3 pm").status == 200
    first = [await receive(s) for s in listeners]
    assert {m["text"] for m in first} == {"Fire drill at 3 pm"}
    answered = [json.loads((await poll).body)["text"] for poll in polls]
    assert answered == ["Fire drill at 3 pm"] * len(ports)
    assert publish(listen, "Drill over").status == 200
    second = [await receive(s) for s in listeners]  # the next, not the first again
    assert {m["text"] for m in second} == {"Drill over"}
    await hang_up(*listeners)


def test_after_redis_restarts_the_first_notice_is_published(tmp_path):
    """A pooled connection Redis closed is retried on a new one, not answered with 503."""
    port = free_port()
    url = f"redis://127.0.0.1:{port}/0"
    with (
        redis_server(port, tmp_path) as first,
        serve_in_thread(live_app(url), **body_limit(live)) as srv,
    ):
        assert publish(srv.port, "Before").status == 200  # the pool now holds a connection
        stop(first)
        with redis_server(port, tmp_path):
            client = redis_sync.Redis(port=port)
            try:  # the relay has subscribed again
                assert wait_until(lambda: client.pubsub_numsub(live.CHANNEL)[0][1] == 1)
            finally:
                client.close()
            assert publish(srv.port, "After").status == 200


def run_live(*args, env=None):
    return run_program("ch08/live.py", f"--port={free_port()}", *args, env=env)


@pytest.mark.parametrize("path", ["/zz", "/0/1", "/-1"])
def test_a_database_that_is_not_a_number_is_a_one_line_error(path):
    done = run_live(f"--redis-url=redis://127.0.0.1:6379{path}")
    assert done.returncode == 1
    assert done.stderr == (
        "error: a Redis URL ends in a database number, as in /0, or in nothing"
        " (a / in the password is written %2F)\n"
    )


def run_against(url, directory, *redis_args):
    """live.py with this Redis URL, against a redis-server started with these extra options."""
    redis_port, port = free_port(), free_port()
    binary = require_binary("redis-server")
    command = [binary, str(CH08 / "redis.conf"), "--port", str(redis_port)]
    redis = ch08_support.start([*command, *redis_args], directory / "redis.log")
    try:
        wait_for_port(redis_port, redis, directory / "redis.log")
        log = directory / "live.log"
        url = url.format(port=redis_port, dir=directory)
        process = ch08_support.start(
            [sys.executable, "examples/ch08/live.py", f"--port={port}", f"--redis-url={url}"], log
        )
        try:
            wait_for_port(port, process, log)
            return publish(port, "Hello").status
        finally:
            stop(process)
    finally:
        stop(redis)


def test_a_unix_socket_url_is_accepted(tmp_path_factory):
    directory = tmp_path_factory.mktemp("sock")  # short: a socket path has at most 107 bytes
    sock = directory / "redis.sock"
    url = f"unix://{sock}?db=0"
    assert run_against(url, directory, "--unixsocket", str(sock), "--unixsocketperm", "700") == 200


def test_a_password_with_a_slash_is_percent_encoded(tmp_path):
    url = "redis://:ab%2Fcd@127.0.0.1:{port}/0"
    assert run_against(url, tmp_path, "--requirepass", "ab/cd") == 200
    done = run_live("--redis-url=redis://:ab/cd@127.0.0.1:6379/0")
    assert done.returncode == 1
    assert "(a / in the password is written %2F)" in done.stderr


def test_a_database_redis_does_not_have_is_a_one_line_error(redis_url):
    done = run_live(f"--redis-url={redis_url.rsplit('/', 1)[0]}/99")
    assert done.returncode == 1
    assert done.stderr == "error: Redis refused: DB index is out of range\n"


def test_the_redis_url_may_come_from_the_environment(redis_url, tmp_path):
    """REDIS_URL keeps a password off the command line; a wrong one there is reported."""
    port = free_port()
    env = {**os.environ, "REDIS_URL": redis_url}
    log = tmp_path / "live.log"
    process = ch08_support.start(
        [sys.executable, "examples/ch08/live.py", f"--port={port}"], log, env=env
    )
    try:
        wait_for_port(port, process, log)
        assert publish(port, "From the environment").status == 200
    finally:
        stop(process)
    wrong = {**os.environ, "REDIS_URL": f"redis://127.0.0.1:{free_port()}/0"}
    assert run_live(env=wrong).stderr.startswith("error: cannot reach Redis: ")


def test_ctrl_c_stops_it_without_a_traceback(redis_url):
    """Ctrl+C in its terminal (SIGINT): it stops with no traceback on the screen."""
    with run_example("ch08/live.py", f"--redis-url={redis_url}") as srv:
        srv.process.send_signal(signal.SIGINT)
        srv.process.wait(10)
        printed = srv.log.read_text()
    assert srv.process.returncode == 0
    assert "Traceback" not in printed and "KeyboardInterrupt" not in printed
