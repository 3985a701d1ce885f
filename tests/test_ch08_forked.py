import os
import re
import signal
import subprocess
import sys

import pytest

from examples.ch08 import forked
from tests.ch08_support import printed_url
from tests.support import (
    ROOT,
    Server,
    free_port,
    run_program,
    serve_in_thread,
    wait_for_port,
    wait_until,
)

EXAMPLE = forked
ANSWER = re.compile(r"process (\d+), task (\d+)\n")


@pytest.fixture
def family(tmp_path):
    """`python examples/ch08/forked.py --processes=2`, in a process group of its own."""
    port = free_port()
    log = tmp_path / "forked.log"
    command = [sys.executable, "examples/ch08/forked.py", f"--port={port}", "--processes=2"]
    with log.open("wb") as out:
        parent = subprocess.Popen(
            command, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        wait_for_port(port, parent, log)
        yield parent, Server(port), log
    finally:
        # The parent does not pass signals on: stop the whole group, as supervisord and
        # systemd do, until nobody is left (the parent may fork again as children die).
        for _ in range(100):
            try:
                os.killpg(parent.pid, signal.SIGTERM)
            except ProcessLookupError:
                break
            wait_until(lambda: parent.poll() is not None, timeout=0.2)
        parent.wait(10)


def answers(srv):
    """(pid, task id) of whoever answers one new connection."""
    pid, task = ANSWER.fullmatch(srv.fetch("/whoami").text).groups()
    return pid, task


def children_seen(srv, count, attempts=400):
    seen = {}
    for _ in range(attempts):
        pid, task = answers(srv)
        seen[task] = pid
        if len(seen) == count:
            break
    return seen


def test_in_process_there_is_no_task_id():
    with serve_in_thread(forked.make_app()) as srv:
        assert srv.fetch("/whoami").text == f"process {os.getpid()}, task None\n"


def test_children_share_the_port(family):
    parent, srv, log = family
    seen = children_seen(srv, 2)
    assert sorted(seen) == ["0", "1"]
    assert str(parent.pid) not in seen.values()  # the parent only watches its children
    assert log.read_text().startswith(f"Listening on http://localhost:{srv.port}/")


def test_the_address_it_prints_answers(family):
    _, srv, log = family
    url = printed_url(log)
    assert url.startswith(f"http://localhost:{srv.port}/")
    resp = srv.fetch(url.removeprefix(f"http://localhost:{srv.port}"))
    assert resp.status == 200
    assert ANSWER.fullmatch(resp.text)


def test_a_child_that_dies_is_replaced(family):
    _, srv, log = family
    before = children_seen(srv, 2)
    os.kill(int(before["0"]), signal.SIGKILL)

    def replaced():
        return children_seen(srv, 2, attempts=50).get("0") not in (None, before["0"])

    assert wait_until(replaced)
    assert wait_until(lambda: "restarting" in log.read_text())


def test_negative_processes_is_a_clear_error():
    done = run_program("ch08/forked.py", "--processes=-1", timeout=30)
    assert done.returncode == 1
    assert done.stderr.strip() == "error: processes must be 0 or more, not -1"


def test_sigterm_to_the_parent_alone_leaves_the_children_serving(family):
    parent, srv, _ = family
    before = children_seen(srv, 2)
    parent.send_signal(signal.SIGTERM)
    parent.wait(10)
    assert answers(srv)[0] in before.values()  # orphans, still on the port
