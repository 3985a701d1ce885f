"""Chapter 7's test helpers: the demo client, a browser that follows redirects and keeps
cookies, mini_provider served for a test, providers that answer badly, and a sign-in."""

import asyncio
import base64
import contextlib
import hashlib
import tempfile
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import tornado.web

from examples.ch07 import mini_provider
from tests.support import Server, run_example, serve_in_thread

SECRET = "test-client-secret"
CLIENT = mini_provider.DEMO_CLIENT_ID
SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
VERIFIER = "a-test-verifier-that-is-long-enough-for-rfc-7636-which-wants-43"
CHALLENGE = base64.urlsafe_b64encode(hashlib.sha256(VERIFIER.encode()).digest()).decode()[:43]


class Browser:
    """Follows redirects by hand and keeps each site's cookies, as a browser would."""

    def __init__(self, headers=None):
        self.jars = {}
        self.headers = headers or {}  # sent with every request

    def fetch(self, url, method="GET", form=None):
        parts = urlsplit(url)
        jar = self.jars.setdefault(parts.port, {})
        headers = dict(self.headers)
        if jar:
            headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in jar.items())
        body = None
        if form is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            body = urlencode(form)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        resp = Server(parts.port).fetch(path, method, body, headers)
        for header in resp.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                if not morsel.value:  # how Tornado clears a cookie
                    jar.pop(name, None)
                else:
                    jar[name] = morsel.coded_value
        return resp

    def submit(self, page_url, resp, **choices):
        """Post the page's only form with its hidden fields, plus `choices`."""
        form = resp.html.find("form")
        fields = {i["name"]: i["value"] for i in form.find_all("input", attrs={"type": "hidden"})}
        action = f"{urlsplit(page_url).scheme}://{urlsplit(page_url).netloc}{form['action']}"
        return self.fetch(action, "POST", {**fields, **choices})


def location(resp):
    return resp.headers["Location"]


def query(url):
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}


def authorize_url(srv, redirect_uri, **extra):
    params = {
        "response_type": "code",
        "client_id": CLIENT,
        "redirect_uri": redirect_uri,
        "scope": "profile",
        "state": "s1",
        "code_challenge": CHALLENGE,
        "code_challenge_method": "S256",
        **extra,
    }
    params = {key: value for key, value in params.items() if value is not None}
    return f"{srv.url}/authorize?{urlencode(params)}"


@contextlib.contextmanager
def serve_provider(mode, redirect_uri, code_seconds=mini_provider.CODE_SECONDS, **kwargs):
    """The provider with the demo client registered for redirect_uri: (server, client secret).

    In-process, `server.codes` and `server.tokens` are the provider's own stores.
    """
    if mode == "in-process":
        app = mini_provider.make_app(SECRET, redirect_uri, code_seconds=code_seconds, **kwargs)
        with serve_in_thread(app, max_body_size=mini_provider.MAX_BODY_SIZE) as srv:
            srv.tokens = app.wildcard_router.rules[0].target_kwargs["tokens"]
            srv.codes = app.wildcard_router.rules[0].target_kwargs["codes"]
            yield srv, SECRET
    else:
        with tempfile.TemporaryDirectory() as scratch:
            file = Path(scratch) / "client-secret.txt"
            args = (f"--redirect-uri={redirect_uri}", f"--client-secret-file={file}")
            with run_example("ch07/mini_provider.py", *args) as srv:
                yield srv, file.read_text(encoding="utf-8").strip()


NOBODY = "http://127.0.0.1:9"  # the discard port: nothing listens there


class NotJSON(tornado.web.RequestHandler):
    def post(self):
        self.write("<html><body>Temporarily unavailable</body></html>")


class Refuse(tornado.web.RequestHandler):
    def get(self):
        self.set_status(401)
        self.write({"error": "invalid_token"})


class Nameless(tornado.web.RequestHandler):
    def get(self):
        self.write({"sub": "42"})


class Anonymous(tornado.web.RequestHandler):
    def get(self):
        self.write({"name": "Mei Lin"})


class Down(tornado.web.RequestHandler):
    def get(self):
        self.set_status(503)
        self.write({"error": "temporarily_unavailable"})


class OddError(tornado.web.RequestHandler):
    def post(self):
        self.set_status(400)
        self.write({"error": []})


class EmptySubject(tornado.web.RequestHandler):
    def get(self):
        self.write({"sub": "", "name": "Nobody"})


class ObjectSubject(tornado.web.RequestHandler):
    def get(self):
        self.write({"sub": {"k": "v"}, "name": "Somebody"})


class Slow(tornado.web.RequestHandler):
    async def post(self):
        await asyncio.sleep(3)


DEEP = "[" * 100_000 + "]" * 100_000  # valid JSON, too deep for Python's parser


class Deep(tornado.web.RequestHandler):
    def get(self):
        self.write(DEEP)

    post = get


BAD_TOKENS = {
    "crlf": {"access_token": "tok\r\nX-Evil: 1", "token_type": "Bearer"},
    "unicode": {"access_token": "tök中", "token_type": "Bearer"},
    "huge": {"access_token": "a" * 4097, "token_type": "Bearer"},
    "mac": {"access_token": "tok", "token_type": "mac"},
    "untyped": {"access_token": "tok"},
}


class BadToken(tornado.web.RequestHandler):
    def post(self, kind):
        self.write(BAD_TOKENS[kind])


class Sink(tornado.web.RequestHandler):
    """Another origin, recording every request that reaches it."""

    received = []

    def post(self):
        self.received.append(self.request.body)
        self.write({"access_token": "stolen", "token_type": "Bearer"})


class Elsewhere(tornado.web.RequestHandler):
    def post(self, target):
        port = self.request.host.rpartition(":")[2]
        targets = {
            "ftp": ("ftp://example.com/x", 302),
            "file": ("file:///etc/passwd", 302),
            "sink": (f"http://localhost:{port}/sink", 307),  # localhost, not 127.0.0.1
        }
        url, status = targets[target]
        self.redirect(url, status=status)

    get = post


class RefuseTogether(tornado.web.RequestHandler):
    """401 for a token, but only once a second request is waiting too: a deterministic race."""

    waiting = []

    async def get(self):
        future = asyncio.get_running_loop().create_future()
        self.waiting.append(future)
        if len(self.waiting) == 2:
            for waiting in self.waiting:
                waiting.set_result(None)
            self.waiting.clear()
        await future
        self.set_status(401)
        self.write({"error": "invalid_token"})


class LongSubject(tornado.web.RequestHandler):
    def get(self):
        self.write({"sub": "x" * 20_000, "name": "Mei Lin"})


BROKEN_ROUTES = [  # a provider that answers, but not the way OAuth 2 says it should
    (r"/token", NotJSON),
    (r"/refuse", Refuse),
    (r"/nameless", Nameless),
    (r"/anonymous", Anonymous),
    (r"/down", Down),
    (r"/odd-error", OddError),
    (r"/empty-subject", EmptySubject),
    (r"/object-subject", ObjectSubject),
    (r"/slow", Slow),
    (r"/deep", Deep),
    (r"/bad-token/(\w+)", BadToken),
    (r"/sink", Sink),
    (r"/elsewhere/(\w+)", Elsewhere),
    (r"/refuse-together", RefuseTogether),
    (r"/long-subject", LongSubject),
]


@contextlib.contextmanager
def broken_provider(routes=BROKEN_ROUTES):
    """A provider serving `routes` on a free port; yields its base URL."""
    with serve_in_thread(tornado.web.Application(routes)) as srv:
        yield f"http://127.0.0.1:{srv.port}"


def sign_in(browser, site, user="mei", decision="allow"):
    """Start page → the provider's consent page → a choice → the callback: its response."""
    start = browser.fetch(f"{site.url}/auth/login")
    assert start.status == 302
    consent = location(start)
    choice = browser.submit(consent, browser.fetch(consent), user=user, decision=decision)
    assert choice.status == 303
    return browser.fetch(location(choice))


def message(resp):
    return resp.html.find(id="message").text
