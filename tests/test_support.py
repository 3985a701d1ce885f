"""tests/support.py: the helpers every test file uses."""

import socket
import struct
import time

from tests.support import SILENT, RawServer


def wait_for(predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while not predicate() and time.monotonic() < deadline:
        time.sleep(0.01)
    return predicate()


def test_a_silent_server_outlives_a_client_that_resets():
    """A client that aborts (an RST) is dropped, and closed; the server goes on accepting."""
    with RawServer(SILENT) as server:
        address = ("127.0.0.1", int(server.url.rsplit(":", 1)[1]))
        aborted = socket.create_connection(address, timeout=10)
        assert wait_for(lambda: server.accepted == 1)
        aborted.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        aborted.close()
        with socket.create_connection(address, timeout=10):
            assert wait_for(lambda: server.accepted == 2)
            assert server.thread.is_alive()
            assert server.peak == 1  # the aborted one was closed before this one counted
            assert server.open[0].fileno() != -1
