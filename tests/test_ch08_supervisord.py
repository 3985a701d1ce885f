"""examples/ch08/supervisord.conf, run by the supervisord installed with the examples."""

import configparser
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, Server, free_port, wait_for_port
from tests.ch08_fixtures import CH08, render, start, stop, wait_until

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
