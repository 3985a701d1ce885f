import contextlib
import logging
import os
from http.cookies import SimpleCookie
from urllib.parse import urlencode

import pytest
import tornado.web

from examples.ch07 import google_login, mini_provider
from tests import ch07_support as ch07
from tests.support import run_example, run_program, serve_in_thread

EXAMPLE = google_login
GOOGLE = {"key": "1234-test.apps.googleusercontent.com", "secret": "test-google-secret"}


class TokenError(tornado.web.RequestHandler):
    def post(self, error):
        self.set_status(400)
        self.write({"error": error.replace("_NL_", "\n")})


class Refused(tornado.web.RequestHandler):
    def get(self):
        self.set_status(400)
        self.write({"error": "invalid_request"})


class HangUp(tornado.web.RequestHandler):
    def get(self):
        self.request.connection.stream.close()  # no answer at all


class Odd(tornado.web.RequestHandler):
    def get(self, kind):
        users = {"long": {"id": "1" * 256, "name": "Mei"}, "blank": {"id": "7", "name": "  "}}
        self.write(users[kind])


class BadToken(tornado.web.RequestHandler):
    def post(self):
        self.write({"access_token": "tok", "token_type": "mac"})


@pytest.fixture(scope="module")
def broken():
    with ch07.broken_provider() as url:
        yield url


@pytest.fixture(scope="module")
def google_broken():
    """More ways for Google's endpoints to go wrong."""
    routes = [
        (r"/token-error/(\w+)", TokenError),
        (r"/refused", Refused),
        (r"/hang-up", HangUp),
        (r"/odd/(\w+)", Odd),
        (r"/mac-token", BadToken),
    ]
    with ch07.broken_provider(routes) as url:
        yield url


@contextlib.contextmanager
def local_google(
    monkeypatch, secret=ch07.SECRET, code_seconds=60, users=mini_provider.DEMO_USERS, **urls
):
    """google_login, its mixin's class attributes pointed at mini_provider: (site, provider)."""
    app = google_login.make_app({"key": ch07.CLIENT, "secret": secret})
    listen = {"max_body_size": google_login.MAX_BODY_SIZE, "xheaders": True}
    with serve_in_thread(app, **listen) as site:
        app.settings["redirect_uri"] = f"{site.url}/auth/callback"
        with ch07.serve_provider(
            "in-process", app.settings["redirect_uri"], code_seconds, users=users
        ) as (
            provider,
            _,
        ):
            base = f"http://localhost:{provider.port}"
            defaults = {
                "_OAUTH_AUTHORIZE_URL": f"{base}/authorize",
                "_OAUTH_ACCESS_TOKEN_URL": f"{base}/token",
                "_OAUTH_USERINFO_URL": f"{base}/userinfo",
            }
            for name, url in {**defaults, **urls}.items():
                monkeypatch.setattr(google_login.GoogleHandler, name, url)
            yield site, provider


def test_the_mixin_signs_in_against_a_local_provider(monkeypatch):
    with local_google(monkeypatch) as (site, _):
        browser = ch07.Browser()
        link = browser.fetch(site.url + "/").html.find(id="sign-in")
        assert link.text == "Sign in with Google"
        resp = ch07.sign_in(browser, site, user="mallory")
        assert (resp.status, ch07.location(resp)) == (302, "/")
        page = browser.fetch(site.url + "/").html
        assert page.find(id="user").text == '<script>alert("hi")</script> Mallory'
        assert page.find("script") is None
        assert page.find(id="profile") is None
        form = page.find("form")
        token = form.find("input", attrs={"name": "_xsrf"})["value"]
        assert browser.fetch(site.url + form["action"], "POST", {"_xsrf": token}).status == 303
        assert "session" not in browser.jars[site.port]


@pytest.mark.parametrize(
    ("setup", "status", "expected"),
    [
        ({"code_seconds": -1}, 400, google_login.EXPIRED),
        ({"secret": "wrong"}, 502, "Google could not sign you in (invalid_client)."),
        ({"_OAUTH_ACCESS_TOKEN_URL": f"{ch07.NOBODY}/token"}, 503, "Google cannot be reached."),
        ({"_OAUTH_USERINFO_URL": f"{ch07.NOBODY}/userinfo"}, 503, "Google cannot be reached."),
        ({"_OAUTH_USERINFO_URL": "MORE/hang-up"}, 503, "Google cannot be reached."),
        ({"_OAUTH_ACCESS_TOKEN_URL": "BROKEN/deep"}, 502, "Google sent an answer"),
        ({"_OAUTH_USERINFO_URL": "BROKEN/deep"}, 502, "Google sent an answer"),
        ({"_OAUTH_ACCESS_TOKEN_URL": "MORE/mac-token"}, 502, "Google sent an answer"),
        ({"_OAUTH_ACCESS_TOKEN_URL": "BROKEN/bad-token/crlf"}, 502, "Google sent an answer"),
        (
            {"_OAUTH_ACCESS_TOKEN_URL": "BROKEN/odd-error"},
            502,
            "Google could not sign you in (400).",
        ),
        (
            {"_OAUTH_ACCESS_TOKEN_URL": "MORE/token-error/redirect_uri_mismatch"},
            502,
            "Google could not sign you in (redirect_uri_mismatch).",
        ),
        (
            {"_OAUTH_ACCESS_TOKEN_URL": "MORE/token-error/x_NL_FORGED"},
            502,
            "Google could not sign you in (x?FORGED).",
        ),
        ({"_OAUTH_USERINFO_URL": "MORE/refused"}, 502, "Google could not sign you in (400)."),
        (
            {"_OAUTH_ACCESS_TOKEN_URL": "BROKEN/elsewhere/ftp"},
            502,
            "Google could not sign you in (302).",
        ),
        ({"_OAUTH_USERINFO_URL": "MORE/odd/long"}, 502, "Google sent an answer"),
        ({"_OAUTH_USERINFO_URL": "MORE/odd/blank"}, 502, "Google sent an answer"),
        ({"_OAUTH_ACCESS_TOKEN_URL": "BROKEN/token"}, 502, "Google sent an answer"),
        ({"_OAUTH_USERINFO_URL": "BROKEN/refuse"}, 502, "Google could not sign you in (401)."),
        ({"_OAUTH_USERINFO_URL": "BROKEN/nameless"}, 502, "Google sent an answer"),
        ({"_OAUTH_USERINFO_URL": "BROKEN/anonymous"}, 502, "Google sent an answer"),
    ],
)
def test_failures_are_clear_pages(monkeypatch, broken, google_broken, setup, status, expected):
    setup = {
        k: v.replace("BROKEN", broken).replace("MORE", google_broken) if isinstance(v, str) else v
        for k, v in setup.items()
    }
    with local_google(monkeypatch, **setup) as (site, _):
        browser = ch07.Browser()
        resp = ch07.sign_in(browser, site)
        assert resp.status == status
        assert ch07.message(resp).startswith(expected)
        assert "session" not in browser.jars[site.port]


def test_a_provider_that_does_not_answer_in_time_is_503(monkeypatch, broken):
    monkeypatch.setattr(google_login, "TIMEOUTS", {"connect_timeout": 1, "request_timeout": 0.2})
    with local_google(monkeypatch, _OAUTH_ACCESS_TOKEN_URL=f"{broken}/slow") as (site, _):
        resp = ch07.sign_in(ch07.Browser(), site)
    assert (resp.status, ch07.message(resp)) == (503, "Google cannot be reached.")


def test_people_with_the_same_name_are_different_people(monkeypatch):
    twins = {
        "101": {"name": "Mei Lin", "email": "mei@example.com"},
        "202": {"name": "Mei Lin", "email": "mei.lin@example.org"},
    }
    with local_google(monkeypatch, users=twins) as (site, _):
        accounts = set()
        for subject in twins:
            browser = ch07.Browser()
            ch07.sign_in(browser, site, user=subject)
            page = browser.fetch(site.url + "/").html
            assert page.find(id="user").text == "Mei Lin"
            accounts.add(page.find(id="account").text)
    assert accounts == {"Google account 101", "Google account 202"}


def test_on_https_the_state_cookie_is_host_only(monkeypatch):
    with local_google(monkeypatch) as (site, _):
        browser = ch07.Browser({"X-Forwarded-Proto": "https"})
        start = browser.fetch(f"{site.url}/auth/login")
        cookie = SimpleCookie(start.headers["Set-Cookie"])["__Host-oauth_state"]
        assert (cookie["secure"], cookie["path"], cookie["domain"]) == (True, "/", "")
        consent = ch07.location(start)
        choice = browser.submit(consent, browser.fetch(consent), user="ravi", decision="allow")
        assert browser.fetch(ch07.location(choice)).status == 302
        assert list(browser.jars[site.port]) == ["__Host-session"]
        tossed = ch07.Browser({"X-Forwarded-Proto": "https"})
        tossed.jars[site.port] = {"session": browser.jars[site.port]["__Host-session"]}
        assert tossed.fetch(site.url + "/").html.find(id="sign-in") is not None


def test_denied_forged_and_empty_callbacks(monkeypatch):
    with local_google(monkeypatch) as (site, _):
        browser = ch07.Browser()
        resp = ch07.sign_in(browser, site, decision="deny")
        assert (resp.status, ch07.message(resp)) == (
            403,
            "Google did not sign you in: you are not signed in.",
        )
        resp = browser.fetch(f"{site.url}/auth/callback?code=abc&state=abc")
        assert (resp.status, ch07.message(resp)) == (
            403,
            "This sign-in did not start here, or took too long.",
        )
        state = ch07.query(ch07.location(browser.fetch(f"{site.url}/auth/login")))["state"]
        resp = browser.fetch(f"{site.url}/auth/callback?{urlencode({'state': state})}")
        assert (resp.status, ch07.message(resp)) == (400, "Google sent no usable code.")
        state = ch07.query(ch07.location(browser.fetch(f"{site.url}/auth/login")))["state"]
        error = {"state": state, "error": "server_error\n[E] FORGED"}
        resp = browser.fetch(f"{site.url}/auth/callback?{urlencode(error)}")
        assert (resp.status, ch07.message(resp)) == (
            502,
            "Google reported an error (server_error?[E] FORGED).",
        )
        resp = browser.fetch(f"{site.url}/auth/logout")
        assert (resp.status, ch07.message(resp)) == (405, "Method Not Allowed")


@pytest.fixture
def google(mode, monkeypatch):
    """The program as a reader starts it, with made-up credentials: it only redirects to Google."""
    if mode == "in-process":
        with serve_in_thread(google_login.make_app(GOOGLE)) as srv:
            yield srv
    else:
        monkeypatch.setenv("GOOGLE_CLIENT_ID", GOOGLE["key"])
        monkeypatch.setenv("GOOGLE_CLIENT_SECRET", GOOGLE["secret"])
        with run_example("ch07/google_login.py") as srv:
            yield srv


@pytest.mark.reader
def test_sign_in_starts_at_google(google):
    resp = ch07.Browser().fetch(google.url + "/auth/login")
    assert resp.status == 302
    assert ch07.location(resp).startswith("https://accounts.google.com/o/oauth2/v2/auth?")
    params = ch07.query(ch07.location(resp))
    assert params["client_id"] == GOOGLE["key"]
    assert params["redirect_uri"] == "http://localhost:8000/auth/callback"
    assert params["scope"] == "openid profile email"
    assert params["response_type"] == "code" and params["prompt"] == "select_account"
    assert params["code_challenge_method"] == "S256" and len(params["code_challenge"]) == 43
    assert len(params["state"]) == 32


def test_missing_credentials_are_a_one_line_error():
    env = {k: v for k, v in os.environ.items() if not k.startswith("GOOGLE_CLIENT_")}
    done = run_program("ch07/google_login.py", env=env, timeout=30)
    assert done.returncode == 1
    assert (
        done.stderr == "error: set GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET in the environment\n"
    )


def test_the_client_secret_does_not_follow_a_redirect(monkeypatch, broken):
    ch07.Sink.received.clear()
    with local_google(monkeypatch, _OAUTH_ACCESS_TOKEN_URL=f"{broken}/elsewhere/sink") as (site, _):
        resp = ch07.sign_in(ch07.Browser(), site)
    assert (resp.status, ch07.message(resp)) == (502, "Google could not sign you in (307).")
    assert ch07.Sink.received == []


def test_the_access_log_keeps_no_code(monkeypatch, broken, caplog):
    refusing = local_google(monkeypatch, _OAUTH_USERINFO_URL=f"{broken}/refuse")
    with refusing as (site, _), caplog.at_level(logging.INFO, logger="tornado.access"):
        browser = ch07.Browser()
        assert ch07.sign_in(browser, site).status == 502
        assert ch07.sign_in(browser, site, decision="deny").status == 403
        assert browser.fetch(site.url + "/").status == 200  # logged after the callback's
        browser.fetch(site.url + "/auth/logout")
    lines = [
        (r.levelname, r.getMessage().split(" (")[0])
        for r in caplog.records
        if r.name == "tornado.access" and " /authorize" not in r.getMessage()
    ]
    assert ("ERROR", "502 GET /auth/callback") in lines
    assert ("WARNING", "403 GET /auth/callback") in lines
    assert ("INFO", "200 GET /") in lines
    assert not any("code=" in line or "state=" in line for _, line in lines)
