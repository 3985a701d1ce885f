"""Little Kettle's tea list, kept in a database and edited through HTML forms."""

import asyncio
import re
import sys
import tempfile
from pathlib import Path

import sqlalchemy
import tornado.options
import tornado.web
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from tornado.httputil import responses
from tornado.options import define, options

BASE = Path(__file__).parent
MAX_BODY_SIZE = 16 * 1024
FIELDS = ("slug", "name", "origin", "price", "notes")
LIMITS = {"name": 40, "origin": 60, "notes": 500}  # form field -> most characters allowed
SLUG = re.compile(r"[a-z0-9-]{1,40}")
PRICE = re.compile(r"[1-9][0-9]{0,3}")  # whole yuan, 1 to 9999
DEFAULT_DATABASE = f"sqlite:///{Path(tempfile.gettempdir()) / 'tornado-book-teashop.db'}"
DRIVERS = {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+asyncpg"}
# ANCHOR: schema
SCHEMA = """
CREATE TABLE IF NOT EXISTS teas (
    slug TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    origin TEXT NOT NULL,
    price INTEGER NOT NULL,
    notes TEXT NOT NULL
)"""
SAMPLES = [
    {
        "slug": "longjing",
        "name": "Longjing",
        "origin": "Hangzhou, Zhejiang",
        "price": 68,
        "notes": "Flat, pan-fired leaves that smell of roasted chestnut.",
    },
    {
        "slug": "tieguanyin",
        "name": "Tieguanyin",
        "origin": "Anxi, Fujian",
        "price": 54,
        "notes": "Tightly rolled leaves: floral at first, buttery by the third pot.",
    },
    {
        "slug": "dianhong",
        "name": "Dianhong",
        "origin": "Fengqing, Yunnan",
        "price": 42,
        "notes": "Golden tips and a malty, honeyed cup.",
    },
]
INSERT = text(
    "INSERT INTO teas (slug, name, origin, price, notes)"
    " VALUES (:slug, :name, :origin, :price, :notes) ON CONFLICT (slug) DO NOTHING"
)
# ANCHOR_END: schema


class StaticFiles(tornado.web.StaticFileHandler):
    """A NUL byte in a file name gets a 400, not the 500 of Tornado 6.5.9, 6.5.10, 6.6.0, 6.6.1."""

    def validate_absolute_path(self, root, absolute_path):
        if "\x00" in absolute_path:
            raise tornado.web.HTTPError(400, "a file name cannot contain a NUL byte")
        return super().validate_absolute_path(root, absolute_path)

    def write_error(self, status_code, **kwargs):
        # Say why, in plain text: Tornado's own reasons repeat the path that was asked for.
        _, error, _ = kwargs.get("exc_info", (None, None, None))
        if isinstance(error, tornado.web.HTTPError) and status_code < 500 and error.get_message():
            self.set_header("Content-Type", "text/plain; charset=UTF-8")
            self.finish(f"{status_code}: {error.get_message()}\n")
        else:
            super().write_error(status_code, **kwargs)


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
    """Replace every tea with the samples; close the engine in any case."""
    try:
        async with engine.begin() as conn:
            await conn.execute(text("DROP TABLE IF EXISTS teas"))  # whatever its columns were
            await conn.execute(text(SCHEMA))
            await conn.execute(INSERT, SAMPLES)
    finally:
        await engine.dispose()
    print(f"loaded {len(SAMPLES)} sample teas", flush=True)


def check(form, new):
    """A message for every field that is not acceptable, keyed by field name."""
    errors = {}
    if new and not SLUG.fullmatch(form["slug"]):
        errors["slug"] = "Use 1 to 40 lowercase letters, digits or hyphens."
    for field, limit in LIMITS.items():
        if not form[field]:
            errors[field] = f"Please fill in the {field}."
        elif len(form[field]) > limit:
            errors[field] = (
                f"Please keep the {field} to {limit} characters; this one has {len(form[field])}."
            )
    if not PRICE.fullmatch(form["price"]):
        errors["price"] = "Give the price in whole yuan, from 1 to 9999."
    return errors


class BaseHandler(tornado.web.RequestHandler):
    def initialize(self, engine):
        self.engine = engine

    async def find(self, slug):
        async with self.engine.connect() as conn:
            result = await conn.execute(
                text("SELECT slug, name, origin, price, notes FROM teas WHERE slug = :slug"),
                {"slug": slug},
            )
            tea = result.one_or_none()
        if tea is None:
            raise tornado.web.HTTPError(404, "we do not sell a tea called %s", slug)
        return tea

    def write_error(self, status_code, **kwargs):
        _, error, _ = kwargs.get("exc_info", (None, None, None))
        phrase = responses.get(status_code, "Unknown Error")
        message = "Something went wrong on our side."
        if isinstance(error, tornado.web.HTTPError) and status_code < 500:
            message = error.get_message() or phrase
        self.render("error.html", status_code=status_code, phrase=phrase, message=message)


class TeaRow(tornado.web.UIModule):
    """One tea of the list, from a database row, with the CSS that lays the row out."""

    def render(self, tea):
        return self.render_string("tea_row.html", tea=tea)

    def embedded_css(self):
        return ".teas li { display: flex; gap: 1em; } .teas .price { margin-left: auto; }"


class HomeHandler(BaseHandler):
    async def get(self):
        async with self.engine.connect() as conn:
            result = await conn.execute(
                text("SELECT slug, name, origin, price FROM teas ORDER BY name")
            )
            teas = result.all()
        self.render("teas.html", teas=teas)


class TeaHandler(BaseHandler):
    async def get(self, slug):
        self.render("tea.html", tea=await self.find(slug))


class NewTeaHandler(BaseHandler):
    def get(self):
        form = dict.fromkeys(FIELDS, "")
        self.render("tea_form.html", new=True, form=form, errors={})

    async def post(self):
        form = {field: self.get_body_argument(field, "") for field in FIELDS}
        errors = check(form, new=True)
        if not errors:
            async with self.engine.begin() as conn:
                result = await conn.execute(INSERT, {**form, "price": int(form["price"])})
            if result.rowcount == 1:
                self.redirect(f"/tea/{form['slug']}", status=303)
                return
            errors["slug"] = "There is already a tea with this slug."
        self.set_status(400)
        self.render("tea_form.html", new=True, form=form, errors=errors)


class EditTeaHandler(BaseHandler):
    async def get(self, slug):
        tea = await self.find(slug)
        form = {field: str(value) for field, value in tea._asdict().items()}
        self.render("tea_form.html", new=False, form=form, errors={})

    async def post(self, slug):
        await self.find(slug)
        form = {field: self.get_body_argument(field, "") for field in FIELDS}
        form["slug"] = slug
        errors = check(form, new=False)
        if errors:
            self.set_status(400)
            self.render("tea_form.html", new=False, form=form, errors=errors)
            return
        async with self.engine.begin() as conn:
            await conn.execute(
                text(
                    "UPDATE teas SET name = :name, origin = :origin, price = :price,"
                    " notes = :notes WHERE slug = :slug"
                ),
                {**form, "price": int(form["price"])},
            )
        self.redirect(f"/tea/{slug}", status=303)


class NotFoundHandler(BaseHandler):
    def prepare(self):
        raise tornado.web.HTTPError(404, "there is no page at %s", self.request.path)


def make_app(engine):
    return tornado.web.Application(
        [
            (r"/", HomeHandler, {"engine": engine}),
            (r"/new", NewTeaHandler, {"engine": engine}),
            (r"/tea/([a-z0-9-]{1,40})", TeaHandler, {"engine": engine}),
            (r"/tea/([a-z0-9-]{1,40})/edit", EditTeaHandler, {"engine": engine}),
        ],
        template_path=BASE / "templates",
        static_path=BASE / "static",
        static_handler_class=StaticFiles,
        ui_modules={"TeaRow": TeaRow},
        xsrf_cookies=True,
        default_handler_class=NotFoundHandler,
        default_handler_args={"engine": engine},
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
    define("seed", default=False, type=bool, help="replace all teas with the samples and exit")
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
