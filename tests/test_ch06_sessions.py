import asyncio
import contextlib
import hashlib
import os
import sqlite3
import stat
import urllib.parse
from http.cookies import SimpleCookie

import pytest

from examples.ch06 import sessions
from tests.ch04_support import app_with_engine, postgresql_database, query
from tests.support import run_example, serve_in_thread, start_error

EXAMPLE = sessions

MEI = ("mei", "plum rain on the harbour")
TOM = ("tom", "green tea at noon")
XSRF = "_xsrf=x"  # a matching cookie and form token, as the book's curl commands send them
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


class Clock:
    """A clock the test moves by hand: expiry is tested without waiting."""

    def __init__(self):
        self.now = 1_800_000_000.0

    def __call__(self):
        return self.now


@pytest.fixture
def running(mode, tmp_path):
    """The example on a fresh SQLite file, imported or started with --database-url=URL."""
    url = f"sqlite:///{tmp_path / 'sessions.db'}"
    if mode == "in-process":
        with serve_in_thread(app_with_engine(sessions, url)) as srv:
            yield srv
    else:
        with run_example("ch06/sessions.py", f"--database-url={url}") as srv:
            yield srv


@contextlib.asynccontextmanager
async def clocked_app(url, clock, production=False):
    engine = sessions.create_engine(url)
    try:
        await sessions.create_schema(engine)
        yield sessions.make_app(engine, clock=clock, production=production)
    finally:
        await engine.dispose()


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def database(tmp_path):
    return f"sqlite:///{tmp_path / 'sessions.db'}"


@pytest.fixture
def clocked(database, clock):
    with serve_in_thread(clocked_app(database, clock)) as srv:
        yield srv


def login(server, user, cookie="", xsrf=XSRF, extra_headers=None):
    username, password = user
    body = urllib.parse.urlencode({"_xsrf": "x", "username": username, "password": password})
    cookies = "; ".join(part for part in [xsrf, cookie] if part)
    headers = {**FORM, "Cookie": cookies, **(extra_headers or {})}
    return server.fetch("/login", method="POST", body=body, headers=headers)


def session_of(resp, name="session"):
    return SimpleCookie(resp.headers["Set-Cookie"])[name]


def signed_in(server, user):
    resp = login(server, user)
    assert resp.status == 200, resp.text
    return session_of(resp).value


def home(server, session_id, name="session"):
    return server.fetch("/", headers={"Cookie": f"{name}={session_id}"}).text


def post(server, path, session_id=None):
    cookie = f"{XSRF}; session={session_id}" if session_id else XSRF
    return server.fetch(path, method="POST", body="_xsrf=x", headers={**FORM, "Cookie": cookie})


@pytest.mark.reader
def test_sign_in_look_around_sign_out(running):
    resp = login(running, MEI)
    assert resp.text == "Signed in as mei.\n"
    cookie = session_of(resp)
    assert sessions.SESSION_ID.fullmatch(cookie.value)
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    assert cookie["path"] == "/"
    assert cookie["max-age"] == str(sessions.ABSOLUTE)
    assert cookie["secure"] == ""  # plain http://localhost: the teaching simplification
    assert home(running, cookie.value) == "Signed in as mei.\n"
    resp = post(running, "/logout", cookie.value)
    assert resp.text == "Signed out.\n"
    assert session_of(resp)["max-age"] == "0" or session_of(resp)["expires"]
    # A copy of the cookie, kept by someone, is worth nothing: the session is gone from the store.
    assert home(running, cookie.value) == "Not signed in.\n"


@pytest.mark.reader
def test_sign_out_everywhere(running):
    phone, laptop, other = signed_in(running, MEI), signed_in(running, MEI), signed_in(running, TOM)
    assert phone != laptop
    resp = post(running, "/logout-everywhere", laptop)
    assert resp.text == "Signed out of 2 sessions.\n"
    assert home(running, phone) == "Not signed in.\n"
    assert home(running, laptop) == "Not signed in.\n"
    assert home(running, other) == "Signed in as tom.\n"


@pytest.mark.reader
def test_a_restart_signs_nobody_out(mode, tmp_path):
    url = f"sqlite:///{tmp_path / 'sessions.db'}"

    def serve():
        if mode == "in-process":
            return serve_in_thread(app_with_engine(sessions, url))
        return run_example("ch06/sessions.py", f"--database-url={url}")

    with serve() as srv:
        session_id = signed_in(srv, MEI)
    with serve() as srv:
        assert home(srv, session_id) == "Signed in as mei.\n"


@pytest.mark.reader
def test_production_cookies(mode, tmp_path):
    url = f"sqlite:///{tmp_path / 'sessions.db'}"
    if mode == "in-process":
        running = serve_in_thread(clocked_app(url, Clock(), production=True))
    else:
        running = run_example("ch06/sessions.py", f"--database-url={url}", "--production")
    with running as srv:
        assert login(srv, MEI).status == 403  # the token's cookie is __Host-xsrf now
        resp = login(srv, MEI, xsrf="__Host-xsrf=x")
        cookie = session_of(resp, "__Host-session")
        assert cookie["secure"] is True
        assert (cookie["path"], cookie["domain"]) == ("/", "")  # what __Host- requires
        assert home(srv, cookie.value, "__Host-session") == "Signed in as mei.\n"
        assert home(srv, cookie.value) == "Not signed in.\n"  # under the development name


def test_the_store_keeps_a_hash_of_each_id(clocked, database, clock):
    session_id = signed_in(clocked, MEI)
    rows = query(sessions, database, "SELECT id_hash, username, created, seen FROM sessions")
    digest = hashlib.sha256(session_id.encode()).hexdigest()
    assert rows == [(digest, "mei", int(clock.now), int(clock.now))]
    # The hash, used as a cookie, is just another unknown id.
    assert home(clocked, digest) == "Not signed in.\n"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"username": "mei", "password": "guess"}, "wrong username or password"),
        ({"username": "nobody", "password": "guess"}, "wrong username or password"),
        ({"username": "nobody", "password": ""}, "wrong username or password"),
        ({"username": "mei", "password": "  plum rain on the harbour  "}, "wrong username"),
        ({"username": "mei", "password": "plum\x01rain on the harbour"}, "wrong username"),
        ({"username": "mei", "password": "plum rain on the harbour\u00e9"}, "wrong username"),
        ({"username": "mei"}, "wrong username or password"),
        ({"password": "plum rain on the harbour"}, "Missing argument username"),
    ],
)
def test_a_failed_sign_in_is_a_400_and_no_session(clocked, database, body, message):
    resp = clocked.fetch(
        "/login",
        method="POST",
        body=urllib.parse.urlencode({"_xsrf": "x", **body}),
        headers={**FORM, "Cookie": XSRF},
    )
    assert resp.status == 400
    assert message in resp.text
    assert resp.headers["Content-Type"] == "text/plain; charset=UTF-8"
    assert "session=" not in (resp.headers["Set-Cookie"] or "")
    assert query(sessions, database, "SELECT COUNT(*) FROM sessions") == [(0,)]


@pytest.mark.parametrize(
    ("xsrf", "headers", "reason"),
    [
        ("", {}, "XSRF cookie does not match"),  # no cookie at all
        ("_xsrf=y", {}, "XSRF cookie does not match"),
        (XSRF, {"Origin": "http://evil.example", "Sec-Fetch-Site": "cross-site"}, "not allowed"),
    ],
)
def test_sign_in_is_protected_from_other_sites(clocked, xsrf, headers, reason):
    # Login CSRF: another site signing the visitor in to an account of its choosing.
    resp = login(clocked, MEI, xsrf=xsrf, extra_headers=headers)
    assert resp.status == 403
    assert reason in resp.text


@pytest.mark.parametrize(
    "cookie",
    [
        "A" * 43,  # an id of the right shape that the store never handed out
        "x",
        "a" * 5000,
        "%ff%00",
        "2|1:0|10:1700000000|7:session|4:bWVp|" + "0" * 64,  # a signed cookie's shape
        "../../etc/passwd",
    ],
)
def test_forged_cookies_are_nobody(clocked, cookie):
    signed_in(clocked, MEI)
    assert home(clocked, cookie) == "Not signed in.\n"


def test_a_tampered_id_is_nobody(clocked):
    session_id = signed_in(clocked, MEI)
    changed = session_id[:-1] + ("A" if session_id[-1] != "A" else "B")
    assert home(clocked, changed) == "Not signed in.\n"
    assert home(clocked, session_id) == "Signed in as mei.\n"


def test_idle_expiry(clocked, clock):
    session_id = signed_in(clocked, MEI)
    clock.now += sessions.IDLE
    assert home(clocked, session_id) == "Signed in as mei.\n"  # and seen again now
    clock.now += sessions.IDLE
    assert home(clocked, session_id) == "Signed in as mei.\n"
    clock.now += sessions.IDLE + 1
    assert home(clocked, session_id) == "Not signed in.\n"


def test_absolute_expiry_however_busy(clocked, clock):
    session_id = signed_in(clocked, MEI)
    start = clock.now
    while clock.now - start < sessions.ABSOLUTE:
        clock.now = min(clock.now + sessions.IDLE, start + sessions.ABSOLUTE)
        assert home(clocked, session_id) == "Signed in as mei.\n"
    clock.now += 1
    assert home(clocked, session_id) == "Not signed in.\n"


def test_ended_sessions_are_swept_out_at_sign_in(clocked, database, clock):
    signed_in(clocked, MEI)
    signed_in(clocked, TOM)
    clock.now += sessions.IDLE + 1
    session_id = signed_in(clocked, TOM)
    rows = query(sessions, database, "SELECT id_hash FROM sessions")
    assert rows == [(hashlib.sha256(session_id.encode()).hexdigest(),)]


def test_sign_in_gives_a_new_id_and_ends_the_old_one(clocked, database):
    # Session fixation: the attacker plants the id of a session of theirs in the victim's
    # browser. Signing in must not make that id the victim's.
    planted = signed_in(clocked, TOM)
    resp = login(clocked, MEI, cookie=f"session={planted}")
    fresh = session_of(resp).value
    assert fresh != planted
    assert home(clocked, fresh) == "Signed in as mei.\n"
    assert home(clocked, planted) == "Not signed in.\n"
    assert query(sessions, database, "SELECT username FROM sessions") == [("mei",)]


def test_sign_out_without_a_session(clocked):
    assert post(clocked, "/logout").text == "Signed out.\n"
    assert post(clocked, "/logout", "A" * 43).text == "Signed out.\n"


def test_sign_out_everywhere_needs_a_session(clocked):
    resp = post(clocked, "/logout-everywhere", "A" * 43)
    assert resp.status == 403
    assert resp.text == "403 Forbidden: sign in first\n"


def test_sign_out_needs_the_token(clocked):
    session_id = signed_in(clocked, MEI)
    resp = clocked.fetch(
        "/logout", method="POST", body="", headers={"Cookie": f"session={session_id}"}
    )
    assert resp.status == 403
    assert home(clocked, session_id) == "Signed in as mei.\n"


SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


@pytest.mark.parametrize(
    ("method", "path", "headers", "status"),
    [
        ("GET", "/", {}, 200),
        ("GET", "/login", {}, 405),
        ("GET", "/nowhere", {}, 404),
        ("POST", "/nowhere", {}, 404),  # a 404, not a 403 for a missing token
        (
            "POST",
            "/nowhere",
            {"Origin": "http://evil.example", "Sec-Fetch-Site": "cross-site"},
            404,
        ),
        ("POST", "/login", {}, 403),
    ],
)
def test_security_headers_on_every_answer(clocked, method, path, headers, status):
    resp = clocked.fetch(
        path, method=method, body=b"" if method == "POST" else None, headers=headers
    )
    assert resp.status == status
    assert {name: resp.headers[name] for name in SECURITY_HEADERS} == SECURITY_HEADERS


def test_a_shared_postgresql_store(postgresql_url):
    # Several processes, or machines, share sessions through one database server.
    with contextlib.ExitStack() as stack:
        url = stack.enter_context(postgresql_database(postgresql_url))
        one = stack.enter_context(serve_in_thread(app_with_engine(sessions, url)))
        two = stack.enter_context(serve_in_thread(app_with_engine(sessions, url)))
        session_id = signed_in(one, MEI)
        assert home(two, session_id) == "Signed in as mei.\n"
        assert post(two, "/logout-everywhere", session_id).status == 200
        assert home(one, session_id) == "Not signed in.\n"


def test_a_database_that_cannot_open_is_a_one_line_error(tmp_path):
    url = f"sqlite:///{tmp_path / 'missing' / 'sessions.db'}"
    assert (
        start_error(sessions, f"--database-url={url}")
        == f"error: no such directory: {tmp_path / 'missing'}"
    )
    (tmp_path / "notes.txt").write_text("not a database\n" * 100, encoding="utf-8")
    (tmp_path / "notes.txt").chmod(0o600)
    url = f"sqlite:///{tmp_path / 'notes.txt'}"
    assert start_error(sessions, f"--database-url={url}") == "error: file is not a database"


def test_a_new_database_file_is_private(tmp_path):
    sessions.create_engine(f"sqlite:///{tmp_path / 'sessions.db'}")
    assert stat.S_IMODE((tmp_path / "sessions.db").stat().st_mode) == 0o600


@pytest.mark.parametrize("permissions", [0o666, 0o640, 0o604])
def test_a_database_others_can_use_is_refused(tmp_path, permissions):
    # Whoever can write the file can insert a session row: a sign-in that never expires.
    (tmp_path / "sessions.db").touch()
    (tmp_path / "sessions.db").chmod(permissions)
    url = f"sqlite:///{tmp_path / 'sessions.db'}"
    message = "must be a file of yours that only you can read and write"
    assert start_error(sessions, f"--database-url={url}") == f"error: {url[10:]} {message}"


def test_a_database_of_another_user_or_a_symlink_is_refused(tmp_path):
    (tmp_path / "sessions.db").touch(mode=0o600)
    os.chown(tmp_path / "sessions.db", os.getuid() + 1, -1)
    with pytest.raises(ValueError, match="must be a file of yours"):
        sessions.create_engine(f"sqlite:///{tmp_path / 'sessions.db'}")
    (tmp_path / "link.db").symlink_to(tmp_path / "sessions.db")
    with pytest.raises(ValueError, match="cannot open .*link.db: Too many levels of symbolic"):
        sessions.create_engine(f"sqlite:///{tmp_path / 'link.db'}")


def test_the_default_folder_is_private_and_ours(tmp_path, monkeypatch):
    monkeypatch.setattr(sessions, "DEFAULT_FOLDER", tmp_path / "book")
    url = sessions.default_database()
    assert url == f"sqlite:///{tmp_path / 'book' / 'sessions.db'}"
    assert stat.S_IMODE((tmp_path / "book").stat().st_mode) == 0o700
    assert sessions.default_database() == url  # the next run finds it again
    (tmp_path / "book").chmod(0o777)  # as someone else could have made it before our first run
    with pytest.raises(ValueError, match="book must be a folder of yours that only you can use"):
        sessions.default_database()
    (tmp_path / "book").rmdir()
    (tmp_path / "book").symlink_to(tmp_path)
    with pytest.raises(ValueError, match="must be a folder of yours"):
        sessions.default_database()


def test_by_default_the_sessions_live_in_a_folder_of_our_own():
    with run_example("ch06/sessions.py") as srv:
        assert srv.fetch("/").text == "Not signed in.\n"
    found = os.lstat(sessions.DEFAULT_FOLDER)
    assert stat.S_IMODE(found.st_mode) == 0o700 and found.st_uid == os.getuid()
    assert stat.S_IMODE(os.stat(sessions.DEFAULT_FOLDER / "sessions.db").st_mode) == 0o600


def test_a_locked_store_is_a_503_with_retry_after(clocked, database):
    session_id = signed_in(clocked, MEI)
    locker = sqlite3.connect(database.removeprefix("sqlite:///"), isolation_level=None)
    try:
        locker.execute("BEGIN EXCLUSIVE")  # another process holds the file: SQLite's 5 s wait
        resp = clocked.fetch("/", headers={"Cookie": f"session={session_id}"})
    finally:
        locker.close()
    assert resp.status == 503
    assert resp.headers["Retry-After"] == "5"
    assert resp.text == "503 Service Unavailable: the session store is busy; try again soon\n"
    assert home(clocked, session_id) == "Signed in as mei.\n"  # and back once it is free


def test_module_import_runs_nothing():
    assert asyncio.iscoroutinefunction(sessions.main)
