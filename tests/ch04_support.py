"""Chapter 4 helpers: a database of its own for a test, SQL through an example's engine, runs.

The fixtures (`database_url`, and `server` for an example that keeps a database) are in
tests/conftest.py.
"""

import asyncio
import contextlib
import uuid

import asyncpg
from sqlalchemy import text

from tests.support import run_program


async def admin(server_url, statement):
    conn = await asyncpg.connect(server_url)
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


@contextlib.contextmanager
def postgresql_database(server_url):
    """The URL of a new, empty database on the server at server_url; dropped afterwards."""
    name = f"ch04_{uuid.uuid4().hex}"
    asyncio.run(admin(server_url, f'CREATE DATABASE "{name}"'))
    try:
        yield f"{server_url.rsplit('/', 1)[0]}/{name}"
    finally:
        asyncio.run(admin(server_url, f'DROP DATABASE "{name}" WITH (FORCE)'))


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


def outcome(module, *args):
    """Run `python examples/ch04/<name>.py ARGS` to its end: (exit status, stdout, stderr)."""
    done = run_program(module, *args)
    return done.returncode, done.stdout, done.stderr


BAD_URLS = ["nonsense", "mysql://root@localhost/words", "postgres://me@localhost/words", ""]
URL_ERROR = "error: database URL must look like sqlite:///FILE or postgresql://USER@HOST:PORT/NAME"
