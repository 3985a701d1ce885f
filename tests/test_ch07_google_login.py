import contextlib
import os
import subprocess
import sys
from http.cookies import SimpleCookie
from urllib.parse import urlencode

import pytest

from conftest import ROOT, run_example, serve_in_thread
from examples.ch07 import google_login, mini_provider
from tests.test_ch07_mini_provider import CLIENT, SECRET, Browser, location, query, serve_provider
from tests.test_ch07_oauth_login import NOBODY, broken, message, sign_in

EXAMPLE = google_login
GOOGLE = {"key": "1234-test.apps.googleusercontent.com", "secret": "test-google-secret"}
__all__ = ["broken"]  # a fixture the tests below use


@contextlib.contextmanager
def local_google(
    monkeypatch, secret=SECRET, code_seconds=60, users=mini_provider.DEMO_USERS, **urls
):
    """google_login, its mixin's class attributes pointed at mini_provider: (site, provider)."""
    app = google_login.make_app({"key": CLIENT, "secret": secret})
    listen = {"max_body_size": google_login.MAX_BODY_SIZE, "xheaders": True}
    with serve_in_thread(app, **listen) as site:
        app.settings["redirect_uri"] = f"{site.url}/auth/callback"
        with serve_provider(
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
        browser = Browser()
        link = browser.fetch(site.url + "/").html.find(id="sign-in")
        assert link.text == "Sign in with Google"
        resp = sign_in(browser, site, user="mallory")
        assert (resp.status, location(resp)) == (302, "/")
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
        ({"secret": "wrong"}, 502, "Google could not sign you in (401)."),
        ({"_OAUTH_ACCESS_TOKEN_URL": f"{NOBODY}/token"}, 503, "Google cannot be reached."),
        ({"_OAUTH_ACCESS_TOKEN_URL": "BROKEN/token"}, 502, "Google sent an answer"),
        ({"_OAUTH_USERINFO_URL": "BROKEN/refuse"}, 502, "Google could not sign you in (401)."),
        ({"_OAUTH_USERINFO_URL": "BROKEN/nameless"}, 502, "Google sent an answer"),
        ({"_OAUTH_USERINFO_URL": "BROKEN/anonymous"}, 502, "Google sent an answer"),
    ],
)
def test_failures_are_clear_pages(monkeypatch, broken, setup, status, expected):
    setup = {k: v.replace("BROKEN", broken) if isinstance(v, str) else v for k, v in setup.items()}
    with local_google(monkeypatch, **setup) as (site, _):
        browser = Browser()
        resp = sign_in(browser, site)
        assert resp.status == status
        assert message(resp).startswith(expected)
        assert "session" not in browser.jars[site.port]


def test_a_provider_that_does_not_answer_in_time_is_503(monkeypatch, broken):
    monkeypatch.setattr(google_login, "TIMEOUTS", {"connect_timeout": 1, "request_timeout": 0.2})
    with local_google(monkeypatch, _OAUTH_ACCESS_TOKEN_URL=f"{broken}/slow") as (site, _):
        resp = sign_in(Browser(), site)
    assert (resp.status, message(resp)) == (503, "Google cannot be reached.")


def test_people_with_the_same_name_are_different_people(monkeypatch):
    twins = {
        "101": {"name": "Mei Lin", "email": "mei@example.com"},
        "202": {"name": "Mei Lin", "email": "mei.lin@example.org"},
    }
    with local_google(monkeypatch, users=twins) as (site, _):
        accounts = set()
        for subject in twins:
            browser = Browser()
            sign_in(browser, site, user=subject)
            page = browser.fetch(site.url + "/").html
            assert page.find(id="user").text == "Mei Lin"
            accounts.add(page.find(id="account").text)
    assert accounts == {"Google account 101", "Google account 202"}


def test_on_https_the_state_cookie_is_host_only(monkeypatch):
    with local_google(monkeypatch) as (site, _):
        browser = Browser({"X-Forwarded-Proto": "https"})
        start = browser.fetch(f"{site.url}/auth/login")
        cookie = SimpleCookie(start.headers["Set-Cookie"])["__Host-oauth_state"]
        assert (cookie["secure"], cookie["path"], cookie["domain"]) == (True, "/", "")
        consent = location(start)
        choice = browser.submit(consent, browser.fetch(consent), user="ravi", decision="allow")
        assert browser.fetch(location(choice)).status == 302
        assert list(browser.jars[site.port]) == ["__Host-session"]
        tossed = Browser({"X-Forwarded-Proto": "https"})
        tossed.jars[site.port] = {"session": browser.jars[site.port]["__Host-session"]}
        assert tossed.fetch(site.url + "/").html.find(id="sign-in") is not None


def test_denied_forged_and_empty_callbacks(monkeypatch):
    with local_google(monkeypatch) as (site, _):
        browser = Browser()
        resp = sign_in(browser, site, decision="deny")
        assert (resp.status, message(resp)) == (
            403,
            "Google did not sign you in: you are not signed in.",
        )
        resp = browser.fetch(f"{site.url}/auth/callback?code=abc&state=abc")
        assert (resp.status, message(resp)) == (
            403,
            "This sign-in did not start here, or took too long.",
        )
        state = query(location(browser.fetch(f"{site.url}/auth/login")))["state"]
        resp = browser.fetch(f"{site.url}/auth/callback?{urlencode({'state': state})}")
        assert (resp.status, message(resp)) == (400, "Google sent no usable code.")
        state = query(location(browser.fetch(f"{site.url}/auth/login")))["state"]
        error = {"state": state, "error": "server_error\n[E] FORGED"}
        resp = browser.fetch(f"{site.url}/auth/callback?{urlencode(error)}")
        assert (resp.status, message(resp)) == (
            502,
            "Google reported an error (server_error?[E] FORGED).",
        )
        resp = browser.fetch(f"{site.url}/auth/logout")
        assert (resp.status, message(resp)) == (405, "Method Not Allowed")


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
    resp = Browser().fetch(google.url + "/auth/login")
    assert resp.status == 302
    assert location(resp).startswith("https://accounts.google.com/o/oauth2/v2/auth?")
    params = query(location(resp))
    assert params["client_id"] == GOOGLE["key"]
    assert params["redirect_uri"] == "http://localhost:8000/auth/callback"
    assert params["scope"] == "openid profile email"
    assert params["response_type"] == "code" and params["prompt"] == "select_account"
    assert params["code_challenge_method"] == "S256" and len(params["code_challenge"]) == 43
    assert len(params["state"]) == 32


def test_missing_credentials_are_a_one_line_error():
    env = {k: v for k, v in os.environ.items() if not k.startswith("GOOGLE_CLIENT_")}
    done = subprocess.run(
        [sys.executable, "examples/ch07/google_login.py"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert done.returncode == 1
    assert (
        done.stderr == "error: set GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET in the environment\n"
    )
