"""Sign-in kept on the server: a random session id in the cookie, the session in a database."""

import asyncio
import contextlib
import hashlib
import hmac
import os
import re
import secrets
import stat
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy
import tornado.options
import tornado.web
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from tornado.httputil import responses
from tornado.options import define, options

MAX_BODY_SIZE = 16 * 1024
# Teaching default: a folder of this user's own in /tmp, so that a restart keeps the sessions.
DEFAULT_FOLDER = Path(tempfile.gettempdir()) / f"tornado-book-{os.getuid()}"
DRIVERS = {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+asyncpg"}
IDLE = 30 * 60  # seconds without a request that end a session
ABSOLUTE = 12 * 60 * 60  # seconds after sign-in that end it, however busy
SESSION_ID = re.compile(r"[A-Za-z0-9_-]{43}")  # what secrets.token_urlsafe(32) returns
# Teaching simplification: login.py keeps scrypt hashes and limits attempts. Here the point
# is the session, so the demo passwords are compared as they are.
DEMO_PASSWORDS = {"mei": "plum rain on the harbour", "tom": "green tea at noon"}
# ANCHOR: schema
SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
    id_hash TEXT PRIMARY KEY,
    username TEXT NOT NULL,
    created BIGINT NOT NULL,
    seen BIGINT NOT NULL
)"""
# ANCHOR_END: schema
# What a busy or unreachable store raises: the client hears 503 and Retry-After, not 500.
UNAVAILABLE = (sqlalchemy.exc.OperationalError, sqlalchemy.exc.TimeoutError, OSError)
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def default_database():
    """The URL of sessions.db in DEFAULT_FOLDER, a folder only this user can use."""
    with contextlib.suppress(FileExistsError):  # ours from an earlier run, or someone else's?
        os.mkdir(DEFAULT_FOLDER, mode=0o700)
    found = os.lstat(DEFAULT_FOLDER)
    if not stat.S_ISDIR(found.st_mode) or found.st_uid != os.getuid() or found.st_mode & 0o077:
        raise ValueError(f"{DEFAULT_FOLDER} must be a folder of yours that only you can use")
    return f"sqlite:///{DEFAULT_FOLDER / 'sessions.db'}"


def private_file(path):
    """Create `path` readable by this user only, or check that it already is."""
    try:
        file = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
    except OSError as exc:
        raise ValueError(f"cannot open {path}: {exc.strerror}") from None
    found = os.fstat(file)
    os.close(file)
    if found.st_uid != os.getuid() or found.st_mode & 0o077:
        raise ValueError(f"{path} must be a file of yours that only you can read and write")


def create_engine(url):
    """An engine for a sqlite:/// or postgresql:// URL, as in chapter 4."""
    try:
        parsed = sqlalchemy.make_url(url)
        parsed = parsed.set(drivername=DRIVERS[parsed.drivername])
    except (sqlalchemy.exc.ArgumentError, KeyError):
        raise ValueError("database URL must look like sqlite:///FILE or postgresql://...") from None
    if parsed.drivername == "sqlite+aiosqlite":  # one writer at a time: one connection
        if not Path(parsed.database or "").parent.is_dir():
            raise ValueError(f"no such directory: {Path(parsed.database or '').parent}")
        # Whoever can write the file can write a session row: sign in as anyone.
        private_file(parsed.database)
        pool = {"poolclass": sqlalchemy.pool.AsyncAdaptedQueuePool, "pool_size": 1}
        return create_async_engine(parsed, max_overflow=0, **pool)
    return create_async_engine(parsed)


async def create_schema(engine):
    async with engine.begin() as conn:
        await conn.execute(text(SCHEMA))


def digest(session_id):
    # The table keeps a hash of each id: a leaked copy of it signs nobody in.
    return hashlib.sha256(session_id.encode()).hexdigest()


def check_password(username, password):
    expected = DEMO_PASSWORDS.get(username, "").encode()
    return bool(expected) and hmac.compare_digest(expected, password)


# ANCHOR: store
class Sessions:
    """The session store: who signed in, when, and when they were last seen."""

    def __init__(self, engine, clock):
        self.engine = engine
        self.clock = clock

    def now(self):
        now = int(self.clock())
        return {"now": now, "idle": now - IDLE, "absolute": now - ABSOLUTE}

    async def start(self, username):
        session_id = secrets.token_urlsafe(32)  # 256 random bits: nobody guesses one
        times = self.now()
        async with self.engine.begin() as conn:
            # Sessions whose owners never came back are swept out at each sign-in.
            await conn.execute(
                text("DELETE FROM sessions WHERE seen < :idle OR created < :absolute"), times
            )
            await conn.execute(
                text("INSERT INTO sessions VALUES (:id_hash, :username, :now, :now)"),
                {"id_hash": digest(session_id), "username": username, **times},
            )
        return session_id

    async def user(self, session_id):
        """Who holds this session; None if it is unknown, ended or expired."""
        if not SESSION_ID.fullmatch(session_id):
            return None  # not an id we hand out: no need to ask the store
        times = {"id_hash": digest(session_id), **self.now()}
        async with self.engine.begin() as conn:
            result = await conn.execute(
                text(
                    "SELECT username FROM sessions WHERE id_hash = :id_hash"
                    " AND seen >= :idle AND created >= :absolute"
                ),
                times,
            )
            username = result.scalar_one_or_none()
            if username is not None:
                await conn.execute(
                    text("UPDATE sessions SET seen = :now WHERE id_hash = :id_hash"), times
                )
        return username

    async def end(self, session_id):
        async with self.engine.begin() as conn:
            await conn.execute(
                text("DELETE FROM sessions WHERE id_hash = :id_hash"),
                {"id_hash": digest(session_id)},
            )

    async def end_all(self, username):
        async with self.engine.begin() as conn:
            result = await conn.execute(
                text("DELETE FROM sessions WHERE username = :username"), {"username": username}
            )
        return result.rowcount


# ANCHOR_END: store
class BaseHandler(tornado.web.RequestHandler):
    def initialize(self, sessions):
        self.sessions = sessions

    def set_default_headers(self):
        for name, value in SECURITY_HEADERS.items():
            self.set_header(name, value)
        self.set_header("Content-Type", "text/plain; charset=UTF-8")

    def write_error(self, status_code, **kwargs):
        _, error, _ = kwargs.get("exc_info", (None, None, None))
        if isinstance(error, UNAVAILABLE):  # the store is locked, down or has no free connection
            self.set_status(503)
            self.set_header("Retry-After", "5")
            self.finish("503 Service Unavailable: the session store is busy; try again soon\n")
            return
        message = f"{status_code} {responses.get(status_code, 'Unknown Error')}"
        if isinstance(error, tornado.web.HTTPError) and status_code < 500 and error.get_message():
            message += f": {error.get_message()}"
        self.finish(message + "\n")

    # ANCHOR: prepare
    async def prepare(self):
        # get_current_user() cannot await the store; prepare() can, and sets current_user.
        self.session_id = self.get_cookie(self.settings["session_cookie"])
        if self.session_id:
            self.current_user = await self.sessions.user(self.session_id)

    # ANCHOR_END: prepare
    def clear_session_cookie(self):
        self.clear_cookie(
            self.settings["session_cookie"],
            httponly=True,
            secure=self.settings["secure_cookies"],
            samesite="Lax",
        )


class NotFoundHandler(BaseHandler):
    def prepare(self):
        raise tornado.web.HTTPError(404)

    # As in Tornado's own ErrorHandler: a POST to no page is a 404, not a 403 for its token.
    def check_xsrf_cookie(self):
        pass

    def check_trusted_origin(self, origin):
        return True


class HomeHandler(BaseHandler):
    def get(self):
        if self.current_user:
            self.write(f"Signed in as {self.current_user}.\n")
        else:
            self.write("Not signed in.\n")


# ANCHOR: login
class LoginHandler(BaseHandler):
    async def post(self):
        username = self.get_body_argument("username")
        password = self.request.body_arguments.get("password", [b""])[-1]  # bytes, as sent
        if not check_password(username, password):
            raise tornado.web.HTTPError(400, "wrong username or password")
        if self.session_id:  # whatever session came with the request ends here:
            await self.sessions.end(self.session_id)  # a new id for the signed-in user
        session_id = await self.sessions.start(username)
        self.set_cookie(
            self.settings["session_cookie"],
            session_id,
            max_age=ABSOLUTE,
            httponly=True,
            secure=self.settings["secure_cookies"],
            samesite="Lax",
        )
        self.write(f"Signed in as {username}.\n")


# ANCHOR_END: login
# ANCHOR: logout
class LogoutHandler(BaseHandler):
    async def post(self):
        if self.session_id:
            await self.sessions.end(self.session_id)  # gone from the store, not just the browser
        self.clear_session_cookie()
        self.write("Signed out.\n")


class LogoutEverywhereHandler(BaseHandler):
    async def post(self):
        if not self.current_user:
            raise tornado.web.HTTPError(403, "sign in first")
        ended = await self.sessions.end_all(self.current_user)
        self.clear_session_cookie()
        self.write(f"Signed out of {ended} sessions.\n")


# ANCHOR_END: logout
def make_app(engine, clock=time.time, production=False):
    store = {"sessions": Sessions(engine, clock)}
    return tornado.web.Application(
        [
            (r"/", HomeHandler, store),
            (r"/login", LoginHandler, store),
            (r"/logout", LogoutHandler, store),
            (r"/logout-everywhere", LogoutEverywhereHandler, store),
        ],
        default_handler_class=NotFoundHandler,
        default_handler_args=store,
        xsrf_cookies=True,
        cross_origin_protection=True,
        # Production is served over HTTPS only: Secure always, and __Host- names.
        # Plain http://localhost, a teaching simplification, gets neither.
        session_cookie="__Host-session" if production else "session",
        secure_cookies=production,
        xsrf_cookie_name="__Host-xsrf" if production else "_xsrf",
        xsrf_cookie_kwargs={"secure": production, "samesite": "Lax", "httponly": True},
    )


async def main(port, engine, production=False):
    try:
        await create_schema(engine)
        app = make_app(engine, production=production)
        app.listen(port, address="127.0.0.1", max_body_size=MAX_BODY_SIZE)
        print(f"Listening on http://localhost:{port}/", flush=True)
        await asyncio.Event().wait()
    finally:
        await engine.dispose()


if __name__ == "__main__":
    define("port", default=8000, type=int, help="TCP port to listen on")
    define("database_url", default="", help="sqlite:///FILE or postgresql://...")
    define("production", default=False, type=bool, help="served over HTTPS: Secure cookies")
    try:
        tornado.options.parse_command_line()
        if not 0 < options.port < 65536:
            raise ValueError(f"port must be between 1 and 65535, not {options.port}")
        engine = create_engine(options.database_url or default_database())
    except (tornado.options.Error, ValueError) as exc:
        sys.exit(f"error: {exc}")
    try:
        asyncio.run(main(options.port, engine, options.production))
    except (sqlalchemy.exc.DBAPIError, OSError) as exc:
        sys.exit(f"error: {getattr(exc, 'orig', exc)}")
