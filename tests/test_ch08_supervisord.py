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
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from examples.ch08 import live, whoami
from tests.ch08_support import CH08, nginx, render, start
from tests.support import ROOT, Server, free_port, require_binary, stop, wait_for_port, wait_until

BIN = Path(sys.executable).parent
DOWN = re.compile(r"server 127\.0\.0\.1:\d+ down")
COUNT = 4


@pytest.fixture
def supervised(tmp_path):
    """supervisord in the foreground with the chapter's config: (process, first port, conf)."""
    first = free_port(COUNT)
    python = tmp_path / "my python" / "python"  # a path with a space, quoted in the template
    python.parent.mkdir()
    python.write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
    python.chmod(0o755)
    conf = render(
        "supervisord.conf",
        tmp_path / "supervisord.conf",
        RUN_DIR=tmp_path,
        PYTHON=python,
        BOOK_DIR=ROOT,
        FIRST_PORT=first,
    )
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
    assert wait_until(
        lambda: (
            states(conf)
            == {f"whoami:whoami-{port}": "RUNNING" for port in range(first, first + COUNT)}
        )
    )


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
    """The waits stay in step: longest request < grace < stopwaitsecs; nginx's drain bound."""
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(CH08 / "supervisord.conf")
    program = parser["program:whoami"]
    grace = int(re.search(r"--grace=(\d+)", program["command"])[1])
    assert program["stopsignal"] == "TERM"
    assert whoami.MAX_WORK < grace < int(program["stopwaitsecs"])
    for name in ("nginx.conf", "nginx-tls.conf"):
        text = (CH08 / name).read_text()
        shutdown = int(re.search(r"^worker_shutdown_timeout (\d+)s;", text, re.M)[1])
        assert shutdown > max(whoami.MAX_WORK, live.POLL_TIMEOUT)


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
    env = {
        **os.environ,
        "NGINX_BIN": require_binary("nginx"),
        "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
    }
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


@pytest.fixture
def site(supervised, tmp_path):
    """nginx in front of the supervised processes: (nginx port, its prefix, conf, ports)."""
    _, first, conf = supervised
    ports = list(range(first, first + COUNT))
    prefix = tmp_path / "nginx"
    prefix.mkdir()
    values = {f"PORT_{i}": port for i, port in enumerate(ports, 1)}
    listen = free_port()
    with nginx("nginx.conf", prefix, LISTEN_PORT=listen, APP_DIR=CH08, **values):
        yield listen, prefix, conf, ports


def roll(prefix, conf, *ports, wait=True):
    """rolling-restart.sh with nginx and supervisorctl named as a reader without them on PATH."""
    env = {
        **os.environ,
        "NGINX_BIN": require_binary("nginx"),
        "SUPERVISORCTL": BIN / "supervisorctl",
    }
    command = ["sh", CH08.relative_to(ROOT) / "rolling-restart.sh", prefix, conf, *map(str, ports)]
    if not wait:
        return subprocess.Popen(command, cwd=ROOT, env=env, stderr=subprocess.DEVNULL)
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=180)


def running_on(port):
    try:
        return int(re.search(r'id="running">(\d+)<', Server(port).fetch("/").text)[1])
    except OSError:
        return None


def test_a_long_request_is_drained_before_its_process_restarts(site, tmp_path):
    """The process is stopped only once nginx's old workers are done: SIGTERM finds it idle."""
    listen, prefix, conf, ports = site
    with ThreadPoolExecutor(1) as pool:
        slow = pool.submit(Server(listen).fetch, "/work?seconds=5")
        assert wait_until(lambda: any(running_on(port) == 2 for port in ports))
        port = next(port for port in ports if running_on(port) == 2)  # the page is the other
        rolled = roll(prefix, conf, port)
        resp = slow.result()
    assert (rolled.returncode, rolled.stderr) == (0, "")  # nginx's notices go to its error.log
    assert (resp.status, resp.body) == (200, b"worked for 5 s\n")
    log = (tmp_path / f"whoami-{port}.log").read_text()
    assert "Stopping; 0 request(s) still running" in log, log
    worked = [line for line in logs(tmp_path).splitlines() if "GET /work" in line]
    assert len(worked) == 1, worked  # done once, not retried elsewhere


def test_an_interrupted_run_leaves_no_server_down(site, tmp_path):
    listen, prefix, conf, ports = site
    original = (prefix / "nginx.conf").read_text()
    script = roll(prefix, conf, *ports, wait=False)
    try:
        assert wait_until(lambda: DOWN.search((prefix / "nginx.conf").read_text()))
        script.send_signal(signal.SIGTERM)  # while one process is out of nginx
        assert script.wait(120) != 0
    finally:
        stop(script)
    assert (prefix / "nginx.conf").read_text() == original
    seen = set()  # and nginx has reloaded it: every process gets requests again

    def everyone_answers():
        seen.add(Server(listen).fetch("/whoami").headers["X-Worker-Pid"])
        return len(seen) == COUNT

    assert wait_until(everyone_answers, timeout=30)


def test_what_the_script_cannot_do_safely_it_refuses_up_front(site):
    listen, prefix, conf, ports = site
    path = prefix / "nginx.conf"
    original = path.read_text()
    before = {pid_on(port) for port in ports}
    first = f"server 127.0.0.1:{ports[0]} "
    cases = [
        ((*ports, 1), original, "0 server lines for 127.0.0.1:1"),
        ((ports[0], "80a"), original, "not a port number: 80a"),
        (ports, original.replace(first, first + "down "), "is already down"),
        (ports, original.replace(first, f"server localhost:{ports[0]} "), "0 server lines"),
    ]
    for args, text, message in cases:
        path.write_text(text)
        rolled = roll(prefix, conf, *args)
        assert rolled.returncode == 1 and message in rolled.stderr, (args, rolled.stderr)
        assert path.read_text() == text  # untouched: no "down down"
    assert {pid_on(port) for port in ports} == before  # nothing was restarted


def test_a_tabbed_line_without_parameters_in_a_linked_config(site, tmp_path):
    """Tabs, no parameters, a symlinked nginx.conf: drained, put back, still a link."""
    listen, prefix, conf, ports = site
    real = tmp_path / "real-nginx.conf"
    line = f"        server 127.0.0.1:{ports[1]} max_fails=1 fail_timeout=10s;"
    text = (prefix / "nginx.conf").read_text().replace(line, f"\tserver\t127.0.0.1:{ports[1]};")
    assert f"\t127.0.0.1:{ports[1]};" in text
    real.write_text(text)
    (prefix / "nginx.conf").unlink()
    (prefix / "nginx.conf").symlink_to(real)
    old = pid_on(ports[1])
    rolled = roll(prefix, conf, ports[1])
    assert rolled.returncode == 0, rolled.stderr
    assert (prefix / "nginx.conf").is_symlink() and real.read_text() == text
    assert pid_on(ports[1]) not in (None, old)
