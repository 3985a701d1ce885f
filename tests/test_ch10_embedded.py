import asyncio
import json
import signal
import socket
import subprocess
import sys
import threading

import pytest
import tornado.netutil

from examples.ch10 import embedded
from tests.support import ROOT, Server, example_relpath, free_port, start_error, stop

EXAMPLE = embedded


def run_in_process(port, tasks, look):
    """What the program's __main__ block does, in this process: `look(server)` runs once the
    web server listens and before the work starts. What the work printed is returned."""
    sockets = tornado.netutil.bind_sockets(port, address="127.0.0.1")
    progress, link = embedded.Progress(tasks), embedded.Link()
    thread = threading.Thread(target=lambda: asyncio.run(embedded.main(sockets, progress, link)))
    thread.start()
    try:
        link.ready.wait(10)
        look(Server(port))
        embedded.work(progress, link, 0)
    finally:
        link.stop()
        thread.join(10)
    return thread.is_alive()


@pytest.mark.reader
def test_the_program_works_then_stops_its_server(mode, capsys):
    port = free_port()
    seen = []

    def look(server):
        seen.append(json.loads(server.fetch("/progress").body))

    if mode == "in-process":
        assert run_in_process(port, 1, look) is False
        out = capsys.readouterr().out
    else:
        command = [
            sys.executable,
            f"examples/{example_relpath(embedded)}",
            f"--port={port}",
            "--tasks=1",
            "--step=3",  # time enough to ask, however busy the machine
        ]
        with subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True) as process:
            assert process.stdout.readline() == f"Listening on http://localhost:{port}/progress\n"
            look(Server(port))
            out = process.stdout.read()
            assert process.wait(30) == 0
        assert out.endswith("Stopped\n")
        out = out.removesuffix("Stopped\n")
    assert seen == [{"done": 0, "total": 1}]
    assert out == ("task 1 of 1 done\nthe web server answered 1 request(s)\n")
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()


def test_ctrl_c_stops_the_server_and_the_program():
    port = free_port()
    command = [
        sys.executable,
        f"examples/{example_relpath(embedded)}",
        f"--port={port}",
        "--step=30",
    ]
    with subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True) as process:
        assert process.stdout.readline().startswith("Listening on")
        assert json.loads(Server(port).fetch("/progress").body) == {"done": 0, "total": 3}
        assert stop(process, signal.SIGINT) == 0
        assert process.stdout.read() == "Interrupted\nStopped\n"


def test_a_request_body_is_refused_before_it_is_read():
    answers = []

    def look(server):
        answers.append(server.post_head("/progress", embedded.MAX_BODY_SIZE + 1))
        answers.append(server.fetch("/progress").status)

    run_in_process(free_port(), 0, look)
    assert answers[0].startswith(b"HTTP/1.1 400 Bad Request\r\n")
    assert answers[1] == 200


def test_link_runs_calls_in_the_loop_thread():
    async def scenario(link):
        link.attach()
        await link.stopping.wait()

    link = embedded.Link()
    thread = threading.Thread(target=lambda: asyncio.run(scenario(link)))
    thread.start()
    link.ready.wait(10)
    assert link.call(threading.current_thread) is thread
    link.stop()
    thread.join(10)
    assert not thread.is_alive()


def test_a_port_in_use_is_refused_in_one_line():
    with socket.create_server(("127.0.0.1", 0)) as taken:
        line = start_error(embedded, f"--port={taken.getsockname()[1]}")
    assert line.startswith("error: [Errno") and "in use" in line
