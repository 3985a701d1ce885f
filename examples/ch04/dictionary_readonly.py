"""A read-only dictionary of web terms: JSON answers from a SQL database."""

import asyncio
import json
import sys
import tempfile
import unicodedata
from pathlib import Path

import sqlalchemy
import tornado.options
import tornado.web
from sqlalchemy import Date, text
from sqlalchemy.ext.asyncio import create_async_engine
from tornado.httputil import responses
from tornado.options import define, options

DEFAULT_DATABASE = f"sqlite:///{Path(tempfile.gettempdir()) / 'tornado-book-dictionary.db'}"
DRIVERS = {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+asyncpg"}
URL_FORMS = "sqlite:///FILE or postgresql://USER@HOST:PORT/NAME"
SCHEMA = """CREATE TABLE IF NOT EXISTS words (
    word TEXT PRIMARY KEY,
    definition TEXT NOT NULL,
    added DATE NOT NULL DEFAULT CURRENT_DATE
)"""
SAMPLES = {
    "bandwidth": "How many bits a link can carry each second.",
    "cookie": "A short text a server hands to the browser, which sends it back on later visits.",
    "dns": "The directory that turns a host name such as 例子.测试 into an IP address.",
    "latency": "The time one message needs to get from sender to receiver.",
    "port": "A number from 1 to 65535 that picks one program among those listening on a host.",
    "proxy": "A server that passes requests on for someone else and hands back the answers.",
    "tls": "The layer that encrypts and authenticates a connection; HTTP over TLS is HTTPS.",
    "websocket": "A connection that begins as an HTTP request and then stays open both ways.",
}
ESCAPES = str.maketrans({char: f"\\u{ord(char):04x}" for char in "<>&\u2028\u2029"})
# SQLite has no date type and keeps dates as text: tell SQLAlchemy which column holds dates.
LOOKUP = text("SELECT word, definition, added FROM words WHERE word = :word").columns(added=Date)


def create_engine(url):
    try:
        parsed = sqlalchemy.make_url(url)
        driver = DRIVERS[parsed.drivername]
    except (sqlalchemy.exc.ArgumentError, KeyError):
        raise ValueError(f"database URL must look like {URL_FORMS}") from None
    parsed = parsed.set(drivername=driver)
    if driver == "sqlite+aiosqlite":
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
    try:
        async with engine.begin() as conn:
            await conn.execute(text("DROP TABLE IF EXISTS words"))  # whatever its columns were
            await conn.execute(text(SCHEMA))
            await conn.execute(
                text("INSERT INTO words VALUES (:word, :definition, '2026-11-02')"),
                [{"word": word, "definition": meaning} for word, meaning in SAMPLES.items()],
            )
    finally:
        await engine.dispose()
    print(f"loaded {len(SAMPLES)} sample words", flush=True)


class JSONHandler(tornado.web.RequestHandler):
    def initialize(self, engine):
        self.engine = engine

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


class WordListHandler(JSONHandler):
    async def get(self):
        async with self.engine.connect() as conn:
            result = await conn.execute(text("SELECT word FROM words ORDER BY word"))
            words = result.scalars().all()
        self.write_json({"words": words})


class WordHandler(JSONHandler):
    async def get(self, word):
        row = None  # a word with a control character is in no dictionary (PostgreSQL: no NUL)
        if not any(unicodedata.category(char) in ("Cc", "Cs") for char in word):
            async with self.engine.connect() as conn:
                row = (await conn.execute(LOOKUP, {"word": word})).one_or_none()
        if row is None:
            raise tornado.web.HTTPError(404, "no such word: %s", word)
        self.write_json(row._asdict())


class NotFoundHandler(JSONHandler):
    def prepare(self):
        raise tornado.web.HTTPError(404, "no such resource: %s", self.request.path)


def make_app(engine):
    args = {"engine": engine}
    return tornado.web.Application(
        [(r"/words", WordListHandler, args), (r"/words/([^/]+)", WordHandler, args)],
        default_handler_class=NotFoundHandler,
        default_handler_args=args,
    )


async def main(port, engine):
    try:
        await create_schema(engine)
        make_app(engine).listen(port, address="127.0.0.1")
        print(f"Listening on http://localhost:{port}/", flush=True)
        await asyncio.Event().wait()
    finally:
        await engine.dispose()


if __name__ == "__main__":
    define("port", default=8000, type=int, help="TCP port to listen on")
    define("database_url", default=DEFAULT_DATABASE, help=URL_FORMS)
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
    except (sqlalchemy.exc.DBAPIError, OSError) as exc:  # the driver's own message, if any
        sys.exit(f"error: {getattr(exc, 'orig', exc)}")
