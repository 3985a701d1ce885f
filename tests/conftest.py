"""Fixtures: pytest finds them here by itself (helpers are in tests/support.py).

Every test that serves an example gets it in-process, imported (`make_app()` served from a
thread); tests marked `@pytest.mark.reader` get it a second time as a reader runs it,
`python examples/chNN/<name>.py --port=N` in a subprocess. Mark the tests where how the program
is started can matter: the chapter's main path, static files and templates, body-size limits,
command-line options and what is printed at startup, cookie secrets, shutdown, anything that
depends on the working directory or the environment.

Chapter 4's examples keep a database: every test that serves one, or takes `database_url`, runs
on SQLite and on PostgreSQL. `database_url` gives each test a fresh, empty database (a file in
tmp_path, or a new database on the session's PostgreSQL server, dropped afterwards); `server`
loads the module's samples with its own `seed()`, then serves EXAMPLE against that database
in-process (in a thread whose loop creates, and at the end disposes of, its own engine) and, for
tests marked `reader`, also as `python examples/ch04/<name>.py --database-url=...`.

Chapter 8's configs run for real: `redis_url` is a throwaway redis-server, `certificate` a
self-signed certificate for localhost.
"""

import asyncio
import gc
import subprocess

import pytest

from tests.support import (
    BOTH_WAYS,
    WAYS,
    body_limit,
    example_relpath,
    free_port,
    postgresql_cluster,
    require_binary,
    run_example,
    serve_in_thread,
)

DATABASES = ["sqlite", "postgresql"]


@pytest.fixture(autouse=True, scope="module")
def collect_garbage_after_each_file():
    """An object left unclosed (a socket, a file) is reported in the file that left it, not in
    whichever later test the garbage collector happens to run in."""
    yield
    gc.collect()


def keeps_a_database(test_module):
    """Whether the module tests an example that keeps a database: its EXAMPLE, or one of the
    examples in SERVED, a list its tests are parametrised over; a module with neither may
    serve any example."""
    examples = getattr(test_module, "SERVED", None) or [getattr(test_module, "EXAMPLE", None)]
    return any(example is None or hasattr(example, "create_engine") for example in examples)


@pytest.hookimpl(tryfirst=True)  # before the fixtures' own params: ids stay in-process-sqlite
def pytest_generate_tests(metafunc):
    """Serve in-process only, or both ways for tests marked `reader`; a test of an example that
    keeps a database runs once on each database."""
    ways = WAYS if metafunc.definition.get_closest_marker("reader") else WAYS[:1]
    for name in BOTH_WAYS:
        if name in metafunc.fixturenames:
            metafunc.parametrize(name, ways, indirect=True)
    if "database_url" in metafunc.fixturenames and keeps_a_database(metafunc.module):
        metafunc.parametrize("database_url", DATABASES, indirect=True)


@pytest.fixture
def database_url(request, tmp_path):
    """A plain sqlite:/// or postgresql:// URL of an empty database, as a reader would type it;
    None for an example without a database."""
    from tests.ch04_support import postgresql_database  # asyncpg: chapter 4's tests only

    kind = getattr(request, "param", None)
    if kind == "sqlite":
        yield f"sqlite:///{tmp_path / 'book.db'}"
    elif kind == "postgresql":
        with postgresql_database(request.getfixturevalue("postgresql_url")) as url:
            yield url
    else:
        yield None


@pytest.fixture
def example(request):
    """The example a test serves: its module's EXAMPLE. A test that several examples pass alike
    is parametrised over them instead: `@pytest.mark.parametrize("example", [a, b])`."""
    return request.module.EXAMPLE


@pytest.fixture
def server(request, example, database_url):
    """The example, imported; for `reader` tests also run from a terminal. An example that
    keeps a database gets its sample data, in the database of `database_url`."""
    module = example
    args = (f"--database-url={database_url}",) if database_url else ()
    if database_url:
        asyncio.run(module.seed(module.create_engine(database_url)))
    if request.param == "in-process":
        if database_url:
            from tests.ch04_support import app_with_engine

            app = app_with_engine(module, database_url)
        else:
            app = module.make_app()
        with serve_in_thread(app, **body_limit(module)) as srv:
            yield srv
    else:
        with run_example(example_relpath(module), *args) as srv:
            yield srv


@pytest.fixture
def mode(request):
    """Which way to serve: for tests that start the example themselves, with options of their own.

    One of WAYS, like `server`: "in-process" for every test, also "subprocess" for `reader` tests.
    """
    return request.param


@pytest.fixture(scope="session")
def postgresql_url():
    """A throwaway PostgreSQL server on loopback; its URL. One per test session.

    Tests create their own databases.
    """
    with postgresql_cluster() as (port, _):
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory):
    """A throwaway redis-server (the chapter's redis.conf) on a loopback port; its URL."""
    from tests.ch08_support import redis_server

    port = free_port()
    with redis_server(port, tmp_path_factory.mktemp("redis")):
        yield f"redis://127.0.0.1:{port}/0"


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    """A self-signed certificate for localhost and 127.0.0.1: (certfile, keyfile)."""
    openssl = require_binary("openssl")
    directory = tmp_path_factory.mktemp("tls")
    cert, key = directory / "cert.pem", directory / "key.pem"
    subject = ["-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"]
    subprocess.run(
        [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            *subject,
            "-keyout",
            key,
            "-out",
            cert,
        ],
        check=True,
        capture_output=True,
    )
    return cert, key
