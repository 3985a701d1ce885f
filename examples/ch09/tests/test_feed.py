"""The live feed: a WebSocket client sees a new post the moment it is made."""

import asyncio
import json

import pytest
from tornado.websocket import websocket_connect


# ANCHOR: feed
@pytest.mark.asyncio
async def test_a_new_post_is_pushed_to_the_feed(mei, base_url):
    async with asyncio.timeout(5):  # a limit on every wait: a broken app fails, never hangs
        feed = await websocket_connect(base_url.replace("http://", "ws://") + "/feed")
        try:
            await mei.fetch("/posts", {"text": "<b>Hello</b>, club"})
            message = json.loads(await feed.read_message())
            assert message == {"id": 1, "author": "mei", "text": "<b>Hello</b>, club"}
        finally:
            feed.close()
        assert await feed.read_message() is None  # None: the connection is closed


# ANCHOR_END: feed
