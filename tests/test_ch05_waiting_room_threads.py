import contextlib
import threading

import pytest

from examples.ch05 import waiting_room_threads
from tests.ch05_support import park, release_everyone, stats
from tests.support import Server, free_port, run_example, wait_until


@contextlib.contextmanager
def serve_threads():
    port = free_port()
    with waiting_room_threads.WaitingRoomServer(port) as httpd:
        thread = threading.Thread(target=httpd.serve_forever, daemon=True)
        thread.start()
        try:
            yield Server(port)
        finally:
            httpd.shutdown()
            thread.join(10)


@pytest.fixture
def server(request):
    """The threaded server in a thread of this process, or (`reader` tests) from a terminal."""
    if request.param == "in-process":
        with serve_threads() as srv:
            yield srv
    else:
        with run_example("ch05/waiting_room_threads.py") as srv:
            yield srv


@pytest.mark.reader
def test_everyone_waiting_is_released(server):
    released, replies = release_everyone(server, 30)
    assert released == {"released": 30}
    assert all(r.startswith(b"HTTP/1.1 200 OK") and r.endswith(b"released\n") for r in replies)
    assert wait_until(lambda: stats(server) == {"waiting": 0, "released": 30})


def test_a_thread_stays_blocked_after_its_client_leaves(server):
    """The comparison's weak point: nobody tells a sleeping thread that its client hung up."""
    socks = park(server, 3)
    assert wait_until(lambda: stats(server)["waiting"] == 3)
    for sock in socks:
        sock.close()
    assert not wait_until(lambda: stats(server)["waiting"] < 3, timeout=0.5)
    server.fetch("/release", method="POST", body=b"")
    assert wait_until(lambda: stats(server)["waiting"] == 0)


@pytest.mark.reader
def test_unknown_paths_are_404(server):
    assert server.fetch("/nowhere").status == 404
    assert server.fetch("/nowhere", method="POST", body=b"").status == 404
    assert server.fetch("/nowhere").text == "not found\n"
