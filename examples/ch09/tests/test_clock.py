"""Time: the app asks a clock it was given, so a test can move time on without waiting."""

import pytest

from examples.ch09 import club


@pytest.mark.parametrize(
    "seconds, words",
    [
        (0, "just now"),
        (59, "just now"),
        (60, "1 minute ago"),
        (179, "2 minutes ago"),
        (7200, "2 hours ago"),
        (86400, "1 day ago"),
        (3 * 86400 + 5, "3 days ago"),
    ],
)
def test_ago(seconds, words):
    assert club.ago(seconds) == words


# ANCHOR: clock
@pytest.mark.asyncio
async def test_a_post_grows_older(mei, clock):
    await mei.fetch("/posts", {"text": "Who has the book?"})
    assert b"<small>just now</small>" in (await mei.fetch("/")).body
    clock.advance(3 * 60)
    assert b"<small>3 minutes ago</small>" in (await mei.fetch("/")).body


@pytest.mark.asyncio
async def test_three_posts_a_minute_at_most(mei, clock):
    for n in range(3):
        assert (await mei.fetch("/posts", {"text": f"post {n}"})).code == 303
    refused = await mei.fetch("/posts", {"text": "one more"})
    assert refused.code == 429
    assert refused.body == b"429 Too Many Requests: at most 3 posts a minute\n"
    clock.advance(60)
    assert (await mei.fetch("/posts", {"text": "one more"})).code == 303


# ANCHOR_END: clock
