"""A dictionary of web terms that clients can read, add to and correct, as JSON over HTTP."""

import asyncio
import json
import sqlite3
import sys
import tempfile
import unicodedata
import urllib.parse
from pathlib import Path

import sqlalchemy
import tornado.options
import tornado.web
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from tornado.httputil import responses
from tornado.options import define, options

MAX_BODY_SIZE = 16 * 1024
LIMITS = {"word": 40, "definition": 500}  # JSON field -> most characters allowed
DEFAULT_DATABASE = f"sqlite:///{Path(tempfile.gettempdir()) / 'tornado-book-dictionary-rw.db'}"
DRIVERS = {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+asyncpg"}
# ANCHOR: schema
SCHEMA = """
CREATE TABLE IF NOT EXISTS words (
    word TEXT PRIMARY KEY,
    definition TEXT NOT NULL,
    hits INTEGER NOT NULL DEFAULT 0
)"""
# ANCHOR_END: schema
SAMPLES = {
    "bandwidth": "How many bits a link can carry each second.",
    "cookie": "A short text a server hands to the browser, which sends it back on later visits.",
    "dns": "The directory that turns a host name such as example.com into an IP address.",
    "latency": "The time one message needs to get from sender to receiver.",
    "port": "A number from 1 to 65535 that picks one program among those listening on a host.",
    "proxy": "A server that passes requests on for someone else and hands back the answers.",
    "tls": "The layer that encrypts and authenticates a connection; HTTP over TLS is HTTPS.",
    "websocket": "A connection that begins as an HTTP request and then stays open both ways.",
}
ESCAPES = str.maketrans({char: f"\\u{ord(char):04x}" for char in "<>&\u2028\u2029"})


def require_returning():
    """Refuse to start on an SQLite older than 3.35, which has no RETURNING."""
    version = sqlite3.sqlite_version
    if tuple(int(part) for part in version.split(".")) < (3, 35):
        raise ValueError(f"SQLite {version} is too old: RETURNING needs SQLite 3.35 or later")


def create_engine(url):
    """An engine for a sqlite:/// or postgresql:// URL, using that database's asyncio driver."""
    try:
        parsed = sqlalchemy.make_url(url)
        driver = DRIVERS[parsed.drivername]
    except (sqlalchemy.exc.ArgumentError, KeyError):
        raise ValueError(
            "database URL must look like sqlite:///FILE or postgresql://USER@HOST:PORT/NAME"
        ) from None
    parsed = parsed.set(drivername=driver)
    if driver == "sqlite+aiosqlite":
        require_returning()
        folder = Path(parsed.database or "").parent
        if not folder.is_dir():
            raise ValueError(f"no such directory: {folder}")
        # SQLite lets one connection write at a time: keep exactly one, and queue for it.
        return create_async_engine(
            parsed, poolclass=sqlalchemy.pool.AsyncAdaptedQueuePool, pool_size=1, max_overflow=0
        )
    return create_async_engine(parsed)


async def create_schema(engine):
    async with engine.begin() as conn:
        await conn.execute(text(SCHEMA))


async def seed(engine):
    """Replace every word with the samples; close the engine in any case."""
    try:
        async with engine.begin() as conn:
            await conn.execute(text("DROP TABLE IF EXISTS words"))  # whatever its columns were
            await conn.execute(text(SCHEMA))
            await conn.execute(
                text("INSERT INTO words (word, definition) VALUES (:word, :definition)"),
                [{"word": word, "definition": meaning} for word, meaning in SAMPLES.items()],
            )
    finally:
        await engine.dispose()
    print(f"loaded {len(SAMPLES)} sample words", flush=True)


class JSONHandler(tornado.web.RequestHandler):
    def write_json(self, data):
        body = json.dumps(data, ensure_ascii=False, default=lambda value: value.isoformat())
        self.set_header("Content-Type", "application/json; charset=UTF-8")
        self.write(body.translate(ESCAPES))  # < > & as \u003c \u003e \u0026: see the book

    def write_error(self, status_code, **kwargs):
        _, error, _ = kwargs.get("exc_info", (None, None, None))
        message = "something went wrong on our side"
        if isinstance(error, tornado.web.HTTPError) and status_code < 500:
            message = error.get_message() or responses.get(status_code, "Unknown Error")
        self.write_json({"error": message})

    def read_json(self, *fields):
        """The values of the named fields of the JSON object in the body, each checked."""
        content_type = self.request.headers.get("Content-Type", "")
        if content_type.split(";")[0].strip().lower() != "application/json":
            raise tornado.web.HTTPError(415, "send JSON with Content-Type: application/json")
        try:
            data = json.loads(self.request.body)
        except (ValueError, RecursionError):
            raise tornado.web.HTTPError(400, "the body is not valid JSON") from None
        if not isinstance(data, dict):
            raise tornado.web.HTTPError(400, "the body must be a JSON object")
        for field in fields:
            if field not in data:
                raise tornado.web.HTTPError(400, "missing field: %s", field)
            value = data[field]
            if not isinstance(value, str):
                raise tornado.web.HTTPError(400, "%s must be a string", field)
            if not value.strip():
                raise tornado.web.HTTPError(400, "%s must not be empty", field)
            if len(value) > LIMITS[field]:
                raise tornado.web.HTTPError(
                    400, "%s is longer than %d characters", field, LIMITS[field]
                )
            for category, kind in (("Cc", "control characters"), ("Cs", "lone surrogates")):
                if any(unicodedata.category(char) == category for char in value):
                    raise tornado.web.HTTPError(400, "%s must not contain %s", field, kind)
        return [data[field] for field in fields]


class WordListHandler(JSONHandler):
    def initialize(self, engine):
        self.engine = engine

    async def get(self):
        async with self.engine.connect() as conn:
            result = await conn.execute(text("SELECT word FROM words ORDER BY word"))
            words = result.scalars().all()
        self.write_json({"words": words})

    async def post(self):
        word, definition = self.read_json("word", "definition")
        async with self.engine.begin() as conn:
            result = await conn.execute(
                text(
                    "INSERT INTO words (word, definition) VALUES (:word, :definition)"
                    " ON CONFLICT (word) DO NOTHING"
                ),
                {"word": word, "definition": definition},
            )
        if result.rowcount == 0:
            raise tornado.web.HTTPError(409, "%s is already in the dictionary", word)
        self.set_status(201)
        self.set_header("Location", "/words/" + urllib.parse.quote(word, safe=""))
        self.write_json({"word": word, "definition": definition, "hits": 0})


class WordHandler(JSONHandler):
    def initialize(self, engine):
        self.engine = engine

    def prepare(self):
        # No word contains these (read_json sees to it), and PostgreSQL text cannot hold a NUL.
        if any(unicodedata.category(char) in ("Cc", "Cs") for char in self.path_args[0]):
            raise tornado.web.HTTPError(404, "no such word: %s", self.path_args[0])

    async def get(self, word):
        async with self.engine.begin() as conn:
            result = await conn.execute(
                text(
                    "UPDATE words SET hits = hits + 1 WHERE word = :word"
                    " RETURNING word, definition, hits"
                ),
                {"word": word},
            )
            row = result.one_or_none()
        if row is None:
            raise tornado.web.HTTPError(404, "no such word: %s", word)
        self.write_json({"word": row.word, "definition": row.definition, "hits": row.hits})

    async def put(self, word):
        (definition,) = self.read_json("definition")
        async with self.engine.begin() as conn:
            result = await conn.execute(
                text(
                    "UPDATE words SET definition = :definition WHERE word = :word"
                    " RETURNING word, definition, hits"
                ),
                {"word": word, "definition": definition},
            )
            row = result.one_or_none()
        if row is None:
            raise tornado.web.HTTPError(404, "no such word: %s", word)
        self.write_json({"word": row.word, "definition": row.definition, "hits": row.hits})


class NotFoundHandler(JSONHandler):
    def prepare(self):
        raise tornado.web.HTTPError(404, "no such resource: %s", self.request.path)


def make_app(engine):
    return tornado.web.Application(
        [
            (r"/words", WordListHandler, {"engine": engine}),
            (r"/words/([^/]+)", WordHandler, {"engine": engine}),
        ],
        default_handler_class=NotFoundHandler,
    )


async def main(port, engine):
    try:
        await create_schema(engine)
        app = make_app(engine)
        app.listen(port, address="127.0.0.1", max_body_size=MAX_BODY_SIZE)
        print(f"Listening on http://localhost:{port}/", flush=True)
        await asyncio.Event().wait()
    finally:
        await engine.dispose()


if __name__ == "__main__":
    define("port", default=8000, type=int, help="TCP port to listen on")
    define("database_url", default=DEFAULT_DATABASE, help="sqlite:///FILE or postgresql://...")
    define("seed", default=False, type=bool, help="replace all words with the samples and exit")
    try:
        tornado.options.parse_command_line()
        if not 0 < options.port < 65536:
            raise ValueError(f"port must be between 1 and 65535, not {options.port}")
        engine = create_engine(options.database_url)
    except (tornado.options.Error, ValueError) as exc:
        sys.exit(f"error: {exc}")
    try:
        if options.seed:
            asyncio.run(seed(engine))
        else:
            asyncio.run(main(options.port, engine))
    except sqlalchemy.exc.DBAPIError as exc:
        sys.exit(f"error: {exc.orig}")
    except OSError as exc:
        sys.exit(f"error: {exc}")
