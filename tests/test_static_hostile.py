"""Hostile paths to the static files of every example that has them: 4xx, never 5xx.

A 400 or 403 must also say why, in plain text; a 404 (no such file) or a 405 is Tornado's own
short page, with no reason to check. The examples are found, not listed: every module under
examples/ whose make_app() passes `static_path` to its Application, checked against the files
whose source text says `static_path=`. Tornado 6.5.9, 6.5.10, 6.6.0 and 6.6.1 answer a NUL byte
in a file name with 500 (`os.path.realpath` raises ValueError); each of these examples serves
its static files with a `StaticFiles` subclass that answers 400 and says why.
"""

import ast
import asyncio
import contextlib
import inspect
import textwrap
from pathlib import Path

import pytest
import tornado.web

from tests.support import body_limit, example_modules, example_relpath, run_example, serve_in_thread

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

NUL = "a file name cannot contain a NUL byte"
OUTSIDE = "is not in root static directory"
# (method, path, statuses allowed, words the body must contain); FILE is a file in the app's static
# folder, MODULE the example's own source file, one folder up. A POST or DELETE is refused by
# the XSRF check first (403) in the apps that turn it on, else as a method the files lack (405).
HOSTILE = [
    ("GET", "/static/x%00?v=1", (400,), NUL),
    ("GET", "/static/FILE%00", (400,), NUL),
    ("HEAD", "/static/FILE%00", (400,), ""),
    ("GET", "/static/%00", (400,), NUL),
    ("GET", "/static/FILE%00.html", (400,), NUL),
    ("GET", "/static/%ff", (400,), "Invalid unicode in url"),
    ("GET", "/static/%c0%ae%c0%ae/MODULE", (400,), "Invalid unicode in url"),  # overlong "."
    ("GET", "/static/../MODULE", (403,), OUTSIDE),
    ("GET", "/static/..%2fMODULE", (403,), OUTSIDE),
    ("GET", "/static/%2e%2e/MODULE", (403,), OUTSIDE),
    ("GET", "/static/%2e%2e%2fMODULE", (403,), OUTSIDE),
    ("GET", "/static/x/../../MODULE", (403,), OUTSIDE),
    ("GET", "/static/..%2f%3Cb%3Ebold", (403,), f"../<b>bold {OUTSIDE}"),  # as text, not HTML
    ("GET", "/static//etc/passwd", (403,), OUTSIDE),
    ("GET", "/static/%2fetc%2fpasswd", (403,), OUTSIDE),
    ("GET", "/static/..%5cMODULE", (404,), ""),  # a backslash is part of a name on POSIX
    ("GET", "/static/%5c..%5cMODULE", (404,), ""),
    ("GET", "/static/", (403,), "is not a file"),
    ("GET", "/static/.", (403,), "is not a file"),
    ("GET", "/static/" + "a" * 300, (404,), ""),
    ("GET", "/static/" + "/".join(["b" * 250] * 40), (404,), ""),  # 10 kB, over PATH_MAX
    ("GET", "/static/" + "c/" * 3000 + "FILE", (404,), ""),
    ("GET", "/static/missing.css", (404,), ""),
    ("POST", "/static/FILE", (403, 405), ""),
    ("DELETE", "/static/FILE", (403, 405), ""),
]


def serves_static_files(module):
    """Whether make_app() gives its Application a `static_path` setting."""
    make_app = getattr(module, "make_app", None)
    if make_app is None:
        return False
    tree = ast.parse(textwrap.dedent(inspect.getsource(make_app)))
    return any(
        isinstance(node, ast.keyword) and node.arg == "static_path" for node in ast.walk(tree)
    )


STATIC = [module for module in example_modules() if serves_static_files(module)]
NAMES = [module.__name__.removeprefix("examples.") for module in STATIC]


def needs_database(module):
    """make_app(engine), as in chapter 4; anything else it needs, this test must learn first."""
    params = inspect.signature(module.make_app).parameters.values()
    needs = [p.name for p in params if p.default is inspect.Parameter.empty]
    assert needs in ([], ["engine"]), f"{module.__name__}.make_app needs {needs}"
    return bool(needs)


@contextlib.asynccontextmanager
async def application(module, database_url):
    """The module's app (with an SQLite engine when it needs one), made in the running loop."""
    engine = module.create_engine(database_url) if needs_database(module) else None
    try:
        yield module.make_app(engine) if engine else module.make_app()
    finally:
        if engine:
            await engine.dispose()


def settings_of(module, tmp_path):
    async def build():
        async with application(module, f"sqlite:///{tmp_path / 'static.db'}") as app:
            return app.settings

    return asyncio.run(build())


@contextlib.contextmanager
def serve(module, mode, tmp_path):
    """The example served in-process, or run as `python examples/chNN/<name>.py`."""
    database_url = f"sqlite:///{tmp_path / 'static.db'}"
    if mode == "in-process":
        with serve_in_thread(application(module, database_url), **body_limit(module)) as srv:
            yield srv
    else:
        args = [f"--database-url={database_url}"] if needs_database(module) else []
        with run_example(example_relpath(module), *args) as srv:
            yield srv


def prefix(settings):
    """Where the app serves its static files: /static/ unless it sets static_url_prefix."""
    return settings.get("static_url_prefix", "/static/")


def a_static_file(settings):
    return sorted(p.name for p in Path(settings["static_path"]).iterdir() if p.is_file())[0]


def test_every_example_with_static_files_is_found():
    """The modules found by importing them are exactly the files that mention the setting."""
    mentioned = {
        path.relative_to(EXAMPLES).with_suffix("").as_posix().replace("/", ".")
        for path in EXAMPLES.rglob("*.py")
        if "static_path=" in path.read_text("utf-8")
    }
    assert len(mentioned) >= 9, mentioned  # the grep itself still works
    assert set(NAMES) == mentioned


@pytest.mark.parametrize("module", STATIC, ids=NAMES)
def test_hostile_static_paths_get_4xx_and_a_reason_where_tornado_has_one(module, tmp_path):
    settings = settings_of(module, tmp_path)
    with serve(module, "in-process", tmp_path) as srv:
        name = a_static_file(settings)
        wrong = []
        for method, template, statuses, words in HOSTILE:
            path = template.replace("FILE", name).replace("MODULE", Path(module.__file__).name)
            path = prefix(settings) + path.removeprefix("/static/")
            resp = srv.fetch(path, method=method)
            if resp.status not in statuses or words not in resp.body.decode("utf-8", "replace"):
                wrong.append(f"{method} {path[:80]} -> {resp.status} {resp.body[:120]!r}")
            elif words:
                # The reason may repeat the path: plain text, so nothing in it is markup.
                assert resp.headers["Content-Type"] == "text/plain; charset=UTF-8", path
        assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("module", STATIC, ids=NAMES)
def test_static_url_of_a_name_with_a_nul_byte_has_no_version(module, tmp_path, caplog):
    """static_url() only sees names the developer wrote; a NUL there is logged, not raised."""
    settings = settings_of(module, tmp_path)
    handler = settings.get("static_handler_class", tornado.web.StaticFileHandler)
    name = f"{module.__name__}\x00.css"  # a name of its own: a version is computed only once
    assert handler.make_static_url(settings, name) == f"{prefix(settings)}{name}"
    assert "Could not open static file" in caplog.text


@pytest.mark.reader
@pytest.mark.parametrize("module", STATIC, ids=NAMES)
def test_static_files_are_served_and_a_nul_byte_is_refused(module, mode, tmp_path):
    settings = settings_of(module, tmp_path)
    with serve(module, mode, tmp_path) as srv:
        name = a_static_file(settings)
        resp = srv.fetch(f"{prefix(settings)}{name}")
        assert resp.status == 200
        assert resp.body == (Path(settings["static_path"]) / name).read_bytes()
        handler = settings.get("static_handler_class", tornado.web.StaticFileHandler)
        versioned = srv.fetch(handler.make_static_url(settings, name))
        assert versioned.status == 200
        assert versioned.headers["Cache-Control"] == "max-age=315360000"
        etag = {"If-None-Match": versioned.headers["Etag"]}
        assert srv.fetch(f"{prefix(settings)}{name}", headers=etag).status == 304
        refused = srv.fetch(f"{prefix(settings)}{name}%00?v=1")
        assert refused.status == 400
        # in the app's own form of error: "400: ..." or "400 Bad Request: ..."
        assert refused.text.startswith("400") and refused.text.endswith(f": {NUL}\n")
