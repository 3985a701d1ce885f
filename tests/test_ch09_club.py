"""Chapter 9's reading club. The reader's own tests of it (examples/ch09/tests, listings of the
chapter) run with this suite (pyproject.toml's testpaths); this module adds what they leave to
the book: the program run as a reader runs it, its command line, bad input, the weather
service's other failures, and the reader's database tests on a real PostgreSQL."""

import asyncio
import contextlib
import json
import os
import socket
import subprocess
import sys
import uuid
from http.cookies import SimpleCookie
from urllib.parse import urlencode

import bookconfig
import pytest
from tornado.web import create_signed_value
from tornado.websocket import websocket_connect

from examples.ch09 import club
from examples.ch09.tests import (  # noqa: F401 (all of them: the check below)
    conftest,
    test_clock,
    test_database,
    test_feed,
    test_leaks,
    test_login,
    test_pages,
    test_plain_asyncio,
    test_shutdown,
    test_unittest_style,
    test_weather,
    test_xsrf,
)
from tests.ch04_support import admin
from tests.support import (
    ROOT,
    RawServer,
    example_relpath,
    free_port,
    run_example,
    run_program,
    run_python,
    serve_in_thread,
)

EXAMPLE = club


@contextlib.asynccontextmanager
async def club_app(url, **kwargs):
    """make_app(engine), the engine created and disposed of in the loop that serves the app."""
    engine = club.create_engine(url)
    try:
        await club.create_schema(engine)
        yield club.make_app(engine, **kwargs)
    finally:
        await engine.dispose()


@pytest.fixture
def server(request, tmp_path):
    url = f"sqlite:///{tmp_path / 'club.db'}"
    if request.param == "in-process":
        with serve_in_thread(club_app(url), max_body_size=club.MAX_BODY_SIZE) as srv:
            yield srv
    else:
        with run_example(example_relpath(club), f"--database-url={url}") as srv:
            yield srv


class Visitor:
    """A browser's cookies and XSRF token, over the tests' blocking client."""

    def __init__(self, server):
        self.server, self.cookies = server, {}

    def fetch(self, path, form=None, method=None):
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if form is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            body = urlencode({"_xsrf": self.cookies.get("_xsrf", ""), **form})
        method = method or ("GET" if form is None else "POST")
        resp = self.server.fetch(path, method, body, headers)
        for header in resp.headers.get_all("Set-Cookie") or []:
            self.cookies.update((k, m.value) for k, m in SimpleCookie(header).items())
        return resp

    def sign_in(self, name="mei"):
        self.fetch("/login")
        assert self.fetch("/login", {"name": name, "password": club.MEMBERS[name]}).status == 303
        return self


def test_the_readers_tests_run_with_the_books():
    testpaths = bookconfig.pyproject()["tool"]["pytest"]
    folder = (ROOT / "examples" / "ch09" / "tests").relative_to(ROOT).as_posix()
    assert folder in testpaths["ini_options"]["testpaths"]
    found = sorted(p.stem for p in (ROOT / folder).glob("*.py") if p.name != "__init__.py")
    imported = sorted(name for name in found if f"examples.ch09.tests.{name}" in sys.modules)
    assert imported == found  # every file, imported above


# What the chapter tells its reader to install, beyond requirements/examples.txt.
READER_INSTALLS = ["pytest", "pytest-asyncio", "pytest-xdist"]
ONLY_READERS_MODULES = """
import importlib.abc, sys
allowed = set(sys.argv[1].split()) | set(sys.stdlib_module_names)
class Refuse(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        top = name.partition(".")[0]
        if top not in allowed and not top.startswith("_"):
            raise ModuleNotFoundError(f"the chapter's reader has no {top!r}", name=name)
sys.meta_path.insert(0, Refuse())
import pytest
sys.exit(pytest.main(sys.argv[2:]))
"""


def installed_for_the_reader():
    """Top-level modules of what the reader has installed: the requirements and their needs."""
    from importlib import metadata

    from packaging.requirements import Requirement

    lines = (ROOT / "requirements" / "examples.txt").read_text().splitlines()
    wanted = [line for line in lines if line and not line.startswith((" ", "#"))]
    wanted += READER_INSTALLS
    names, seen = set(), set()
    while wanted:
        requirement = Requirement(wanted.pop())
        name = requirement.name.lower().replace("_", "-")
        if name in seen or requirement.marker and not requirement.marker.evaluate({"extra": ""}):
            continue
        seen.add(name)
        with contextlib.suppress(metadata.PackageNotFoundError):
            wanted += metadata.requires(name) or []
    for module, dists in metadata.packages_distributions().items():
        if any(dist.lower().replace("_", "-") in seen for dist in dists):
            names.add(module)
    return names


def test_the_readers_tests_need_only_what_the_chapter_installs():
    """The reader's pytest, run in the book's repository, must import nothing more."""
    modules = installed_for_the_reader() | {"examples", "conftest", "tests"}
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            ONLY_READERS_MODULES,
            " ".join(sorted(modules)),
            "-p",
            "no:cacheprovider",
            "--collect-only",
            "-q",
            "examples/ch09/tests",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={
            **os.environ,
            "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",
            "PYTEST_PLUGINS": "pytest_asyncio.plugin,xdist.plugin",
        },
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "collected" in done.stdout


SIGNATURES_UNCHECKED = """
import hmac, sys, types, pytest, tornado.web
tornado.web.hmac = types.SimpleNamespace(new=hmac.new, compare_digest=lambda a, b: True)
sys.exit(pytest.main(sys.argv[1:]))
"""


def test_the_edited_cookie_test_fails_when_signatures_go_unchecked():
    """The reader's test of an edited cookie must catch a missing signature check, and only that:
    with Tornado's checks switched off it fails, so it is not refused for a malformed field."""
    test = f"{os.path.relpath(test_login.__file__, ROOT)}::test_a_cookie_edited_by_hand_is_ignored"
    done = run_python("-c", SIGNATURES_UNCHECKED, "-p", "no:cacheprovider", "-q", test, timeout=120)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "1 failed" in done.stdout


FEED_BROKEN = """
import sys, pytest
from examples.ch09 import club
club.FeedHandler.send = lambda self, message: None  # a broken app: the feed never hears
sys.exit(pytest.main(sys.argv[1:]))
"""


def test_the_feed_test_fails_instead_of_hanging_when_the_app_is_broken():
    """The reader's waits have a limit: pytest-asyncio has none, and a wait without one hangs."""
    test = os.path.relpath(test_feed.__file__, ROOT)
    done = run_python("-c", FEED_BROKEN, "-p", "no:cacheprovider", "-q", test, timeout=60)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "TimeoutError" in done.stdout and "1 failed" in done.stdout


NOISY_PROGRAM = """
import asyncio, sys, pytest

@pytest.mark.asyncio
async def test_noisy(program, http_client):
    process, url = program  # one access-log line per request, each some 40 KB, on its stderr
    async with asyncio.timeout(20):
        for _ in range(10):
            response = await http_client.fetch(f"{url}/?{'x' * 40_000}", raise_error=False)
            assert response.code == 200

class AddToTestShutdown:
    def pytest_collectstart(self, collector):
        if isinstance(collector, pytest.Module) and collector.path.name == "test_shutdown.py":
            collector.obj.test_noisy = test_noisy

sys.exit(pytest.main(sys.argv[1:], plugins=[AddToTestShutdown()]))
"""


def test_the_program_fixture_survives_a_program_that_logs_a_lot():
    """A pipe nobody reads fills up: the child then blocks on its log, and waiting for it hangs."""
    test = f"{os.path.relpath(test_shutdown.__file__, ROOT)}::test_noisy"
    done = run_python("-c", NOISY_PROGRAM, "-p", "no:cacheprovider", "-q", test, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 passed" in done.stdout


@pytest.mark.reader
def test_visitors_see_the_posts_and_a_sign_in_link(server):
    resp = server.fetch("/")
    assert resp.status == 200
    assert resp.html.title.string == "The reading club"
    assert resp.html.find("a", string="Sign in")["href"] == "/login"
    assert resp.html.select("#posts li") == []


@pytest.mark.reader
def test_a_member_signs_in_and_posts(server):
    mei = Visitor(server).sign_in()
    assert mei.fetch("/posts", {"text": "<i>Dune</i> next?"}).status == 303
    page = mei.fetch("/").html
    assert page.select_one("label[for=text]").string.startswith("Signed in as mei.")
    [post] = page.select("#posts li")
    assert (post.b.string, post.select_one(".text").string) == ("mei", "<i>Dune</i> next?")
    assert post.small.string == "just now"


@pytest.mark.reader
def test_pages_and_errors_carry_the_security_headers(server):
    for resp in [server.fetch("/"), server.fetch("/nowhere"), server.fetch("/login", "POST")]:
        assert {name: resp.headers[name] for name in club.SECURITY_HEADERS} == club.SECURITY_HEADERS
    assert "frame-ancestors 'none'" in club.SECURITY_HEADERS["Content-Security-Policy"]


@pytest.mark.reader
def test_the_page_script_is_a_file_the_policy_allows(server):
    home = server.fetch("/")
    [script] = home.html.find_all("script")
    assert script.string is None and script["src"].startswith("/static/feed.js?v=")
    feed_js = server.fetch(script["src"])
    assert feed_js.status == 200 and b"textContent" in feed_js.body
    assert feed_js.headers["X-Content-Type-Options"] == "nosniff"


def test_a_nul_byte_in_a_static_file_name_is_a_400(server):
    resp = server.fetch("/static/feed.js%00")
    assert resp.status == 400
    assert resp.text == "400 Bad Request: a file name cannot contain a NUL byte\n"


def test_a_cookie_signed_the_old_way_is_ignored(tmp_path):
    """Version 1 of Tornado's signed values is weaker: a member cookie must be version 2."""
    url = f"sqlite:///{tmp_path / 'club.db'}"
    old = create_signed_value("s", "member", "mei", version=1).decode()
    new = create_signed_value("s", "member", "mei", version=2).decode()
    with serve_in_thread(club_app(url, cookie_secret="s")) as srv:
        assert b"Signed in as mei." in srv.fetch("/", headers={"Cookie": f"member={new}"}).body
        page = srv.fetch("/", headers={"Cookie": f"member={old}"}).body
    assert b"Signed in as" not in page


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "a post is 1 to 280 characters"),
        ("   ", "a post is 1 to 280 characters"),
        ("x" * 281, "a post is 1 to 280 characters"),
    ],
)
def test_empty_and_long_posts_are_refused(server, text, message):
    resp = Visitor(server).sign_in().fetch("/posts", {"text": text})
    assert resp.status == 400
    assert resp.text == f"400 Bad Request: {message}\n"


@pytest.mark.parametrize("name, password", [("", "x"), ("mei", ""), ("m" * 41, "x")])
def test_empty_and_long_sign_ins_are_refused(server, name, password):
    visitor = Visitor(server)
    visitor.fetch("/login")
    resp = visitor.fetch("/login", {"name": name, "password": password})
    assert resp.status == 400
    assert resp.text == "400 Bad Request: a name is 1-40 characters, a password 1-200\n"


def test_a_post_to_no_page_is_a_404_not_a_403(server):
    resp = server.fetch("/nowhere", method="POST", body=b"")
    assert resp.status == 404
    assert resp.text == "404 Not Found\n"


def test_other_methods_are_405(server):
    resp = Visitor(server).sign_in().fetch("/", {}, method="PUT")
    assert resp.status == 405
    assert resp.text == "405 Method Not Allowed\n"


def test_what_a_feed_sends_is_ignored(server):
    async def talk():
        feed = await websocket_connect(f"ws://127.0.0.1:{server.port}/feed")
        await feed.write_message("hello?")
        await asyncio.to_thread(Visitor(server).sign_in().fetch, "/posts", {"text": "hi"})
        message = json.loads(await feed.read_message())
        feed.close()
        assert await feed.read_message() is None  # closed at both ends: no socket left open
        return message

    assert asyncio.run(talk()) == {"id": 1, "author": "mei", "text": "hi"}


def ok(body):
    return b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)


@pytest.mark.parametrize(
    "answer, message",
    [
        (b"HTTP/1.1 503 Down\r\nContent-Length: 0\r\n\r\n", "the weather service answered 503"),
        (b"HTTP/1.1 302 Found\r\nLocation: /x\r\n\r\n", "the weather service answered 302"),
        (b"", "the weather service hung up or sent garbage"),
        (ok(b"sunny"), "the weather service sent something that is not a report"),
        (
            ok(b'{"city": "Hangzhou", "sky": "rain", "temp_c": "24"}'),
            "the weather service sent something that is not a report",
        ),
        (
            ok(b"[" * 100_000 + b"]" * 100_000),
            "the weather service sent something that is not a report",
        ),
    ],
    ids=["503", "redirect", "hang-up", "not-json", "wrong-type", "deeply-nested"],
)
def test_a_broken_weather_service_is_a_502(tmp_path, answer, message):
    url = f"sqlite:///{tmp_path / 'club.db'}"
    with RawServer(answer) as broken, serve_in_thread(club_app(url, upstream=broken.url)) as srv:
        resp = srv.fetch("/weather")
    assert resp.status == 502
    assert json.loads(resp.body) == {"error": message}


def run_club(*args):
    done = run_program("ch09/club.py", *args, timeout=60)
    return done.returncode, done.stdout, done.stderr.strip()


@pytest.mark.parametrize(
    "args, message",
    [
        (["--port=0"], "error: port must be between 1 and 65535, not 0"),
        (
            ["--database-url=mysql://me@localhost/club"],
            "error: database URL must look like sqlite:///FILE or postgresql://...",
        ),
        (
            ["--upstream=ftp://example.com"],
            "error: upstream must be an http:// or https:// URL: ftp://example.com",
        ),
    ],
)
def test_bad_command_lines_are_refused(args, message):
    assert run_club(*args) == (1, "", message)


def test_a_port_in_use_is_an_error_not_a_traceback(tmp_path):
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        code, out, err = run_club(f"--port={port}", f"--database-url=sqlite:///{tmp_path}/c.db")
    assert (code, out, err) == (1, "", "error: [Errno 98] Address already in use")


def test_a_database_that_cannot_be_reached_is_an_error(tmp_path):
    url = f"postgresql://club@127.0.0.1:{free_port()}/club"
    code, out, err = run_club(f"--port={free_port()}", f"--database-url={url}")
    assert (code, out) == (1, "")
    assert err.startswith("error: ") and "Connect call failed" in err


def test_the_readers_database_tests_on_postgresql(postgresql_url):
    """What a reader who sets CLUB_TEST_POSTGRESQL gets: the same tests, on PostgreSQL too."""
    name = f"ch09_{uuid.uuid4().hex}"
    asyncio.run(admin(postgresql_url, f'CREATE DATABASE "{name}"'))
    try:
        env = {**os.environ, "CLUB_TEST_POSTGRESQL": f"{postgresql_url.rsplit('/', 1)[0]}/{name}"}
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                "-p",
                "no:cacheprovider",
                "-q",
                os.path.relpath(test_database.__file__, ROOT),
            ],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        asyncio.run(admin(postgresql_url, f'DROP DATABASE "{name}" WITH (FORCE)'))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "8 passed" in done.stdout and "skipped" not in done.stdout
