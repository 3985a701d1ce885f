"""examples/ch08/supervisord.conf, run by the supervisord installed with the examples."""

import configparser
import http.client
import os
import re
import signal
import subprocess
import sys
import threading
from collections import Counter
from pathlib import Path

import pytest

from conftest import ROOT, Server, free_port, require_binary, wait_for_port
from tests.ch08_fixtures import CH08, nginx, render, start, stop, wait_until

BIN = Path(sys.executable).parent
COUNT = 4


@pytest.fixture
def supervised(tmp_path):
    """supervisord in the foreground with the chapter's config: (process, first port, conf)."""
    first = free_port(COUNT)
    conf = render("supervisord.conf", tmp_path / "supervisord.conf", RUN_DIR=tmp_path,
                  PYTHON=sys.executable, BOOK_DIR=ROOT, FIRST_PORT=first)  # fmt: skip
    process = start([BIN / "supervisord", "-n", "-c", conf], tmp_path / "out.log")
    try:
        try:
            for port in range(first, first + COUNT):
                wait_for_port(port, process, tmp_path / "out.log", timeout=30)
        except (RuntimeError, TimeoutError) as error:
            raise AssertionError(f"{error}\n{logs(tmp_path)}") from None
        yield process, first, conf
    finally:
        stop(process, timeout=30)


def logs(directory):
    """supervisord's own log and every child's, for a failure message."""
    return "\n".join(
        f"--- {log.name}\n{log.read_text(errors='replace')[-2000:]}"
        for log in sorted(directory.glob("*.log"))
    )


def pid_on(port):
    try:
        return Server(port).fetch("/whoami").headers["X-Worker-Pid"]
    except OSError:
        return None  # between a death and a restart nobody listens


def ctl(conf, *args):
    return subprocess.run(
        [BIN / "supervisorctl", "-c", conf, *args], capture_output=True, text=True, timeout=30
    )


def states(conf):
    """{name: state} from `supervisorctl status` (RUNNING once up for startsecs)."""
    lines = ctl(conf, "status").stdout.splitlines()
    return {line.split()[0]: line.split()[1] for line in lines}


def test_four_processes_on_consecutive_ports(supervised):
    _, first, conf = supervised
    pids = {pid_on(port) for port in range(first, first + COUNT)}
    assert len(pids) == COUNT and None not in pids
    assert wait_until(lambda: states(conf) == {
        f"whoami:whoami-{port}": "RUNNING" for port in range(first, first + COUNT)
    })  # fmt: skip


def test_a_killed_process_comes_back(supervised):
    _, first, conf = supervised
    port = first + 2
    old = pid_on(port)
    os.kill(int(old), signal.SIGKILL)
    assert wait_until(lambda: pid_on(port) not in (None, old), timeout=30)
    assert wait_until(lambda: states(conf)[f"whoami:whoami-{port}"] == "RUNNING")


def test_stopping_supervisord_stops_every_process_gracefully(supervised, tmp_path):
    process, first, _ = supervised
    assert stop(process, timeout=30) == 0
    for port in range(first, first + COUNT):
        log = (tmp_path / f"whoami-{port}.log").read_text()
        assert log.rstrip().endswith("Stopped")  # SIGTERM ran whoami's shutdown


def test_supervisord_waits_longer_than_the_grace_period():
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(CH08 / "supervisord.conf")
    program = parser["program:whoami"]
    grace = int(re.search(r"--grace=(\d+)", program["command"])[1])
    assert program["stopsignal"] == "TERM"
    assert int(program["stopwaitsecs"]) > grace


@pytest.mark.parametrize("method, answer", [("GET", 200), ("POST", 405)])
def test_a_rolling_restart_under_load_loses_no_request(supervised, tmp_path, method, answer):
    """rolling-restart.sh while clients keep asking through nginx: every request is answered.

    GETs alone would not show it: nginx quietly retries a GET that a stopping process drops,
    never a POST. (whoami.py has no post(): its 405 is an answer from the app all the same.)
    """
    _, first, conf = supervised
    ports = list(range(first, first + COUNT))
    before = {pid_on(port) for port in ports}
    prefix = tmp_path / "nginx"
    prefix.mkdir()
    values = {f"PORT_{i}": port for i, port in enumerate(ports, 1)}
    answers, done = Counter(), threading.Event()

    def ask(conn):
        conn.request(method, "/whoami", body=b"a=1" if method == "POST" else None)
        resp = conn.getresponse()
        resp.read()
        return resp.status

    def client():
        conn = http.client.HTTPConnection("127.0.0.1", listen, timeout=30)
        reused = False  # whether conn has already carried a request
        while not done.is_set():
            try:
                try:
                    answers[ask(conn)] += 1
                except (BrokenPipeError, ConnectionResetError, http.client.RemoteDisconnected):
                    if not reused:
                        raise
                    # nginx's reload closed this idle kept-alive connection as the request went
                    # out; like a browser (RFC 9112, 9.3.1), send it again on a new connection
                    answers["resent"] += 1
                    conn.close()
                    answers[ask(conn)] += 1
                reused = True
            except (OSError, http.client.HTTPException) as error:
                answers[type(error).__name__] += 1
                conn.close()
                reused = False
        conn.close()

    listen = free_port()
    env = {**os.environ, "NGINX": require_binary("nginx"),
           "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}  # fmt: skip
    script = CH08.relative_to(ROOT) / "rolling-restart.sh"
    with nginx("nginx.conf", prefix, LISTEN_PORT=listen, APP_DIR=CH08, **values):
        clients = [threading.Thread(target=client) for _ in range(4)]
        for thread in clients:
            thread.start()
        try:
            command = ["sh", script, prefix, conf, *map(str, ports)]
            rolled = subprocess.run(
                command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=180
            )
            assert wait_until(lambda target=answers[answer] + 20: answers[answer] > target)
        finally:
            done.set()
            for thread in clients:
                thread.join(30)
        assert (prefix / "nginx.conf").read_text() == render(
            "nginx.conf", tmp_path / "fresh.conf", LISTEN_PORT=listen, APP_DIR=CH08, **values
        ).read_text()  # every process is back in the group
    assert rolled.returncode == 0, rolled.stdout + rolled.stderr
    after = {pid_on(port) for port in ports}
    assert not after & before and None not in after  # each one was restarted
    print(method, dict(answers))
    assert answers[answer] > 100
    assert set(answers) - {"resent"} == {answer}, answers
