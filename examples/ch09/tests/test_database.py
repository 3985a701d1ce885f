"""The database: every test gets empty tables, on SQLite always and on PostgreSQL when asked."""

import asyncio
import os

import pytest
from sqlalchemy import func, select

from examples.ch09 import club


# ANCHOR: both
@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    """Replaces conftest's database_url here: each test runs on SQLite, then on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'club.db'}"
    url = os.environ.get("CLUB_TEST_POSTGRESQL")  # one database: not for pytest -n, in parallel
    if not url:
        pytest.skip("set CLUB_TEST_POSTGRESQL=postgresql://USER@HOST/DATABASE to run it")
    return url


# ANCHOR_END: both
# ANCHOR: fresh
@pytest.mark.asyncio
async def test_every_test_starts_with_no_posts(engine):
    async with engine.connect() as conn:
        assert await conn.scalar(select(func.count()).select_from(club.posts)) == 0


@pytest.mark.asyncio
async def test_a_post_is_stored_with_its_author_and_time(mei, engine, clock):
    await mei.fetch("/posts", {"text": "  Chapter 3 on Friday?  "})
    async with engine.connect() as conn:
        rows = (await conn.execute(select(club.posts))).all()
    assert [(row.author, row.text, row.posted_at) for row in rows] == [
        ("mei", "Chapter 3 on Friday?", clock.now)
    ]


# ANCHOR_END: fresh
@pytest.mark.asyncio
async def test_the_newest_post_comes_first(mei):
    for text in ["first", "second"]:
        await mei.fetch("/posts", {"text": text})
    page = (await mei.fetch("/")).body.decode()
    assert page.index("second") < page.index("first")


# ANCHOR: race
@pytest.mark.asyncio
async def test_twenty_posts_at_once_still_make_three(mei):
    posts = [mei.fetch("/posts", {"text": f"post {n}"}) for n in range(20)]
    responses = await asyncio.gather(*posts)  # the client sends ten at a time, the rest queue
    assert sorted(response.code for response in responses) == [303] * 3 + [429] * 17


# ANCHOR_END: race
