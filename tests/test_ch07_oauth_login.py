import concurrent.futures
import contextlib
import logging
import os
import re
from http.cookies import SimpleCookie
from urllib.parse import urlencode

import pytest
import tornado.web

from examples.ch07 import oauth_login
from tests.ch07_support import (
    BAD_TOKENS,
    CLIENT,
    FORM,
    NOBODY,
    SECRET,
    Browser,
    Sink,
    broken_provider,
    location,
    message,
    query,
    serve_provider,
    sign_in,
)
from tests.support import ROOT, RawServer, free_port, run_example, run_program, serve_in_thread

EXAMPLE = oauth_login


@pytest.fixture(scope="module")
def broken():
    with broken_provider() as url:
        yield url


def endpoints(provider):
    base = f"http://127.0.0.1:{provider.port}"
    return {
        "authorize_url": f"http://localhost:{provider.port}/authorize",
        "token_url": f"{base}/token",
        "userinfo_url": f"{base}/userinfo",
    }


@contextlib.contextmanager
def sign_in_site(
    mode, tmp_path, monkeypatch, secret=None, code_seconds=60, provider_kw=None, **override
):
    """mini_provider and oauth_login, both in-process or both subprocesses: (site, provider).

    In-process, the site trusts X-Forwarded-Proto as it would behind a TLS-terminating proxy.
    """
    settings = {"name": "Mini ID", "scope": "profile email", "client_id": CLIENT}
    if mode == "in-process":
        oauth = dict(settings, client_secret=secret or SECRET)
        app = oauth_login.make_app(oauth)
        listen = {"max_body_size": oauth_login.MAX_BODY_SIZE, "xheaders": True}
        with serve_in_thread(app, **listen) as site:
            site.tokens = app.settings["access_tokens"]
            site.oauth = oauth
            redirect_uri = f"{site.url}/auth/callback"
            with serve_provider(mode, redirect_uri, code_seconds, **(provider_kw or {})) as (
                provider,
                _,
            ):
                oauth.update(endpoints(provider), redirect_uri=redirect_uri, **override)
                yield site, provider
    else:
        port = free_port()
        redirect_uri = f"http://localhost:{port}/auth/callback"
        with serve_provider(mode, redirect_uri) as (provider, real_secret):
            config = {**settings, **endpoints(provider), "redirect_uri": redirect_uri, **override}
            path = tmp_path / "provider.toml"
            path.write_text("".join(f'{k} = "{v}"\n' for k, v in config.items()), "utf-8")
            monkeypatch.setenv("OAUTH_CLIENT_SECRET", secret or real_secret)
            with run_example("ch07/oauth_login.py", f"--config={path}", port=port) as site:
                yield site, provider


@pytest.fixture
def site_with(mode, tmp_path, monkeypatch):
    """Call with settings to override; the site stops at the end of the test."""
    with contextlib.ExitStack() as stack:
        yield lambda **kw: stack.enter_context(sign_in_site(mode, tmp_path, monkeypatch, **kw))


@pytest.mark.reader
def test_sign_in_and_out(site_with):
    site, provider = site_with()
    browser = Browser()
    home = browser.fetch(site.url + "/")
    link = home.html.find(id="sign-in")
    assert (link["href"], link.text) == ("/auth/login", "Sign in with Mini ID")

    start = browser.fetch(site.url + link["href"])
    assert location(start).startswith(f"http://localhost:{provider.port}/authorize?")
    params = query(location(start))
    assert params.keys() == {
        "response_type",
        "client_id",
        "redirect_uri",
        "scope",
        "state",
        "code_challenge",
        "code_challenge_method",
    }
    assert params["code_challenge_method"] == "S256" and len(params["code_challenge"]) == 43
    assert params["redirect_uri"] == f"{site.url}/auth/callback"
    assert (params["client_id"], params["scope"]) == (CLIENT, "profile email")
    state_cookie = SimpleCookie(start.headers["Set-Cookie"])["oauth_state"]
    assert state_cookie["path"] == "/auth" and state_cookie["httponly"]
    assert state_cookie["samesite"] == "Lax" and not state_cookie["expires"]

    consent = browser.fetch(location(start))
    chosen = browser.submit(location(start), consent, user="mei", decision="allow")
    callback = browser.fetch(location(chosen))
    assert (callback.status, location(callback)) == (302, "/")
    jar = browser.jars[site.port]
    assert "oauth_state" not in jar and "session" in jar

    home = browser.fetch(site.url + "/")
    assert home.html.find(id="user").text == "Mei Lin"
    assert home.html.find(id="account").text == "Mini ID account mei"
    profile = browser.fetch(site.url + home.html.find(id="profile")["href"])
    assert profile.status == 200
    assert (profile.html.find(id="name").text, profile.html.find(id="email").text) == (
        "Mei Lin",
        "mei@example.com",
    )
    form = home.html.find("form")
    token = form.find("input", attrs={"name": "_xsrf"})["value"]
    out = browser.fetch(site.url + form["action"], "POST", {"_xsrf": token})
    assert (out.status, location(out)) == (303, "/")
    assert "session" not in jar
    assert browser.fetch(site.url + "/").html.find(id="sign-in") is not None


def test_a_hostile_display_name_is_shown_as_text(site_with):
    site, _ = site_with()
    browser = Browser()
    sign_in(browser, site, user="mallory")
    page = browser.fetch(site.url + "/").html
    assert page.find(id="user").text == '<script>alert("hi")</script> Mallory'
    assert page.find("script") is None


def test_denied_consent_is_a_clear_page_without_a_session(site_with):
    site, _ = site_with()
    browser = Browser()
    resp = sign_in(browser, site, decision="deny")
    assert resp.status == 403
    assert message(resp) == "You chose not to share your account: not signed in."
    assert "session" not in browser.jars[site.port]


def test_the_state_must_match_and_works_once(site_with):
    site, _ = site_with()
    stranger = Browser()
    resp = stranger.fetch(f"{site.url}/auth/callback?code=abc&state=abc")
    assert resp.status == 403
    assert message(resp) == "This sign-in did not start here, or took too long."

    browser = Browser()
    start = browser.fetch(f"{site.url}/auth/login")
    forged = browser.fetch(f"{site.url}/auth/callback?code=abc&state=forged")
    assert forged.status == 403
    again = f"{site.url}/auth/callback?code=abc&state={query(location(start))['state']}"
    assert browser.fetch(again).status == 403  # the failed try used the state up


def stop_at_callback(browser, site, user):
    """Start signing in and consent as `user`, but do not follow the redirect to the callback."""
    start = browser.fetch(f"{site.url}/auth/login")
    consent = location(start)
    choice = browser.submit(consent, browser.fetch(consent), user=user, decision="allow")
    return location(choice)


def test_a_stolen_code_cannot_be_used_in_another_sign_in(site_with):
    site, _ = site_with()
    stolen = query(stop_at_callback(Browser(), site, "mei"))["code"]  # from a log, say
    thief = Browser()
    state = query(location(thief.fetch(f"{site.url}/auth/login")))["state"]
    resp = thief.fetch(f"{site.url}/auth/callback?{urlencode({'code': stolen, 'state': state})}")
    assert resp.status == 400  # the thief's cookie holds another PKCE verifier
    assert "session" not in thief.jars[site.port]


def test_on_plain_http_a_tossed_state_cookie_still_works(site_with):
    site, _ = site_with()
    attacker = Browser()
    callback = stop_at_callback(attacker, site, "mallory")
    victim = Browser()
    victim.jars[site.port] = dict(attacker.jars[site.port])  # planted from a sibling host
    assert victim.fetch(callback).status == 302
    home = victim.fetch(site.url + "/").html
    assert home.find(id="account").text == "Mini ID account mallory"


HTTPS = {"X-Forwarded-Proto": "https"}  # as a TLS-terminating proxy in front of the site says


def test_on_https_the_state_cookie_is_host_only(site_with):
    site, _ = site_with()
    browser = Browser(HTTPS)
    start = browser.fetch(f"{site.url}/auth/login")
    cookie = SimpleCookie(start.headers["Set-Cookie"])["__Host-oauth_state"]
    assert (cookie["secure"], cookie["path"], cookie["domain"]) == (True, "/", "")
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    consent = location(start)
    choice = browser.submit(consent, browser.fetch(consent), user="mei", decision="allow")
    callback = browser.fetch(location(choice))
    assert callback.status == 302
    cleared = SimpleCookie(callback.headers.get_all("Set-Cookie")[0])["__Host-oauth_state"]
    assert (cleared.value, cleared["secure"], cleared["path"]) == ("", True, "/")

    attacker = Browser()  # a plain-HTTP cookie is the most a sibling host can plant
    callback = stop_at_callback(attacker, site, "mallory")
    victim = Browser(HTTPS)
    victim.jars[site.port] = dict(attacker.jars[site.port])
    assert list(victim.jars[site.port]) == ["oauth_state"]
    resp = victim.fetch(callback)
    assert (resp.status, message(resp)) == (
        403,
        "This sign-in did not start here, or took too long.",
    )


@pytest.mark.parametrize("ending", ["expired", "revoked"])
def test_a_token_the_provider_refuses_signs_you_out(site_with, ending):
    site, provider = site_with()
    browser = Browser()
    sign_in(browser, site)
    assert browser.fetch(f"{site.url}/profile").status == 200
    (token,) = provider.tokens  # the one token the provider issued, to the site
    if ending == "expired":
        provider.tokens[token].expires = float("-inf")
    else:  # as the site, or the user at the provider, may do
        form = {"client_id": CLIENT, "client_secret": SECRET, "token": token}
        assert provider.fetch("/revoke", "POST", urlencode(form), FORM).status == 200
    resp = browser.fetch(f"{site.url}/profile")
    assert (resp.status, message(resp)) == (403, oauth_login.SIGNED_OUT)
    assert "session" not in browser.jars[site.port]
    assert browser.fetch(f"{site.url}/").html.find(id="sign-in") is not None
    resp = browser.fetch(f"{site.url}/profile")
    assert (resp.status, message(resp)) == (403, "Please sign in first.")


def test_the_profile_page_without_an_email(site_with):
    users = {"kim": {"name": "Kim"}}
    site, _ = site_with(provider_kw={"users": users})
    browser = Browser()
    sign_in(browser, site, user="kim")
    profile = browser.fetch(f"{site.url}/profile").html
    assert (profile.find(id="name").text, profile.find(id="email").text) == ("Kim", "(not shared)")


def test_a_used_code_is_a_clear_error(site_with):
    site, _ = site_with()
    browser = Browser()
    start = browser.fetch(f"{site.url}/auth/login")
    consent = location(start)
    choice = browser.submit(consent, browser.fetch(consent), user="ravi", decision="allow")
    code = query(location(choice))["code"]
    assert browser.fetch(location(choice)).status == 302
    replay = browser.fetch(f"{site.url}/auth/login")
    state = query(location(replay))["state"]
    resp = browser.fetch(f"{site.url}/auth/callback?{urlencode({'code': code, 'state': state})}")
    assert resp.status == 400
    assert message(resp) == "This sign-in link has expired or was already used."


def test_an_expired_code_is_a_clear_error(tmp_path, monkeypatch):
    with sign_in_site("in-process", tmp_path, monkeypatch, code_seconds=-1) as (site, _):
        resp = sign_in(Browser(), site)
    assert resp.status == 400
    assert message(resp) == "This sign-in link has expired or was already used."


@pytest.mark.reader
def test_a_wrong_client_secret_is_502(site_with):
    site, _ = site_with(secret="not-the-secret")
    resp = sign_in(Browser(), site)
    assert resp.status == 502
    assert message(resp) == "The provider refused to give a token (invalid_client)."


def test_a_provider_that_is_down_is_503(site_with):
    site, _ = site_with(token_url=f"{NOBODY}/token")
    resp = sign_in(Browser(), site)
    assert resp.status == 503
    assert message(resp) == "The sign-in provider cannot be reached."


def test_a_provider_that_answers_garbage_is_502(site_with, broken):
    site, _ = site_with(token_url=f"{broken}/token")
    resp = sign_in(Browser(), site)
    assert resp.status == 502
    assert message(resp) == "The sign-in provider sent an unreadable answer."


def test_a_token_answer_with_an_odd_error_is_502(site_with, broken):
    site, _ = site_with(token_url=f"{broken}/odd-error")  # {"error": []}
    resp = sign_in(Browser(), site)
    assert (resp.status, message(resp)) == (502, "The provider refused to give a token (400).")


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/refuse", "The provider would not say who you are (401)."),
        ("/nameless", "The provider did not say who you are."),
        ("/down", "The provider would not say who you are (503)."),
        ("/empty-subject", "The provider did not say who you are."),
        ("/object-subject", "The provider did not say who you are."),
    ],
)
def test_user_info_that_says_nothing_is_502(site_with, broken, path, expected):
    site, _ = site_with(userinfo_url=broken + path)
    browser = Browser()
    resp = sign_in(browser, site)
    assert (resp.status, message(resp)) == (502, expected)
    assert "session" not in browser.jars[site.port]


def test_provider_errors_and_missing_codes(site_with):
    site, _ = site_with()
    browser = Browser()
    for extra, status, expected in [
        ({"error": "server_error"}, 502, "The provider reported an error (server_error)."),
        ({}, 400, "The provider sent no usable code."),
        ({"code": "x" * 513}, 400, "The provider sent no usable code."),
    ]:
        state = query(location(browser.fetch(f"{site.url}/auth/login")))["state"]
        resp = browser.fetch(f"{site.url}/auth/callback?{urlencode({'state': state, **extra})}")
        assert (resp.status, message(resp)) == (status, expected)


def test_errors_without_a_message_show_the_status(site_with):
    site, _ = site_with()
    resp = Browser().fetch(f"{site.url}/auth/logout")
    assert (resp.status, message(resp)) == (405, "Method Not Allowed")


@pytest.mark.parametrize(
    ("user", "expected"),
    [
        ({"sub": "mei", "name": "Mei Lin"}, ("mei", "Mei Lin")),
        ({"id": 583231, "login": "octocat", "name": None}, ("583231", "octocat")),
        ({"id": "1170", "email": "kim@example.com"}, ("1170", "kim@example.com")),
        ({"id": 7, "name": "x" * 300}, ("7", "x" * 100)),
    ],
)
def test_who_reads_common_shapes_of_user_info(user, expected):
    assert oauth_login.who(user) == expected


@pytest.mark.parametrize("subject", ["", {"k": "v"}, ["mei"], True, 1.5, None])
def test_who_wants_a_real_id(subject):
    with pytest.raises(tornado.web.HTTPError):
        oauth_login.who({"sub": subject, "name": "Mei Lin"})


def test_a_forged_error_cannot_forge_a_log_line(site_with, caplog):
    site, _ = site_with()
    browser = Browser()
    state = query(location(browser.fetch(f"{site.url}/auth/login")))["state"]
    forged = {"state": state, "error": "x\n[E 251205 12:00:00 web:1] FORGED LINE"}
    with caplog.at_level(logging.WARNING):
        resp = browser.fetch(f"{site.url}/auth/callback?{urlencode(forged)}")
    assert (resp.status, message(resp)) == (
        502,
        "The provider reported an error (x?[E 251205 12:00:00 web:1] FORGED LINE).",
    )
    assert caplog.records and not any("\n" in r.getMessage() for r in caplog.records)


def test_the_access_log_keeps_no_code(site_with, caplog):
    site, _ = site_with()
    with caplog.at_level(logging.INFO, logger="tornado.access"):
        browser = Browser()
        sign_in(browser, site)
        browser.fetch(site.url + "/")  # logged after the callback's line
    lines = [r.getMessage() for r in caplog.records if r.name == "tornado.access"]
    lines = [line for line in lines if " /auth/" in line]  # the site's, not the provider's
    assert any(line.startswith("302 GET /auth/callback (") for line in lines)
    assert not any("code=" in line or "state=" in line for line in lines)


def test_signing_in_again_keeps_one_token(site_with):
    site, _ = site_with()
    browser = Browser()
    for _ in range(6):
        assert sign_in(browser, site).status == 302
    assert len(site.tokens) == 1
    assert browser.fetch(f"{site.url}/profile").status == 200


def test_the_oldest_session_makes_room(site_with, monkeypatch):
    monkeypatch.setattr(oauth_login, "MAX_SESSIONS", 2)
    site, _ = site_with()
    browsers = [Browser() for _ in range(3)]
    for browser in browsers:
        sign_in(browser, site)
    assert len(site.tokens) == 2
    resp = browsers[0].fetch(f"{site.url}/profile")
    assert (resp.status, message(resp)) == (403, "Please sign in first.")
    assert browsers[2].fetch(f"{site.url}/profile").status == 200


def test_on_https_a_tossed_session_cookie_is_ignored(site_with):
    site, _ = site_with()
    attacker = Browser(HTTPS)
    sign_in(attacker, site, user="mallory")
    (name,) = attacker.jars[site.port]
    assert name == "__Host-session"
    victim = Browser(HTTPS)
    victim.jars[site.port] = {"session": attacker.jars[site.port][name]}  # from a sibling host
    assert victim.fetch(site.url + "/").html.find(id="sign-in") is not None
    sign_in(victim, site, user="mei")
    victim.jars[site.port]["session"] = attacker.jars[site.port][name]  # sent after the real one
    home = victim.fetch(site.url + "/").html
    assert home.find(id="account").text == "Mini ID account mei"


def run_with_config(tmp_path, text, secret="s3cret"):
    config = tmp_path / "provider.toml"
    config.write_text(text, encoding="utf-8")
    env = {key: value for key, value in os.environ.items() if key != "OAUTH_CLIENT_SECRET"}
    if secret:
        env["OAUTH_CLIENT_SECRET"] = secret
    done = run_program("ch07/oauth_login.py", f"--config={config}", env=env, timeout=30)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    return done.stderr.strip().replace(str(config), "CONFIG")


def test_bad_configuration_is_a_one_line_error(tmp_path):
    local = (ROOT / "examples/ch07/local.toml").read_text(encoding="utf-8")
    assert run_with_config(tmp_path, local, secret=None) == (
        "error: set the client secret in the environment variable OAUTH_CLIENT_SECRET"
    )
    without_token_url = local.replace("token_url", "# token_url")
    assert run_with_config(tmp_path, without_token_url) == (
        "error: CONFIG: missing settings: token_url"
    )
    assert run_with_config(tmp_path, 'name = "Mini ID\n') == (
        "error: CONFIG: Illegal character '\\n' (at line 1, column 16)"
    )
    done = run_program("ch07/oauth_login.py")
    assert done.stderr == "error: --config is required, e.g. --config=examples/ch07/local.toml\n"


def test_the_shipped_configurations_are_complete(monkeypatch):
    monkeypatch.setenv("OAUTH_CLIENT_SECRET", "s3cret")
    for name in ("local.toml", "github.toml"):
        text = (ROOT / "examples/ch07" / name).read_text(encoding="utf-8")
        path = ROOT / "examples/ch07" / name
        if "YOUR-CLIENT-ID" in text:  # github.toml, until a reader fills it in
            with pytest.raises(ValueError, match="replace the placeholder in: client_id$"):
                oauth_login.load_config(path)
            continue
        oauth = oauth_login.load_config(path)
        assert oauth["redirect_uri"] == "http://localhost:8000/auth/callback"
        assert oauth["client_secret"] == "s3cret"


def test_a_placeholder_is_a_one_line_error(tmp_path):
    github = (ROOT / "examples/ch07/github.toml").read_text(encoding="utf-8")
    assert run_with_config(tmp_path, github) == (
        "error: CONFIG: replace the placeholder in: client_id"
    )


def test_json_nested_too_deeply_is_502(site_with, broken):
    for setting in ("token_url", "userinfo_url"):
        site, _ = site_with(**{setting: f"{broken}/deep"})
        resp = sign_in(Browser(), site)
        assert (resp.status, message(resp)) == (
            502,
            "The sign-in provider sent an unreadable answer.",
        )


@pytest.mark.parametrize("kind", sorted(BAD_TOKENS))
def test_a_token_that_is_not_a_usable_bearer_token_is_502(site_with, broken, kind):
    site, _ = site_with(token_url=f"{broken}/bad-token/{kind}")
    browser = Browser()
    resp = sign_in(browser, site)
    assert (resp.status, message(resp)) == (502, "The provider sent a token this site cannot use.")
    assert "session" not in browser.jars[site.port]


def test_a_bearer_token_of_any_case_with_padding_is_usable():
    assert oauth_login.usable({"access_token": "a.b_c~d+e/f-9==", "token_type": "bearer"})
    assert oauth_login.usable({"access_token": "x" * 4096, "token_type": "BEARER"})
    assert not oauth_login.usable({"access_token": "a=b", "token_type": "Bearer"})
    assert not oauth_login.usable({"access_token": "a", "token_type": ["Bearer"]})


@pytest.mark.parametrize(("target", "status"), [("ftp", 302), ("file", 302), ("sink", 307)])
def test_a_redirect_from_the_token_endpoint_is_not_followed(site_with, broken, target, status):
    Sink.received.clear()
    site, _ = site_with(token_url=f"{broken}/elsewhere/{target}")
    resp = sign_in(Browser(), site)
    assert (resp.status, message(resp)) == (
        502,
        f"The sign-in provider answered with a redirect ({status}).",
    )
    assert Sink.received == []  # the client secret, code and verifier stayed home


def test_a_redirect_from_user_info_is_not_followed(site_with, broken):
    site, _ = site_with(userinfo_url=f"{broken}/elsewhere/ftp")
    resp = sign_in(Browser(), site)
    assert (resp.status, message(resp)) == (
        502,
        "The sign-in provider answered with a redirect (302).",
    )


def test_two_profile_requests_with_a_revoked_token_both_sign_out(site_with, broken):
    site, _ = site_with()
    browser = Browser()
    sign_in(browser, site)
    site.oauth["userinfo_url"] = f"{broken}/refuse-together"  # 401 once both are waiting
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(browser.fetch, [f"{site.url}/profile"] * 2))
    assert [(r.status, message(r)) for r in answers] == [(403, oauth_login.SIGNED_OUT)] * 2
    assert site.tokens == {}


def test_a_refusal_without_a_json_body_still_signs_you_out(site_with):
    """RFC 6750 asks only for the 401 and its WWW-Authenticate header; many send no body."""
    site, _ = site_with()
    browser = Browser()
    sign_in(browser, site)
    refusal = b'HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Bearer error="invalid_token"\r\n'
    with RawServer(refusal + b"Content-Length: 0\r\n\r\n") as provider:
        site.oauth["userinfo_url"] = f"{provider.url}/userinfo"
        resp = browser.fetch(f"{site.url}/profile")
    assert (resp.status, message(resp)) == (403, oauth_login.SIGNED_OUT)
    assert site.tokens == {}


def test_an_id_too_long_for_a_cookie_is_502(site_with, broken):
    site, _ = site_with(userinfo_url=f"{broken}/long-subject")
    browser = Browser()
    resp = sign_in(browser, site)
    assert (resp.status, message(resp)) == (502, "The provider did not say who you are.")
    assert "session" not in browser.jars[site.port]
    assert oauth_login.who({"sub": "x" * 255, "name": "Mei"}) == ("x" * 255, "Mei")


def test_the_access_log_level_follows_the_status(site_with, broken, caplog):
    site, _ = site_with(token_url=f"{broken}/token")
    with caplog.at_level(logging.INFO, logger="tornado.access"):
        browser = Browser()
        sign_in(browser, site)  # 502: the provider sent HTML
        browser.fetch(f"{site.url}/auth/callback?code=abc&state=abc")  # 403
        browser.fetch(f"{site.url}/")  # 200
        browser.fetch(f"{site.url}/auth/logout")  # 405, logged after the 200's line
    levels = {
        r.getMessage().split(" (")[0]: r.levelname
        for r in caplog.records
        if r.name == "tornado.access" and r.getMessage().endswith("ms")
    }
    assert levels["502 GET /auth/callback"] == "ERROR"
    assert levels["403 GET /auth/callback"] == "WARNING"
    assert levels["200 GET /"] == "INFO"


def test_behind_a_tls_proxy_xheaders_gives_host_cookies(tmp_path, monkeypatch):
    config = tmp_path / "provider.toml"
    config.write_text((ROOT / "examples/ch07/local.toml").read_text("utf-8"), "utf-8")
    monkeypatch.setenv("OAUTH_CLIENT_SECRET", "s3cret")
    with run_example("ch07/oauth_login.py", f"--config={config}", "--xheaders") as site:
        resp = Browser(HTTPS).fetch(f"{site.url}/auth/login")
        assert list(SimpleCookie(resp.headers["Set-Cookie"])) == ["__Host-oauth_state"]
    with run_example("ch07/oauth_login.py", f"--config={config}") as site:  # HTTPS ignored
        resp = Browser(HTTPS).fetch(f"{site.url}/auth/login")
        assert list(SimpleCookie(resp.headers["Set-Cookie"])) == ["oauth_state"]


def test_the_xheaders_help_names_the_header_tornado_reads_first():
    # Tornado takes X-Scheme before X-Forwarded-Proto: a proxy must set (overwrite) both.
    done = run_program("ch07/oauth_login.py", "--help", timeout=30)
    text = " ".join((done.stdout + done.stderr).split())  # the help wraps long lines
    described = re.search(r"--xheaders (.*?) \(default", text)
    assert "X-Scheme" in described[1] and "X-Forwarded-Proto" in described[1]
