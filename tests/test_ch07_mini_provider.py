import json
import stat
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from examples.ch07 import mini_provider
from tests.ch07_support import (
    CHALLENGE,
    CLIENT,
    FORM,
    IMG,
    SCRIPT,
    VERIFIER,
    Browser,
    authorize_url,
    location,
    query,
    serve_provider,
)
from tests.support import free_port, run_example, run_program

EXAMPLE = mini_provider


@pytest.fixture
def provider(mode):
    redirect_uri = f"http://localhost:{free_port()}/auth/callback"
    with serve_provider(mode, redirect_uri) as (srv, secret):
        yield srv, secret, redirect_uri


def consent_form(srv, redirect_uri):
    """A new browser at the provider's consent page: (browser, the page's URL, the page)."""
    browser = Browser()
    url = authorize_url(srv, redirect_uri)
    return browser, url, browser.fetch(url)


def get_code(browser, srv, redirect_uri, user="mei"):
    url = authorize_url(srv, redirect_uri)
    resp = browser.submit(url, browser.fetch(url), user=user, decision="allow")
    assert resp.status == 303
    return query(location(resp))["code"]


def exchange(srv, secret, code, redirect_uri, override=None):
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri,
        "client_id": CLIENT,
        "client_secret": secret,
        "code_verifier": VERIFIER,
        **(override or {}),
    }
    form = {key: value for key, value in form.items() if value is not None}
    resp = srv.fetch("/token", "POST", urlencode(form), FORM)
    return resp.status, json.loads(resp.body)


@pytest.mark.reader
def test_consent_page_shows_the_client_and_keeps_the_request(provider):
    srv, _, redirect_uri = provider
    resp = Browser().fetch(authorize_url(srv, redirect_uri, state=IMG, scope=SCRIPT))
    assert resp.status == 200
    page = resp.html
    assert page.find(id="client").text == "Tea Notes"
    assert page.find(id="scope").text == SCRIPT
    hidden = {i["name"]: i["value"] for i in page.find_all("input", attrs={"type": "hidden"})}
    assert hidden["state"] == IMG
    assert hidden["redirect_uri"] == redirect_uri
    assert (hidden["code_challenge"], hidden["code_challenge_method"]) == (CHALLENGE, "S256")
    assert page.find("script") is None and page.find("img") is None
    labels = [label.text.strip() for label in page.find_all("label")]
    assert labels == ["Mei Lin", "Ravi Rao", '<script>alert("hi")</script> Mallory']
    buttons = {b["value"]: b.text for b in page.find_all("button")}
    assert buttons == {"allow": "Allow", "deny": "Deny"}


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"client_id": "stranger"}, "Unknown client_id, or a redirect_uri not registered."),
        ({"redirect_uri": "https://evil.example/cb"}, "Unknown client_id, or a redirect_uri"),
        ({"response_type": "token"}, "Only response_type=code is supported."),
        ({"code_challenge_method": "plain"}, "PKCE is required: code_challenge_method=S256."),
        ({"code_challenge_method": None}, "PKCE is required: code_challenge_method=S256."),
        ({"code_challenge": VERIFIER}, "code_challenge must be 43 base64url characters."),
        ({"code_challenge": None}, "code_challenge must be 43 base64url characters."),
    ],
)
def test_bad_authorization_requests_stay_at_the_provider(provider, override, message):
    srv, _, redirect_uri = provider
    params = {"redirect_uri": redirect_uri, **override}
    resp = Browser().fetch(authorize_url(srv, **params))
    assert resp.status == 400
    assert "Location" not in resp.headers
    assert resp.html.find(id="message").text.startswith(message)


def test_allow_and_deny_redirect_to_the_client(provider):
    srv, _, redirect_uri = provider
    browser, url, page = consent_form(srv, redirect_uri)
    allowed = browser.submit(url, page, user="ravi", decision="allow")
    assert allowed.status == 303
    assert location(allowed).startswith(redirect_uri + "?")
    assert query(location(allowed)).keys() == {"code", "state"}
    assert query(location(allowed))["state"] == "s1"
    denied = browser.submit(url, page, decision="deny")
    assert denied.status == 303
    assert query(location(denied)) == {"error": "access_denied", "state": "s1"}


def test_allow_needs_an_account_and_a_form_token(provider):
    srv, _, redirect_uri = provider
    browser, url, page = consent_form(srv, redirect_uri)
    resp = browser.submit(url, page, user="nobody", decision="allow")
    assert resp.status == 400
    assert resp.html.find(id="message").text == "Please choose one of the accounts."
    forged = Browser().submit(url, page, user="mei", decision="allow")  # no _xsrf cookie
    assert forged.status == 403
    assert forged.html.find(id="message").text == "XSRF cookie does not match POST argument"


@pytest.mark.reader
def test_code_for_token_for_user_info(provider):
    srv, secret, redirect_uri = provider
    code = get_code(Browser(), srv, redirect_uri)
    status, token = exchange(srv, secret, code, redirect_uri)
    assert status == 200
    assert token["token_type"] == "Bearer" and token["scope"] == "profile"
    assert token["expires_in"] == mini_provider.TOKEN_SECONDS
    bearer = {"Authorization": f"Bearer {token['access_token']}"}
    resp = srv.fetch("/userinfo", headers=bearer)
    assert json.loads(resp.body) == {"sub": "mei", "name": "Mei Lin", "email": "mei@example.com"}
    as_query = srv.fetch(f"/userinfo?{urlencode({'access_token': token['access_token']})}")
    assert json.loads(as_query.body)["sub"] == "mei"


def test_a_code_works_once(provider):
    srv, secret, redirect_uri = provider
    code = get_code(Browser(), srv, redirect_uri)
    assert exchange(srv, secret, code, redirect_uri)[0] == 200
    assert exchange(srv, secret, code, redirect_uri) == (
        400,
        {"error": "invalid_grant", "error_description": "unknown or already used code"},
    )


@pytest.mark.reader
def test_the_consent_page_cannot_be_framed(provider):
    srv, _, redirect_uri = provider
    for url in (authorize_url(srv, redirect_uri), authorize_url(srv, "https://evil.example/")):
        resp = Browser().fetch(url)
        assert resp.headers["X-Frame-Options"] == "DENY"
        assert resp.headers["Content-Security-Policy"] == "frame-ancestors 'none'"


def test_a_code_needs_its_pkce_verifier(provider):
    srv, secret, redirect_uri = provider
    wrong = "another-verifier-that-is-long-enough-for-rfc-7636-but-not-ours"
    refused = (
        400,
        {"error": "invalid_grant", "error_description": "code_verifier is missing or wrong"},
    )
    for verifier in (None, wrong, CHALLENGE, "short"):
        code = get_code(Browser(), srv, redirect_uri)
        assert exchange(srv, secret, code, redirect_uri, {"code_verifier": verifier}) == refused
    code = get_code(Browser(), srv, redirect_uri)
    assert exchange(srv, secret, code, redirect_uri)[0] == 200


def test_the_challenge_cannot_be_swapped_on_the_consent_form(provider):
    srv, secret, redirect_uri = provider
    browser, url, page = consent_form(srv, redirect_uri)
    plain = browser.submit(url, page, code_challenge_method="plain", user="mei", decision="allow")
    assert plain.status == 400 and "Location" not in plain.headers


@pytest.mark.parametrize(
    ("override", "status", "error", "description"),
    [
        ({"client_secret": "guess"}, 401, "invalid_client", "unknown client or wrong secret"),
        ({"client_id": "stranger"}, 401, "invalid_client", "unknown client or wrong secret"),
        ({"grant_type": "password"}, 400, "unsupported_grant_type", "use authorization_code"),
        ({"code": "made-up"}, 400, "invalid_grant", "unknown or already used code"),
        ({"redirect_uri": "http://x/"}, 400, "invalid_grant", "redirect_uri does not match"),
    ],
)
def test_token_errors(provider, override, status, error, description):
    srv, secret, redirect_uri = provider
    code = get_code(Browser(), srv, redirect_uri)
    answer = exchange(srv, secret, code, redirect_uri, override)
    assert answer == (status, {"error": error, "error_description": description})


def test_an_expired_code_is_refused():
    redirect_uri = "http://localhost:8000/auth/callback"
    with serve_provider("in-process", redirect_uri, code_seconds=-1) as (srv, secret):
        code = get_code(Browser(), srv, redirect_uri)
        answer = exchange(srv, secret, code, redirect_uri)
    assert answer == (400, {"error": "invalid_grant", "error_description": "the code has expired"})


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def test_an_expired_token_is_refused():
    redirect_uri = "http://localhost:8000/auth/callback"
    with serve_provider("in-process", redirect_uri, token_seconds=-1) as (srv, secret):
        code = get_code(Browser(), srv, redirect_uri)
        _, token = exchange(srv, secret, code, redirect_uri)
        resp = srv.fetch("/userinfo", headers=bearer(token["access_token"]))
    assert resp.status == 401
    assert resp.headers["WWW-Authenticate"] == 'Bearer error="invalid_token"'


def test_a_revoked_token_is_refused(provider):
    srv, secret, redirect_uri = provider
    code = get_code(Browser(), srv, redirect_uri)
    token = exchange(srv, secret, code, redirect_uri)[1]["access_token"]
    assert srv.fetch("/userinfo", headers=bearer(token)).status == 200

    def revoke(form):
        return srv.fetch("/revoke", "POST", urlencode({"client_id": CLIENT, **form}), FORM)

    assert revoke({"client_secret": "guess", "token": token}).status == 401
    assert srv.fetch("/userinfo", headers=bearer(token)).status == 200
    assert revoke({"client_secret": secret, "token": "made-up"}).status == 200  # RFC 7009
    assert revoke({"client_secret": secret, "token": token}).status == 200
    resp = srv.fetch("/userinfo", headers=bearer(token))
    assert resp.status == 401
    assert resp.headers["WWW-Authenticate"] == 'Bearer error="invalid_token"'


@pytest.mark.reader
def test_user_info_needs_a_known_token(server):
    for headers in ({}, {"Authorization": "Basic eDp5"}):  # RFC 6750: no token, no error code
        resp = server.fetch("/userinfo", headers=headers)
        assert resp.status == 401
        assert resp.headers["WWW-Authenticate"] == 'Bearer realm="Mini ID"'
        assert resp.body == b""  # nor any other error information
    resp = server.fetch("/userinfo", headers={"Authorization": "Bearer made-up"})
    assert resp.status == 401
    assert resp.headers["WWW-Authenticate"] == 'Bearer error="invalid_token"'
    assert json.loads(resp.body)["error"] == "invalid_token"
    assert server.fetch("/token", "POST", "client_id=tea-notes&client_secret=", FORM).status == 401


def test_errors_without_a_message_show_the_status(server):
    resp = server.fetch("/authorize", "OPTIONS")
    assert resp.status == 405
    assert resp.html.find(id="message").text == "Method Not Allowed"


def test_the_redirect_uri_must_be_a_url():
    done = run_program("ch07/mini_provider.py", "--redirect-uri=localhost:8000/cb", timeout=30)
    assert done.returncode == 1
    assert done.stderr == "error: redirect_uri must be an http(s) URL, not localhost:8000/cb\n"


def test_token_answers_are_never_cached(provider):
    srv, secret, redirect_uri = provider
    code = get_code(Browser(), srv, redirect_uri)
    form = urlencode({"grant_type": "authorization_code", "code": code, "client_id": CLIENT})
    for body in (form, form + f"&client_secret={secret}&redirect_uri=x&code_verifier=x"):
        resp = srv.fetch("/token", "POST", body, FORM)
        assert (resp.headers["Cache-Control"], resp.headers["Pragma"]) == ("no-store", "no-cache")


def test_a_parameter_given_twice_is_refused(provider):
    srv, secret, redirect_uri = provider
    code = get_code(Browser(), srv, redirect_uri)
    form = {"grant_type": "authorization_code", "code": code, "client_id": CLIENT}
    body = urlencode({**form, "client_secret": secret, "code_verifier": VERIFIER})
    body += "&" + urlencode({"redirect_uri": "https://evil.example/"})
    body += "&" + urlencode({"redirect_uri": redirect_uri})
    resp = srv.fetch("/token", "POST", body, FORM)
    assert (resp.status, json.loads(resp.body)["error"]) == (400, "invalid_request")
    assert resp.headers["Cache-Control"] == "no-store"
    resp = Browser().fetch(authorize_url(srv, redirect_uri) + "&state=s2")  # state twice
    assert resp.status == 400 and "Location" not in resp.headers
    assert resp.html.find(id="message").text == "A parameter appears more than once."


def test_a_client_cannot_revoke_another_clients_token(provider):
    srv, secret, _ = provider
    srv.tokens["theirs"] = mini_provider.Token("mei", "another-app", float("inf"))
    form = {"client_id": CLIENT, "client_secret": secret, "token": "theirs"}
    resp = srv.fetch("/revoke", "POST", urlencode(form), FORM)
    assert resp.status == 400
    assert json.loads(resp.body) == {
        "error": "invalid_grant",
        "error_description": "the token was issued to another client",
    }
    assert "theirs" in srv.tokens


def test_expired_codes_and_tokens_are_forgotten():
    redirect_uri = "http://localhost:8000/auth/callback"
    kwargs = {"code_seconds": -1, "token_seconds": -1}
    with serve_provider("in-process", redirect_uri, **kwargs) as (srv, secret):
        for _ in range(5):  # sign-ins nobody finishes
            get_code(Browser(), srv, redirect_uri)
        assert len(srv.codes) == 1  # each new code sweeps out the expired ones
        srv.codes.clear()
    with serve_provider("in-process", redirect_uri, token_seconds=-1) as (srv, secret):
        for _ in range(5):
            exchange(srv, secret, get_code(Browser(), srv, redirect_uri), redirect_uri)
        assert len(srv.tokens) == 1


def test_the_stores_have_a_limit(provider, monkeypatch):
    srv, secret, redirect_uri = provider
    monkeypatch.setattr(mini_provider, "MAX_CODES", 2)
    monkeypatch.setattr(mini_provider, "MAX_TOKENS", 1)
    codes = [get_code(Browser(), srv, redirect_uri) for _ in range(2)]
    url = authorize_url(srv, redirect_uri)
    browser = Browser()
    resp = browser.submit(url, browser.fetch(url), user="mei", decision="allow")
    assert resp.status == 503
    assert resp.html.find(id="message").text == "Too many sign-ins at once. Please try again later."
    assert exchange(srv, secret, codes[0], redirect_uri)[0] == 200
    status, answer = exchange(srv, secret, codes[1], redirect_uri)
    assert (status, answer["error"]) == (503, "temporarily_unavailable")


def test_no_state_comes_back_when_none_was_sent(provider):
    srv, _, redirect_uri = provider
    browser = Browser()
    url = authorize_url(srv, redirect_uri, state=None)
    page = browser.fetch(url)
    for decision in ("allow", "deny"):
        resp = browser.submit(url, page, user="mei", decision=decision)
        assert resp.status == 303
        assert "state" not in parse_qs(urlsplit(location(resp)).query, keep_blank_values=True)


@pytest.mark.parametrize(
    ("path", "method", "body", "status"),
    [
        ("/token", "GET", None, 405),
        ("/token", "POST", b"client_id=\xff\xfe", 400),
        ("/revoke", "PUT", b"", 405),
        ("/userinfo?access_token=a&access_token=b", "GET", None, 400),
    ],
)
def test_endpoints_for_applications_answer_errors_in_json(server, path, method, body, status):
    resp = server.fetch(path, method, body, FORM if body is not None else {})
    assert resp.status == status
    assert resp.headers["Content-Type"] == "application/json; charset=UTF-8"
    assert json.loads(resp.body)["error"] == "invalid_request"
    if not path.startswith("/userinfo"):
        assert resp.headers["Cache-Control"] == "no-store"


def test_the_client_secret_goes_to_a_file_only_its_owner_reads(tmp_path):
    file = tmp_path / "client-secret.txt"
    file.write_text("an old secret\n", encoding="utf-8")
    file.chmod(0o644)  # left from before, readable by anyone: the provider tightens it
    redirect_uri = "http://localhost:8000/auth/callback"
    with run_example("ch07/mini_provider.py", f"--client-secret-file={file}") as srv:
        secret = file.read_text(encoding="utf-8").strip()
        assert stat.S_IMODE(file.stat().st_mode) == 0o600
        assert f"Wrote its client secret to {file}" in srv.output()
        assert secret not in srv.output() and secret != "an old secret"
        code = get_code(Browser(), srv, redirect_uri)
        assert exchange(srv, secret, code, redirect_uri)[0] == 200


def test_without_a_file_the_secret_is_not_shown():
    with run_example("ch07/mini_provider.py") as srv:
        assert "not shown: use --client-secret-file=FILE" in srv.output()
        assert "OAUTH_CLIENT_SECRET" not in srv.output()


def test_a_secret_file_that_cannot_be_written_is_a_one_line_error(tmp_path):
    done = run_program("ch07/mini_provider.py", f"--client-secret-file={tmp_path}", timeout=30)
    assert done.returncode == 1
    assert done.stderr == f"error: [Errno 21] Is a directory: '{tmp_path}'\n"
