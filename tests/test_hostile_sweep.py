"""Every route of every example, sent hostile input: never a 500, never an uncaught exception.

The book's rule is that bad input gets a 4xx with a message. The tests of each example check the
messages; this sweep checks the rule itself, everywhere at once, so that a new route or a new
example cannot slip past it. The examples are found, not listed: every module under examples/
with a make_app(). Each route's pattern is filled with ordinary and hostile path values; each
argument name the module or its templates mention is sent with hostile values in the query and
in the body (with a valid XSRF token and a same-origin header, so that the checks behind XSRF are
reached too); every method is tried once; and a few hostile bodies and headers are sent as well.
The examples that call another service (CALLS_OUT) are swept twice: with that service refusing
connections, then with it sending every kind of garbage in GARBAGE; only they may answer 502,
503 or 504. 500 (Tornado's answer to an uncaught exception) is never an answer. Every request
gets its answer within ANSWER_WITHIN seconds, except on the routes that wait by design (HOLDS),
which are given HELD seconds. Only in-process: what is checked here is handler logic, not how
the program is started.
"""

import concurrent.futures
import contextlib
import http.client
import inspect
import logging
import re
import urllib.parse
from pathlib import Path

import pytest

from tests.ch04_support import app_with_engine, postgresql_database
from tests.ch08_support import live_app, redis_server
from tests.support import RawServer, example_modules, free_port, serve_in_thread

# Query and body values, already percent-encoded as a client would send them.
VALUES = [
    "",
    "%20",
    "0",
    "-1",
    "1.5",
    "1e309",
    "9" * 40,
    "true",
    "null",
    "%5B%5D",
    "%7B%7D",
    "%00",
    "%ff",
    "%c0%ae",
    "%0d%0aX-Injected:%201",
    "%3Cscript%3Ealert(1)%3C%2Fscript%3E",
    "..%2F..%2Fetc%2Fpasswd",
    "%e2%80%ae",
    "a" * 5000,
]
# The few that each argument also gets alone, the others set to an ordinary value.
SHARP = ["", "%00", "%ff", "-1", "9" * 40]
PATH_VALUES = ["x", "0", "-1", "9" * 40, "%00", "%ff", "%2e%2e", "%3Cb%3E", "a" * 300]
METHODS = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "PROPFIND"]
BODIES = [  # (content type, body)
    ("application/x-www-form-urlencoded", b"\xff\xfe=\x00"),
    ("application/json", b"{not json"),
    ("application/json", b"[1, 2, 3]"),
    ("application/json", b'{"a": "\\ud800"}'),
    ("multipart/form-data; boundary=x", b"--x\r\nContent-Disposition: form-data\r\n\r\n--x--"),
    ("multipart/form-data", b"no boundary"),
    ("text/plain; charset=latin-1", "caf\xe9".encode("latin-1")),
]
HEADERS = [
    {"Cookie": 'a=%ff; b="unterminated; _xsrf=2|zz|zz|zz'},
    {"Cookie": "session=2|1:0|10:1700000000|7:session|4:e30=|" + "0" * 64},
    {"Cookie": "__Host-session=x; user=x; visits=x; oauth_state=x; __Host-oauth_state=x"},
    {"X-XSRFToken": "2|00|zz|1", "Origin": "null"},
    {"Origin": "http://evil.example", "Sec-Fetch-Site": "cross-site"},
    {"Last-Event-ID": "-1%00\xff".encode("latin-1").decode("latin-1")},
    {"Accept-Language": "zz;q=abc, *;q=-1", "If-None-Match": '"\\"', "Range": "bytes=9-1"},
    {"X-Real-IP": "not an address", "X-Forwarded-For": "::1, 999.1.1.1", "X-Scheme": "gopher"},
    {"Authorization": "Bearer \u00e9".encode().decode("latin-1")},
]
# Routes that wait by design, for an event or for as long as they are asked to: a request to
# them that is still open after HELD seconds is left unanswered. Bad input is refused before any
# waiting starts, so every other answer (and every 500) comes sooner.
HOLDS = {
    ("ch05.waiting_room", "/wait"),
    ("ch08.live", "/next"),
    ("ch08.whoami", "/work"),
}
HELD = 0.25
ANSWER_WITHIN = 15
# The examples that call another service, and so may answer 502, 503 or 504 when it fails.
CALLS_OUT = {
    "ch05.forecast",
    "ch05.forecast_blocking",
    "ch05.trip_board",
    "porting.departures",
    "ch07.oauth_login",
    "ch07.google_login",
    "ch09.club",
    "ch11.caller",
}
DEPENDENCY_DOWN = {502, 503, 504}
# What the called service sends in the second sweep: one kind after another, for every request.
_NESTED = b"[" * 100_000 + b"]" * 100_000
_ODD = (
    b'{"station": "\\ud800", "trains": [["07:00", "G1", "\\ud800"]], "late": {"G1": true},'
    b' "city": "\\ud800", "sky": "\\ud800", "temp_c": 1e999, "access_token": "a\\r\\nb",'
    b' "token_type": "bearer", "sub": "", "id": "", "name": "\\ud800", "error": []}'
)
GARBAGE = {
    "nothing": b"",
    "not HTTP": b"HELLO THERE\r\n\r\n",
    "body cut short": b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{",
    "not JSON": b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
    "JSON null": b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nnull",
    "deeply nested": b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(_NESTED), _NESTED),
    "odd values": b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(_ODD), _ODD),
    "huge header": b"HTTP/1.1 200 OK\r\nX-Big: " + b"x" * 70_000 + b"\r\n\r\n",
    "redirect to ftp": b"HTTP/1.1 302 Found\r\nLocation: ftp://127.0.0.1/x\r\n\r\n",
    "bad chunking": b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    "418 with a body": b"HTTP/1.1 418 Teapot\r\nContent-Length: 2\r\n\r\n{}",
}
SAME_ORIGIN = {"Sec-Fetch-Site": "same-origin"}
ARGUMENT = re.compile(r"""get_(?:query_|body_)?arguments?\(\s*["']([A-Za-z_]\w*)["']""")
FIELD = re.compile(r"""\bname=["']([A-Za-z_]\w*)["']""")


def needs_of(module):
    params = inspect.signature(module.make_app).parameters
    return {name for name, p in params.items() if p.default is inspect.Parameter.empty}, params


@contextlib.asynccontextmanager
async def plain(app):
    yield app


@contextlib.asynccontextmanager
async def club_app(module, url, upstream):
    """ch09's make_app(engine, upstream=...), its engine living in the loop that serves it."""
    engine = module.create_engine(url)
    try:
        await module.create_schema(engine)
        yield module.make_app(engine, upstream=upstream)
    finally:
        await engine.dispose()


@contextlib.contextmanager
def application(module, tmp_path, service, monkeypatch, database_url=None):
    """The example's Application as its tests build it; what it calls is at `service`.

    An example whose make_app needs only an engine uses `database_url` (SQLite if None).
    """
    needs, params = needs_of(module)
    name = module.__name__.removeprefix("examples.")
    kwargs = {}
    if "upstream" in params:
        kwargs["upstream"] = service
    if "poll_timeout" in params:
        kwargs["poll_timeout"] = 0.05
    if "heartbeat" in params:
        kwargs["heartbeat"] = 0.05
    if "delay" in params:
        kwargs["delay"] = 0
    if "upload_dir" in params:
        kwargs["upload_dir"] = tmp_path / "uploads"
    if name == "ch09.club":
        yield club_app(module, f"sqlite:///{tmp_path / 'sweep.db'}", service)
    elif needs == {"engine"}:
        yield app_with_engine(module, database_url or f"sqlite:///{tmp_path / 'sweep.db'}")
    elif needs == {"hub"}:
        port = free_port()
        with redis_server(port, tmp_path):
            yield live_app(f"redis://127.0.0.1:{port}/0")
    elif name == "ch07.google_login":
        for setting, path in [
            ("_OAUTH_ACCESS_TOKEN_URL", "/token"),
            ("_OAUTH_USERINFO_URL", "/userinfo"),
        ]:
            monkeypatch.setattr(module.GoogleHandler, setting, service + path)
        yield plain(module.make_app({"key": "client", "secret": "secret"}))
    elif name == "ch07.oauth_login":
        oauth = {
            "name": "Mini ID",
            "scope": "profile",
            "client_id": "client",
            "client_secret": "secret",
            "authorize_url": f"{service}/authorize",
            "token_url": f"{service}/token",
            "userinfo_url": f"{service}/userinfo",
            "redirect_uri": "http://localhost:8000/auth/callback",
        }
        assert set(oauth) >= set(module.SETTINGS)
        yield plain(module.make_app(oauth))
    elif name == "ch07.mini_provider":
        yield plain(module.make_app("secret", "http://localhost:8000/auth/callback"))
    elif needs == {"pool"}:  # ch10's CPU-bound work: threads do, the handler is what is swept
        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            yield plain(module.make_app(pool))
    else:
        assert not needs, f"{name}.make_app needs {sorted(needs)}: teach this sweep to build it"
        yield plain(module.make_app(**kwargs))


MODULES = [m for m in example_modules() if hasattr(m, "make_app")]
NAMES = [m.__name__.removeprefix("examples.") for m in MODULES]


def argument_names(module, settings):
    """Names the handlers read, and the form fields of the module's templates."""
    names = set(ARGUMENT.findall(inspect.getsource(module)))
    templates = settings.get("template_path")
    if templates:
        for page in Path(templates).glob("*.html"):
            names |= set(FIELD.findall(page.read_text(encoding="utf-8")))
    names.discard("_xsrf")
    return sorted(names)


def paths(app):
    """Concrete paths for every route: each capture group filled with ordinary and odd values."""
    found = set()
    for rule in app.wildcard_router.rules:
        matcher = rule.matcher
        groups = getattr(matcher, "_group_count", 0) if hasattr(matcher, "reverse") else 0
        if not groups:
            path = matcher.reverse() if hasattr(matcher, "reverse") else None
            found.add(path or "/")
            continue
        for value in PATH_VALUES:
            template = matcher.reverse(*["ZZZ"] * groups)
            if template is not None:
                found.add(template.replace("ZZZ", value))
    return sorted(found)


class Client:
    """One keep-alive connection that notes every answer that breaks the rule; streams unread."""

    def __init__(self, port, name):
        self.port = port
        self.name = name
        self.conn = None
        self.timeout = None
        self.failures = []
        self.sent = 0
        self.held = 0
        self.context = ""

    def send(self, method, path, body=None, headers=None):
        self.sent += 1
        route = path.split("?", 1)[0]
        timeout = HELD if (self.name, route) in HOLDS else ANSWER_WITHIN
        if self.conn is None or self.timeout != timeout:
            self.close()
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
            self.timeout = timeout
        try:
            self.conn.request(method, path, body=body, headers={**SAME_ORIGIN, **(headers or {})})
            resp = self.conn.getresponse()
            if resp.getheader("Content-Type", "").startswith("text/event-stream"):
                data = b""
                self.close()
            else:
                data = resp.read()
        except TimeoutError:
            self.close()
            if timeout == HELD:
                self.held += 1
                return None  # waiting, as this route does by design
            self.failures.append(f"{method} {path[:100]} -> no answer in {timeout} s{self.context}")
            return None
        except (http.client.HTTPException, ConnectionError):
            self.close()  # the server may close a connection after a 4xx it cannot recover from
            return None
        if resp.getheader("Connection", "").lower() == "close" or resp.will_close:
            self.close()
        allowed = DEPENDENCY_DOWN if self.name in CALLS_OUT else set()
        if resp.status >= 500 and resp.status not in allowed:
            self.failures.append(
                f"{method} {path[:100]} -> {resp.status} {data[:150]!r}{self.context}"
            )
        return resp

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def xsrf_token(client, path_list):
    """The value of an XSRF cookie the app hands out, which also serves as the form token."""
    for path in path_list:
        resp = client.send("GET", path)
        if resp is None:
            continue
        for header in resp.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            if "xsrf" in name.lower():
                return name, rest.split(";", 1)[0]
    return None


def sweep(client, app, module):
    path_list = paths(app)
    names = argument_names(module, app.settings)
    token = xsrf_token(client, path_list)
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    extra = ""
    if token:
        form["Cookie"] = f"{token[0]}={token[1]}"
        form["X-XSRFToken"] = urllib.parse.unquote(token[1])
        extra = "&_xsrf=" + token[1]
    for path in path_list:
        for method in METHODS:
            client.send(method, path, headers=form)
        for headers in HEADERS:
            client.send("GET", path, headers=headers)
            client.send("POST", path, body=b"", headers={**form, **headers})
        for content_type, body in BODIES:
            client.send("POST", path, body=body, headers={**form, "Content-Type": content_type})
        queries = ["&".join(f"{name}={value}" for name in names) for value in VALUES] + [
            "&".join(f"{n}={value if n == name else '1'}" for n in names)
            for name in names
            for value in SHARP
        ]
        for query in dict.fromkeys(queries):  # unique, in order
            if not query:
                continue
            client.send("GET", f"{path}?{query}")
            client.send("POST", path, body=(query + extra).encode(), headers=form)
        client.send("GET", f"{path}?{names[0] if names else 'x'}=1&{names[0] if names else 'x'}=2")


@contextlib.asynccontextmanager
async def keeping(cm, into):
    """Enter `cm` and keep what it yields: the routes are read from the app being served."""
    async with cm as app:
        into.append(app)
        yield app


def sweep_garbage(client, app, module, broken):
    """The ordinary requests that make the example call its service, once per kind of garbage."""
    names = argument_names(module, app.settings)
    query = "&".join(f"{name}=beijing" for name in names)
    for kind, answer in GARBAGE.items():
        broken.answer = answer
        client.context = f" (the service sent {kind})"
        for path in paths(app):
            client.send("GET", path)
            if query:
                client.send("GET", f"{path}?{query}")


def test_every_example_that_calls_out_is_listed():
    upstream = {n for m, n in zip(MODULES, NAMES, strict=True) if "upstream" in needs_of(m)[1]}
    assert upstream <= CALLS_OUT
    assert {"ch05.forecast", "porting.departures"} <= upstream
    assert {name for name, _ in HOLDS} <= set(NAMES)


# Examples whose make_app takes only an engine are swept once more on PostgreSQL (a NUL, for
# one, is a 500 there but not on SQLite), on the session's throwaway server (conftest).
DATABASES = [pytest.param(m, "sqlite", id=n) for m, n in zip(MODULES, NAMES, strict=True)] + [
    pytest.param(m, "postgresql", id=f"{n}-postgresql")
    for m, n in zip(MODULES, NAMES, strict=True)
    if needs_of(m)[0] == {"engine"}
]


@pytest.mark.parametrize(("module", "database"), DATABASES)
def test_no_hostile_request_gets_a_500(module, database, tmp_path, caplog, monkeypatch, request):
    name = module.__name__.removeprefix("examples.")
    database_url = None
    if database == "postgresql":
        server_url = request.getfixturevalue("postgresql_url")
        stack = contextlib.ExitStack()
        request.addfinalizer(stack.close)
        database_url = stack.enter_context(postgresql_database(server_url))
    caplog.set_level(logging.ERROR)
    refused = f"http://127.0.0.1:{free_port()}"
    failures, sent = [], 0
    with RawServer() as broken:
        garbage = "upstream" in needs_of(module)[1]
        for service in [refused, broken.url] if garbage else [refused]:
            served = []
            with (
                application(module, tmp_path, service, monkeypatch, database_url) as app_cm,
                serve_in_thread(keeping(app_cm, served)) as srv,
            ):
                client = Client(srv.port, name)
                try:
                    if service == refused:
                        sweep(client, served[0], module)
                    else:
                        sweep_garbage(client, served[0], module, broken)
                finally:
                    client.close()
            failures += client.failures
            sent += client.sent
    uncaught = [
        record.getMessage()
        for record in caplog.records
        if record.exc_info and record.name.startswith(("tornado", "asyncio"))
    ]
    assert not failures, "\n".join(failures)
    assert not uncaught, "\n".join(uncaught)
    assert sent > 20
    if garbage:
        assert broken.accepted >= len(GARBAGE), "the example never called its service"
