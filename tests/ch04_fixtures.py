"""Chapter 4 fixtures: every database test runs on SQLite and on PostgreSQL.

`database_url` gives each test a fresh, empty database: a file in tmp_path, or a new database
on the session's PostgreSQL server (dropped afterwards). `server` loads the module's samples
with its own `seed()`, then serves EXAMPLE against that database in-process (in a thread whose
loop creates, and at the end disposes of, its own engine) and, for tests marked `reader`, also
as `python examples/ch04/<name>.py --database-url=...`, the way a reader runs it.
"""

import asyncio
import contextlib
import subprocess
import sys
import uuid

import asyncpg
import pytest
from sqlalchemy import text

from conftest import ROOT, body_limit, example_relpath, run_example, serve_in_thread


async def _admin(server_url, statement):
    conn = await asyncpg.connect(server_url)
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    """A plain sqlite:/// or postgresql:// URL of an empty database, as a reader would type it."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'book.db'}"
        return
    with postgresql_database(request.getfixturevalue("postgresql_url")) as url:
        yield url


@contextlib.contextmanager
def postgresql_database(server_url):
    """The URL of a new, empty database on the server at server_url; dropped afterwards."""
    name = f"ch04_{uuid.uuid4().hex}"
    asyncio.run(_admin(server_url, f'CREATE DATABASE "{name}"'))
    try:
        yield f"{server_url.rsplit('/', 1)[0]}/{name}"
    finally:
        asyncio.run(_admin(server_url, f'DROP DATABASE "{name}" WITH (FORCE)'))


def query(module, url, statement, **params):
    """Run one SQL statement through the example's own engine; its rows, if it returns any."""

    async def run():
        engine = module.create_engine(url)
        try:
            async with engine.begin() as conn:
                result = await conn.execute(text(statement), params)
                return [tuple(row) for row in result] if result.returns_rows else None
        finally:
            await engine.dispose()

    return asyncio.run(run())


@contextlib.asynccontextmanager
async def app_with_engine(module, url):
    """make_app(engine), the engine created and disposed of in the loop that serves the app."""
    engine = module.create_engine(url)
    try:
        await module.create_schema(engine)
        yield module.make_app(engine)
    finally:
        await engine.dispose()


@pytest.fixture
def server(request, database_url):
    """The test module's EXAMPLE with its sample data, served against database_url (conftest)."""
    module = request.module.EXAMPLE
    asyncio.run(module.seed(module.create_engine(database_url)))
    if request.param == "in-process":
        with serve_in_thread(app_with_engine(module, database_url), **body_limit(module)) as srv:
            yield srv
    else:
        with run_example(example_relpath(module), f"--database-url={database_url}") as srv:
            yield srv


def run_program(module, *args):
    """Run `python examples/ch04/<name>.py ARGS` to completion; (exit status, stdout, stderr)."""
    done = subprocess.run(
        [sys.executable, f"examples/{example_relpath(module)}", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    return done.returncode, done.stdout, done.stderr


BAD_URLS = ["nonsense", "mysql://root@localhost/words", "postgres://me@localhost/words", ""]
URL_ERROR = "error: database URL must look like sqlite:///FILE or postgresql://USER@HOST:PORT/NAME"
