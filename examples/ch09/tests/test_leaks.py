"""Hunting flaky tests: every test here must leave no task running and no socket open."""

import asyncio
import gc
import warnings

import pytest
import pytest_asyncio
from tornado.testing import bind_unused_port
from tornado.websocket import websocket_connect


# ANCHOR: check
def leftovers(tasks_before):
    """Tasks started since, still running; and sockets nobody closed (ResourceWarnings)."""
    tasks = asyncio.all_tasks() - tasks_before - {asyncio.current_task()}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        gc.collect()  # finds unreachable sockets: closing them warns
    unclosed = [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)]
    return [f"task still running: {task.get_coro()}" for task in tasks] + unclosed


@pytest_asyncio.fixture
async def nothing_left_behind():
    """First in a test's arguments: set up before, and checked after, every other fixture."""
    before = asyncio.all_tasks()
    yield
    assert leftovers(before) == []


# ANCHOR_END: check
# ANCHOR: tidy
@pytest.mark.asyncio
async def test_posting_leaves_nothing_behind(nothing_left_behind, mei):
    assert (await mei.fetch("/posts", {"text": "Tidy"})).code == 303


@pytest.mark.asyncio
@pytest.mark.parametrize("weather_timeout", [0.5])
async def test_a_timeout_leaves_nothing_behind(nothing_left_behind, browser, weather):
    weather.behaviour = "slow"  # still waiting when the test ends: weather.stop() ends it
    assert (await browser.fetch("/weather")).code == 504


# ANCHOR_END: tidy
# ANCHOR: found
@pytest.mark.asyncio
async def test_the_check_finds_a_feed_left_open(base_url):
    before = asyncio.all_tasks()
    feed = await websocket_connect(base_url.replace("http://", "ws://") + "/feed")
    assert leftovers(before)  # the server's side of the feed, still running
    feed.close()
    async with asyncio.timeout(5):
        assert await feed.read_message() is None  # closed at both ends now
    assert leftovers(before) == []


@pytest.mark.asyncio
async def test_the_check_finds_a_socket_nobody_closed():
    sock, _ = bind_unused_port()
    cycle = [sock]
    cycle.append(cycle)  # only the garbage collector can free it now
    del sock, cycle
    [found] = leftovers(asyncio.all_tasks())
    assert found.startswith("unclosed <socket.socket")


# ANCHOR_END: found
