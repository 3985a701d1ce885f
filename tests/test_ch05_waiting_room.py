import asyncio
import json

import pytest

from examples.ch05 import waiting_room
from tests.ch05_support import park, read_response, release_everyone, stats
from tests.support import wait_until

EXAMPLE = waiting_room


@pytest.mark.reader
def test_everyone_waiting_is_released_exactly_once(server):
    released, replies = release_everyone(server, 50)
    assert released == {"released": 50}
    assert all(
        r.startswith(b"HTTP/1.1 200 OK") and r.endswith(b"\r\n\r\nreleased\n") for r in replies
    )
    assert stats(server) == {"waiting": 0, "released": 50}


@pytest.mark.reader
def test_release_with_nobody_waiting(server):
    resp = server.fetch("/release", method="POST", body=b"")
    assert json.loads(resp.body) == {"released": 0}


def test_clients_that_leave_are_forgotten(server):
    socks = park(server, 20)
    assert wait_until(lambda: stats(server)["waiting"] == 20)
    for sock in socks[:15]:
        sock.close()
    assert wait_until(lambda: stats(server)["waiting"] == 5)
    resp = server.fetch("/release", method="POST", body=b"")
    assert json.loads(resp.body) == {"released": 5}
    assert all(read_response(sock).endswith(b"released\n") for sock in socks[15:])
    for sock in socks[15:]:
        sock.close()
    assert stats(server) == {"waiting": 0, "released": 5}


def test_a_later_waiter_waits_for_the_next_release(server):
    first = park(server, 1)
    assert wait_until(lambda: stats(server)["waiting"] == 1)
    server.fetch("/release", method="POST", body=b"")
    assert read_response(first[0]).endswith(b"released\n")
    second = park(server, 1)
    assert wait_until(lambda: stats(server)["waiting"] == 1)
    for sock in first + second:
        sock.close()
    assert wait_until(lambda: stats(server)["waiting"] == 0)


def test_room_releases_futures_in_one_loop():
    async def scenario():
        room = waiting_room.Room()
        futures = [room.wait() for _ in range(3)]
        room.leave(futures[0])
        assert room.release() == 2
        assert futures[0].cancelled()
        assert all(f.done() and not f.cancelled() for f in futures[1:])
        assert room.release() == 0
        return room.released

    assert asyncio.run(scenario()) == 2


def test_wrong_method_is_405(server):
    assert server.fetch("/release").status == 405
    assert server.fetch("/wait", method="POST", body=b"").status == 405
