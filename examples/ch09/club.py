"""The reading club: members sign in and post notes, which arrive live on every open page."""

import asyncio
import collections
import contextlib
import hashlib
import hmac
import json
import os
import secrets
import signal
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy
import tornado.httpclient
import tornado.iostream
import tornado.options
import tornado.simple_httpclient
import tornado.web
import tornado.websocket
from sqlalchemy import Column, Float, Integer, String
from sqlalchemy.ext.asyncio import create_async_engine
from tornado.httputil import responses
from tornado.ioloop import IOLoop
from tornado.options import define, options

BASE = Path(__file__).parent
MAX_BODY_SIZE = 16 * 1024
MAX_POST = 280  # characters
RECENT = 50  # posts on the page
POSTS_PER_WINDOW, WINDOW = 3, 60  # at most 3 posts by one member in any 60 seconds
CITY = "hangzhou"  # where the club meets: /weather asks the weather service about it
UPSTREAM, TIMEOUT = "http://127.0.0.1:8001", 3.0
GRACE = 30  # seconds running requests get to finish after SIGTERM
# Teaching simplification: a file in the shared temporary directory, for trying the club out;
# a real site keeps its data in a directory of its own (--database-url).
DEFAULT_DATABASE = f"sqlite:///{Path(tempfile.gettempdir()) / 'tornado-book-club.db'}"
DRIVERS = {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+asyncpg"}

# Teaching simplification: the members live in the source, hashed when the app starts; nothing
# slows down guessing, and an unknown name is refused sooner than a wrong password. Chapter 6
# shows how a real site keeps and checks passwords.
MEMBERS = {"mei": "plum rain on the harbour", "ravi": "seven lanterns and a kite"}
# Teaching simplification: n=2**14 (16 MiB per hash) keeps the tests quick; chapter 6 uses 2**17.
SCRYPT = {"n": 2**14, "r": 8, "p": 1}
SECURITY_HEADERS = {  # as in chapter 6: no framing, no sniffing, scripts from this site only
    "Content-Security-Policy": (
        "default-src 'self'; object-src 'none'; base-uri 'none'; "
        "form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}

# ANCHOR: schema
metadata = sqlalchemy.MetaData()
posts = sqlalchemy.Table(
    "posts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("author", String(40), nullable=False),
    Column("text", String(MAX_POST), nullable=False),
    Column("posted_at", Float, nullable=False),  # seconds since the epoch, from the clock
)


async def create_schema(engine):
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)


# ANCHOR_END: schema
def create_engine(url):
    """An engine for a sqlite:/// or postgresql:// URL, using that database's asyncio driver."""
    try:
        parsed = sqlalchemy.make_url(url)
        driver = DRIVERS[parsed.drivername]
    except (sqlalchemy.exc.ArgumentError, KeyError):
        message = "database URL must look like sqlite:///FILE or postgresql://..."
        raise ValueError(message) from None
    parsed = parsed.set(drivername=driver)
    if driver == "sqlite+aiosqlite":
        # SQLite lets one connection write at a time: keep exactly one, and queue for it.
        return create_async_engine(
            parsed, poolclass=sqlalchemy.pool.AsyncAdaptedQueuePool, pool_size=1, max_overflow=0
        )
    return create_async_engine(parsed)


def hash_password(password, salt=None):
    """(salt, scrypt hash): a new random salt unless one is given."""
    salt = salt or os.urandom(16)
    return salt, hashlib.scrypt(password.encode("utf-8"), salt=salt, **SCRYPT)


def ago(seconds):
    """How long ago, in words: "just now", "1 minute ago", "3 hours ago"."""
    for unit, size in [("day", 86400), ("hour", 3600), ("minute", 60)]:
        if seconds >= size:
            count = int(seconds // size)
            return f"{count} {unit}{'s' if count > 1 else ''} ago"
    return "just now"


# ANCHOR: club
class Club:
    """What every handler shares; the clock is a function, so tests can pass a fake one."""

    def __init__(self, engine, clock, upstream, timeout):
        self.engine, self.clock, self.upstream, self.timeout = engine, clock, upstream, timeout
        self.members = {name: hash_password(password) for name, password in MEMBERS.items()}
        self.feeds = set()  # open WebSocket connections
        # One lock per member who has posted, never removed: few here, as only MEMBERS sign in;
        # a real site with many members would drop a lock once nobody holds or waits for it.
        self.posting = collections.defaultdict(asyncio.Lock)  # see PostsHandler
        self.running = 0  # requests being answered now

    def check_password(self, name, password):
        if name not in self.members:
            return False
        salt, stored = self.members[name]
        return hmac.compare_digest(stored, hash_password(password, salt)[1])

    # ANCHOR_END: club


class BaseHandler(tornado.web.RequestHandler):
    counted = False  # on_finish also runs for requests refused before prepare()

    @property
    def club(self):
        return self.settings["club"]

    def prepare(self):
        self.club.running += 1
        self.counted = True

    def on_finish(self):
        if self.counted:
            self.club.running -= 1

    def set_default_headers(self):
        for name, value in SECURITY_HEADERS.items():
            self.set_header(name, value)

    def get_current_user(self):
        name = self.get_signed_cookie("member", max_age_days=7, min_version=2)
        return name.decode("utf-8") if name else None

    def write_error(self, status_code, **kwargs):
        # Say why, in plain text: for a 403 this is the XSRF check.
        _, error, _ = kwargs.get("exc_info", (None, None, None))
        message = f"{status_code} {responses.get(status_code, 'Unknown Error')}"
        if isinstance(error, tornado.web.HTTPError) and status_code < 500 and error.get_message():
            message += f": {error.get_message()}"
        self.set_header("Content-Type", "text/plain; charset=UTF-8")
        self.finish(message + "\n")


class StaticFiles(tornado.web.StaticFileHandler):
    """The page's script, with the same headers and errors; a NUL byte in a name is a 400."""

    set_default_headers = BaseHandler.set_default_headers
    write_error = BaseHandler.write_error

    def validate_absolute_path(self, root, absolute_path):
        if "\x00" in absolute_path:
            raise tornado.web.HTTPError(400, "a file name cannot contain a NUL byte")
        return super().validate_absolute_path(root, absolute_path)


class NotFoundHandler(BaseHandler):
    def prepare(self):
        raise tornado.web.HTTPError(404)

    def check_xsrf_cookie(self):
        pass  # a POST to no page is a 404, not a 403 for its token


# ANCHOR: pages
class HomeHandler(BaseHandler):
    async def get(self):
        query = sqlalchemy.select(posts).order_by(posts.c.id.desc()).limit(RECENT)
        async with self.club.engine.connect() as conn:
            recent = (await conn.execute(query)).all()
        self.render("home.html", posts=recent, now=self.club.clock(), ago=ago, limit=MAX_POST)


class LoginHandler(BaseHandler):
    def get(self):
        self.render("login.html", name="", failed=False)

    async def post(self):
        name = self.get_body_argument("name", "")
        password = self.get_body_argument("password", "")
        if not 0 < len(name) <= 40 or not 0 < len(password) <= 200:
            raise tornado.web.HTTPError(400, "a name is 1-40 characters, a password 1-200")
        # scrypt takes a moment: on a thread, so other requests carry on meanwhile.
        ok = await IOLoop.current().run_in_executor(None, self.club.check_password, name, password)
        if not ok:
            self.set_status(400)
            return self.render("login.html", name=name, failed=True)
        # Teaching simplification: plain http on localhost. Over https (chapter 6), also
        # secure=True and the name "__Host-member".
        self.set_signed_cookie("member", name, expires_days=7, httponly=True, samesite="Lax")
        self.redirect("/", status=303)


# ANCHOR_END: pages
# ANCHOR: posting
class PostsHandler(BaseHandler):
    @tornado.web.authenticated
    async def post(self):
        text = self.get_body_argument("text", "").strip()
        if not 0 < len(text) <= MAX_POST:
            raise tornado.web.HTTPError(400, f"a post is 1 to {MAX_POST} characters")
        now = self.club.clock()
        recent = sqlalchemy.select(sqlalchemy.func.count()).where(
            posts.c.author == self.current_user, posts.c.posted_at > now - WINDOW
        )
        # Count and insert one post of a member at a time: twenty sent at once would otherwise
        # all count fewer than three, and all get in. Teaching simplification: the lock holds in
        # this process only; several processes (chapter 8) need the database to serialise them,
        # e.g. PostgreSQL's pg_advisory_xact_lock.
        async with self.club.posting[self.current_user], self.club.engine.begin() as conn:
            if await conn.scalar(recent) >= POSTS_PER_WINDOW:
                raise tornado.web.HTTPError(429, f"at most {POSTS_PER_WINDOW} posts a minute")
            row = {"author": self.current_user, "text": text, "posted_at": now}
            result = await conn.execute(posts.insert().values(row))
        message = {"id": result.inserted_primary_key[0], "author": row["author"], "text": text}
        for feed in list(self.club.feeds):
            feed.send(message)
        self.redirect("/", status=303)


# Teaching simplification: any number of feeds may stay open (each holds a connection), and
# nobody can sign out; chapter 6's login.py has a /logout.
class FeedHandler(tornado.websocket.WebSocketHandler):
    def open(self):
        self.settings["club"].feeds.add(self)

    def on_close(self):
        self.settings["club"].feeds.discard(self)

    def on_message(self, message):
        pass  # the feed only sends

    def send(self, message):
        with contextlib.suppress(tornado.websocket.WebSocketClosedError):
            sent = self.write_message(message)
            sent.add_done_callback(lambda sent: sent.exception())  # closed meanwhile: fine


# ANCHOR_END: posting
# ANCHOR: weather
REPORT = {"city": str, "sky": str, "temp_c": int}  # a weather report's fields and their types


class WeatherHandler(BaseHandler):
    async def get(self):
        client = tornado.httpclient.AsyncHTTPClient()
        url = f"{self.club.upstream}/weather/{CITY}"
        try:
            # Teaching simplification: a body up to the client's default 100 MB is accepted;
            # fine for a service we run ourselves, not for one on the open internet.
            response = await client.fetch(
                url, request_timeout=self.club.timeout, follow_redirects=False
            )
            report = json.loads(response.body)
            if not isinstance(report, dict) or any(
                type(report.get(key)) is not kind for key, kind in REPORT.items()
            ):
                raise ValueError("not a weather report")
        except tornado.simple_httpclient.HTTPTimeoutError:
            return self.reply(504, f"the weather service did not answer in {self.club.timeout} s")
        except (
            tornado.simple_httpclient.HTTPStreamClosedError,
            tornado.iostream.UnsatisfiableReadError,  # a header line too long to read
        ):
            return self.reply(502, "the weather service hung up or sent garbage")
        except tornado.httpclient.HTTPClientError as exc:
            return self.reply(502, f"the weather service answered {exc.code}")
        except OSError:
            return self.reply(502, "the weather service cannot be reached")
        except (ValueError, RecursionError):  # not JSON, not UTF-8, nested absurdly deep
            return self.reply(502, "the weather service sent something that is not a report")
        self.write({key: report[key] for key in REPORT})

    def reply(self, status, error):
        self.set_status(status)
        self.write({"error": error})


# ANCHOR_END: weather
def make_app(engine, cookie_secret=None, clock=time.time, upstream=UPSTREAM, timeout=TIMEOUT):
    return tornado.web.Application(
        [
            (r"/", HomeHandler),
            (r"/login", LoginHandler),
            (r"/posts", PostsHandler),
            (r"/feed", FeedHandler),
            (r"/weather", WeatherHandler),
        ],
        template_path=BASE / "templates",
        static_path=BASE / "static",
        static_handler_class=StaticFiles,
        # Teaching simplification: a new random secret at every start signs everyone out.
        cookie_secret=cookie_secret or secrets.token_urlsafe(32),
        login_url="/login",
        xsrf_cookies=True,
        default_handler_class=NotFoundHandler,
        websocket_max_message_size=1024,
        club=Club(engine, clock, upstream, timeout),
    )


# ANCHOR: main
async def main(port, engine, upstream):
    app = make_app(engine, upstream=upstream)
    server = app.listen(port, address="127.0.0.1", max_body_size=MAX_BODY_SIZE)
    await create_schema(engine)
    print(f"Listening on http://localhost:{port}/", flush=True)
    stop = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(signum, stop.set)
    await stop.wait()
    server.stop()  # no new connections from here on
    club = app.settings["club"]
    print(f"Stopping; {club.running} request(s) still running", flush=True)
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(GRACE):
            while club.running:
                await asyncio.sleep(0.1)
    for feed in list(club.feeds):
        feed.close(1001, "the server is restarting")  # 1001: going away
    await server.close_all_connections()
    await engine.dispose()
    print("Stopped", flush=True)


# ANCHOR_END: main
if __name__ == "__main__":
    define("port", default=8000, type=int, help="TCP port to listen on")
    define("database_url", default=DEFAULT_DATABASE, help="sqlite:///FILE or postgresql://...")
    define("upstream", default=UPSTREAM, help="base URL of the weather service")
    try:
        tornado.options.parse_command_line()
        if not 0 < options.port < 65536:
            raise ValueError(f"port must be between 1 and 65535, not {options.port}")
        if not options.upstream.startswith(("http://", "https://")):
            raise ValueError(f"upstream must be an http:// or https:// URL: {options.upstream}")
        engine = create_engine(options.database_url)
    except (tornado.options.Error, ValueError) as exc:
        sys.exit(f"error: {exc}")
    try:
        asyncio.run(main(options.port, engine, options.upstream))
    except (OSError, sqlalchemy.exc.DBAPIError) as exc:
        sys.exit(f"error: {exc}")
