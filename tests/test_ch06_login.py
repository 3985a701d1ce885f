import contextlib
import logging
import threading
import time
from http.cookies import SimpleCookie
from urllib.parse import urlencode

import pytest
from tornado.web import create_signed_value, decode_signed_value

from examples.ch06 import login
from tests.ch06_support import SECURITY_HEADERS
from tests.support import run_example, run_program, serve_in_thread

EXAMPLE = login
SECRET = "test-secret-" + "s" * 40
PASSWORD = login.DEMO_PASSWORDS["mei"]
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'


# At the example's cost, n=2**17, scrypt takes about 0.4 s a hash, and every start hashes three
# passwords. In-process, the tests that are not about that cost make their app with CHEAP (the
# `cheap_hashes` fixture, and `site`); as a hash carries its own parameters, the app then also
# verifies at that cost. The tests of the hash format, and every subprocess, keep the real cost.
CHEAP = {"n": 2**10, "r": 8, "p": 1}


@pytest.fixture
def cheap_hashes(monkeypatch):
    monkeypatch.setattr(login, "SCRYPT", CHEAP)


@pytest.fixture
def site(mode, tmp_path, monkeypatch):
    """The example with a known cookie secret: imported, with CHEAP hashes, or run by a reader."""
    if mode == "in-process":
        monkeypatch.setattr(login, "SCRYPT", CHEAP)
        with serve_in_thread(login.make_app(SECRET), max_body_size=login.MAX_BODY_SIZE) as srv:
            yield srv
    else:
        secret_file = tmp_path / "cookie-secret"
        secret_file.write_text(SECRET + "\n", encoding="utf-8")
        with run_example("ch06/login.py", f"--cookie-secret-file={secret_file}") as srv:
            yield srv


def cookies_of(resp):
    jar = SimpleCookie()
    for header in resp.headers.get_all("Set-Cookie") or []:
        jar.load(header)
    return jar


def login_page(server, query="", xsrf_name="_xsrf"):
    resp = server.fetch(f"/login{query}")
    assert resp.status == 200
    xsrf = cookies_of(resp)[xsrf_name].value
    return resp.html, xsrf


def sign_in(server, username="mei", password=PASSWORD, headers=None, xsrf_name="_xsrf", **extra):
    page, xsrf = login_page(server, xsrf_name=xsrf_name)
    token = page.find("input", attrs={"name": "_xsrf"})["value"]
    fields = {"_xsrf": token, "username": username, "password": password, **extra}
    headers = {**FORM, "Cookie": f"{xsrf_name}={xsrf}", **(headers or {})}
    return server.fetch("/login", method="POST", body=urlencode(fields), headers=headers)


def user_cookie(value):
    return {"Cookie": f'user="{value}"'}


def signed_user(name, secret=SECRET, age_days=0):
    then = time.time() - age_days * 86400
    return create_signed_value(secret, "user", name, clock=lambda: then).decode()


@pytest.mark.reader
@pytest.mark.usefixtures("cheap_hashes")
def test_protected_page_redirects_to_login(server):
    resp = server.fetch("/diary")
    assert (resp.status, resp.headers["Location"]) == (302, "/login?next=%2Fdiary")
    page, _ = login_page(server, "?next=%2Fdiary")
    form = page.find("form")
    assert (form["method"], form["action"]) == ("post", "/login")
    assert form.find("input", attrs={"name": "next"})["value"] == "/diary"
    assert form.find("input", attrs={"name": "_xsrf", "type": "hidden"})
    assert page.find(id="password")["type"] == "password"
    assert page.find(role="alert") is None


@pytest.mark.usefixtures("cheap_hashes")
def test_home_page_for_visitors(server):
    page = server.fetch("/").html
    assert page.find("a", string="sign in")["href"] == "/login"
    assert page.find(id="user") is None


@pytest.mark.reader
@pytest.mark.usefixtures("cheap_hashes")
def test_random_secret_is_announced(server):
    if server.process is not None:
        assert "using a random secret" in server.output()
        assert "Development mode: cookies without Secure" in server.output()


@pytest.mark.reader
def test_login_sets_a_signed_cookie_and_follows_next(site):
    resp = sign_in(site, next="/diary")
    assert (resp.status, resp.headers["Location"]) == (303, "/diary")
    cookie = cookies_of(resp)["user"]
    assert decode_signed_value(SECRET, "user", cookie.value) == b"mei"
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    assert cookie["secure"] == ""
    assert cookie["expires"]
    # The answer that sets the session, and every private page, is never stored by a cache.
    assert resp.headers["Cache-Control"] == "no-store"
    diary = site.fetch("/diary", headers=user_cookie(cookie.value))
    assert diary.status == 200
    assert diary.headers["Cache-Control"] == "no-store"
    assert cookies_of(diary)["_xsrf"]["httponly"] is True
    assert diary.html.h1.get_text() == "mei's diary"
    home = site.fetch("/", headers=user_cookie(cookie.value)).html
    assert home.find(id="user").get_text() == "mei"


@pytest.mark.usefixtures("cheap_hashes")
@pytest.mark.parametrize("scheme", ["http", "https"])
def test_production_cookies_are_always_secure(scheme):
    # Behind a proxy (xheaders=True), a forged or passed-through X-Scheme must not matter.
    app = login.make_app(SECRET, passwords={"mei": PASSWORD}, production=True)
    with serve_in_thread(app, xheaders=True) as srv:
        page = srv.fetch("/login", headers={"X-Scheme": scheme})
        xsrf = cookies_of(page)["__Host-xsrf"]
        resp = sign_in(srv, headers={"X-Scheme": scheme}, xsrf_name="__Host-xsrf")
        assert resp.status == 303
        user = cookies_of(resp)["__Host-user"]
        for cookie in xsrf, user:  # what browsers demand of a __Host- cookie
            assert (cookie["secure"], cookie["path"], cookie["domain"]) == (True, "/", "")
        assert decode_signed_value(SECRET, "__Host-user", user.value) == b"mei"
        diary = srv.fetch("/diary", headers={"Cookie": f'__Host-user="{user.value}"'})
        assert diary.status == 200
        assert srv.fetch("/diary", headers=user_cookie(user.value)).status == 302


@pytest.mark.usefixtures("cheap_hashes")
def test_development_mode_never_claims_secure():
    # The teaching simplification: plain http://localhost, whatever the request says.
    with serve_in_thread(login.make_app(SECRET, passwords={"mei": PASSWORD}), xheaders=True) as srv:
        resp = sign_in(srv, headers={"X-Forwarded-Proto": "https"})
    assert resp.status == 303
    assert cookies_of(resp)["user"]["secure"] == ""


@pytest.fixture
def production(mode, tmp_path, monkeypatch):
    """The example in production mode: imported, or started with --production."""
    if mode == "in-process":
        monkeypatch.setattr(login, "SCRYPT", CHEAP)
        app = login.make_app(SECRET, production=True)
        with serve_in_thread(app, xheaders=True, max_body_size=login.MAX_BODY_SIZE) as srv:
            yield srv
    else:
        secret_file = tmp_path / "cookie-secret"
        secret_file.write_text(SECRET + "\n", encoding="utf-8")
        args = [f"--cookie-secret-file={secret_file}", "--production", "--xheaders"]
        with run_example("ch06/login.py", *args) as srv:
            yield srv


@pytest.mark.reader
def test_production_option(production):
    resp = sign_in(production, xsrf_name="__Host-xsrf")
    user = cookies_of(resp)["__Host-user"]
    assert (user["secure"], user["httponly"], user["samesite"]) == (True, True, "Lax")
    assert resp.headers["Cache-Control"] == "no-store"
    assert "Development mode" not in production.output()
    cookie = user.value
    diary = production.fetch("/diary", headers={"Cookie": f'__Host-user="{cookie}"'})
    assert diary.headers["Cache-Control"] == "no-store"
    xsrf = cookies_of(diary)["__Host-xsrf"]
    # No script reads the token from the cookie here: HttpOnly keeps every script from it.
    assert (xsrf["secure"], xsrf["httponly"], xsrf["samesite"]) == (True, True, "Lax")
    token = diary.html.find("form", action="/logout").find("input", attrs={"name": "_xsrf"})
    headers = {**FORM, "Cookie": f'__Host-user="{cookie}"; __Host-xsrf={xsrf.value}'}
    body = urlencode({"_xsrf": token["value"]})
    resp = production.fetch("/logout", method="POST", body=body, headers=headers)
    cleared = cookies_of(resp)["__Host-user"]
    # Cleared with the attributes it was set with, or a browser may keep it.
    assert (cleared.value, cleared["path"], cleared["domain"]) == ("", "/", "")
    assert (cleared["secure"], cleared["httponly"], cleared["samesite"]) == (True, True, "Lax")


@pytest.mark.reader
def test_production_counts_each_client_behind_the_proxy(production):
    """--production runs behind a proxy, so with --xheaders: X-Real-IP names the client."""
    first = {"X-Real-IP": "192.0.2.1"}
    statuses = [bad_login(production, first, "__Host-xsrf").status for _ in range(6)]
    assert statuses == [400] * login.LOGIN_ATTEMPTS + [429]
    other = bad_login(production, {"X-Real-IP": "192.0.2.2"}, "__Host-xsrf")
    assert other.status == 400


def test_production_needs_xheaders(tmp_path):
    """Without --xheaders, behind the proxy every client is 127.0.0.1: one allowance for all,
    and one person could keep everyone else from signing in."""
    secret_file = tmp_path / "cookie-secret"
    secret_file.write_text(SECRET + "\n", encoding="utf-8")
    args = [f"--cookie-secret-file={secret_file}", "--production"]
    done = run_program("ch06/login.py", *args, timeout=30)
    assert done.returncode == 1
    assert done.stderr == "error: --production needs --xheaders: it runs behind a reverse proxy\n"


def test_next_defaults_to_home(site):
    resp = sign_in(site)
    assert resp.headers["Location"] == "/"


@pytest.mark.parametrize(
    "next_url",
    [
        "//evil.example/",
        "https://evil.example/",
        "/\\evil.example",
        "javascript:alert(1)",
        "/\t/evil.example",
        "/\n/evil.example",
        "evil.example",
        "",
    ],
)
def test_next_cannot_leave_the_site(site, next_url):
    resp = sign_in(site, next=next_url)
    assert (resp.status, resp.headers["Location"]) == (303, "/")
    page, _ = login_page(site, "?" + urlencode({"next": next_url}))
    assert page.find("input", attrs={"name": "next"})["value"] == "/"


@pytest.mark.parametrize("next_url", ["/diary", "/diary?week=3#tuesday", "/%2F%2Fevil.example"])
def test_next_on_this_site_is_kept(site, next_url):
    assert sign_in(site, next=next_url).headers["Location"] == next_url


@pytest.mark.parametrize(("username", "password"), [("mei", "guess"), ("nobody", "guess")])
def test_wrong_password_and_unknown_user_look_the_same(site, username, password):
    resp = sign_in(site, username=username, password=password)
    assert resp.status == 400
    assert "user" not in cookies_of(resp)
    page = resp.html
    assert page.find(role="alert").get_text() == "Wrong username or password."
    assert page.find(id="username")["value"] == username
    assert not page.find(id="password").get("value")  # a password is never sent back
    assert page.select(".error") == []


@pytest.mark.parametrize(
    "password",
    [
        f"  {PASSWORD}   ",
        f"{PASSWORD}\x01\x02",
        f"\x00{PASSWORD}",
        f"{PASSWORD}\n",
        f"\t{PASSWORD}",
    ],
    ids=["spaces", "control-characters", "nul", "newline", "tab"],
)
def test_the_password_is_checked_exactly_as_sent(site, password):
    assert sign_in(site, password=password).status == 400


def test_a_password_that_is_not_utf8_is_a_400(site):
    page, xsrf = login_page(site)
    token = page.find("input", attrs={"name": "_xsrf"})["value"]
    body = urlencode({"_xsrf": token, "username": "mei"}) + "&password=%ff"
    headers = {**FORM, "Cookie": f"_xsrf={xsrf}"}
    assert site.fetch("/login", method="POST", body=body, headers=headers).status == 400


@pytest.mark.reader
def test_no_password_reaches_the_log(site, caplog):
    """Tornado logs the message of an HTTPError; decode_argument() puts the value in it."""
    caplog.set_level(logging.DEBUG)
    page, xsrf = login_page(site)
    token = page.find("input", attrs={"name": "_xsrf"})["value"]
    headers = {**FORM, "Cookie": f"_xsrf={xsrf}"}
    for password in ["plum%ffrain%25s", "plum+rain%25s"]:  # not UTF-8; UTF-8 but wrong
        body = urlencode({"_xsrf": token, "username": "mei"}) + f"&password={password}"
        resp = site.fetch("/login", method="POST", body=body, headers=headers)
        assert resp.status == 400
        if "%ff" in password:  # the refusal says why, in the body
            assert resp.text == "400 Bad Request: password is not UTF-8\n"
    logged = [record.getMessage() for record in caplog.records] + [site.output()]
    assert any("password is not UTF-8" in text for text in logged)
    for text in logged:
        assert not any(part in text for part in ["plum", "rain", "%s", "xff", "%ff"]), text


@pytest.mark.usefixtures("cheap_hashes")
def test_a_password_with_control_characters_is_checked_exactly():
    odd = "tea\x01time"
    with serve_in_thread(login.make_app(SECRET, passwords={"mei": odd})) as srv:
        assert sign_in(srv, password=odd).status == 303
        assert sign_in(srv, password="tea time").status == 400  # what Tornado would make of it


@pytest.mark.reader
def test_an_oversized_form_is_refused_before_it_is_read(site):
    assert site.post_head("/login", login.MAX_BODY_SIZE + 1).startswith(b"HTTP/1.1 400")


@pytest.mark.usefixtures("cheap_hashes")
def test_a_password_with_spaces_inside_and_around_works():
    spaced = "  tea, then\ta walk  "
    with serve_in_thread(login.make_app(SECRET, passwords={"mei": spaced})) as srv:
        assert sign_in(srv, password=spaced).status == 303
        assert sign_in(srv, password=spaced.strip()).status == 400


def test_another_users_password_does_not_work(site):
    assert sign_in(site, username="ravi", password=PASSWORD).status == 400


@pytest.mark.parametrize(
    ("fields", "errors"),
    [
        ({"username": "", "password": ""}, {"username": "Please fill this in.", "password": ""}),
        ({"username": "mei", "password": ""}, {"password": "Please fill this in."}),
        ({"username": "m" * 41}, {"username": "Please use at most 40 characters."}),
        ({"password": "p" * 201}, {"password": "Please use at most 200 characters."}),
    ],
)
def test_bad_fields_are_shown_next_to_them(site, fields, errors):
    resp = sign_in(site, **fields)
    assert resp.status == 400
    page = resp.html
    assert page.find(role="alert") is None
    for name, message in errors.items():
        error = page.find(id=name).find_next_sibling("strong", class_="error")
        assert error.get_text() == (message or "Please fill this in.")


@pytest.mark.parametrize("hostile", [SCRIPT, IMG])
def test_hostile_username_is_kept_as_text(site, hostile):
    resp = sign_in(site, username=hostile, password="x", next=hostile)
    assert resp.status == 400
    page = resp.html
    assert page.find("script") is None and page.find("img") is None
    assert page.find(id="username")["value"] == hostile
    assert page.find("input", attrs={"name": "next"})["value"] == "/"


def test_login_needs_the_xsrf_token(site):
    body = urlencode({"username": "mei", "password": PASSWORD})
    resp = site.fetch("/login", method="POST", body=body, headers=FORM)
    assert resp.status == 403
    assert "_xsrf" in resp.text  # the refusal says why
    assert "user" not in cookies_of(resp)


def test_cross_origin_login_is_refused(site):
    browser = {"Origin": "http://127.0.0.1:8001", "Sec-Fetch-Site": "cross-site"}
    assert sign_in(site, headers=browser).status == 403


def test_logout(site):
    cookie = cookies_of(sign_in(site))["user"].value
    resp = site.fetch("/diary", headers=user_cookie(cookie))
    xsrf = cookies_of(resp)["_xsrf"].value
    form = resp.html.find("form", action="/logout")
    token = form.find("input", attrs={"name": "_xsrf"})["value"]
    headers = {**FORM, "Cookie": f'user="{cookie}"; _xsrf={xsrf}'}
    # A forged logout (no token) is refused, and GET does nothing at all.
    assert site.fetch("/logout", method="POST", body="", headers=headers).status == 403
    assert site.fetch("/logout", headers=user_cookie(cookie)).status == 405
    resp = site.fetch("/logout", method="POST", body=urlencode({"_xsrf": token}), headers=headers)
    assert (resp.status, resp.headers["Location"]) == (303, "/")
    cleared = cookies_of(resp)["user"]
    assert cleared.value == ""
    assert (cleared["path"], cleared["httponly"], cleared["samesite"]) == ("/", True, "Lax")
    assert time.strptime(cleared["expires"], "%a, %d %b %Y %H:%M:%S GMT") < time.gmtime()


@pytest.mark.parametrize(
    "cookie",
    [
        "mei",  # not signed at all
        signed_user("mei", secret="another-secret-" + "x" * 40),
        signed_user("mei", age_days=login.SESSION_DAYS + 1),
        signed_user("root"),  # correctly signed, but no such account
        create_signed_value(SECRET, "user", "mei", version=1).decode(),
        "2|1:0|10:1764000000|4:user|4:bWVp|forged",
    ],
    ids=["unsigned", "other-secret", "expired", "unknown-user", "version-1", "forged"],
)
def test_forged_or_stale_cookies_do_not_log_in(site, cookie):
    resp = site.fetch("/diary", headers=user_cookie(cookie))
    assert resp.status == 302
    assert site.fetch("/", headers=user_cookie(cookie)).html.find(id="user") is None


def test_fresh_cookie_still_works_before_it_expires(site):
    cookie = signed_user("mei", age_days=login.SESSION_DAYS - 1)
    assert site.fetch("/diary", headers=user_cookie(cookie)).status == 200


def test_hashes_describe_themselves():
    stored = login.hash_password("plum rain")
    scheme, params, salt, digest = stored.split("$")
    assert (scheme, params) == ("scrypt", "n=131072,r=8,p=1")
    assert (len(salt), len(digest)) == (24, 44)  # base64 of 16 and 32 bytes
    assert "plum" not in stored
    assert login.hash_password("plum rain") != stored  # a new salt every time
    assert login.verify_password("plum rain", stored)
    assert not login.verify_password("plum rain ", stored)
    assert not login.verify_password("", stored)


def test_verify_reads_the_parameters_from_the_hash():
    cheap = "scrypt$n=1024,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA==$" + login.b64(
        login.scrypt("tea", b"\0" * 16, n=1024, r=8, p=1)
    )
    assert login.verify_password("tea", cheap)
    assert not login.verify_password("coffee", cheap)


@pytest.mark.usefixtures("cheap_hashes")
def test_accounts():
    accounts = login.Accounts({"mei": "plum rain"})
    assert "mei" in accounts and "nobody" not in accounts
    assert accounts.check("mei", "plum rain")
    assert not accounts.check("mei", "plum")
    assert not accounts.check("nobody", "plum rain")
    assert all(h.startswith("scrypt$") for h in [*accounts.hashes.values(), accounts.decoy])


@pytest.mark.usefixtures("cheap_hashes")
def test_an_unknown_user_costs_a_hash_too(monkeypatch):
    accounts = login.Accounts({"mei": "plum rain"})
    calls, real = [], login.scrypt
    monkeypatch.setattr(login, "scrypt", lambda *args, **kw: calls.append(1) or real(*args, **kw))
    assert not accounts.check("nobody", "plum rain")
    assert len(calls) == 1  # the decoy's hash: as slow as a wrong password for "mei"
    assert not accounts.check("mei", "plum")
    assert len(calls) == 2


@pytest.mark.parametrize(("content", "problem"), [(None, "No such file"), ("short\n", "32+")])
def test_bad_secret_file_is_a_one_line_error(tmp_path, content, problem):
    secret_file = tmp_path / "cookie-secret"
    if content is not None:
        secret_file.write_text(content, encoding="utf-8")
    done = run_program("ch06/login.py", f"--cookie-secret-file={secret_file}", timeout=30)
    assert done.returncode == 1
    assert done.stderr.startswith("error: ") and problem in done.stderr
    assert len(done.stderr.splitlines()) == 1


def test_production_needs_a_secret_file():
    """A random secret in production would sign everyone out at each restart, and two
    processes would not accept each other's cookies."""
    done = run_program("ch06/login.py", "--production", timeout=30)
    assert done.returncode == 1
    assert done.stderr == "error: --production needs --cookie-secret-file, a secret that lasts\n"


def bad_login(server, headers=None, xsrf_name="_xsrf"):
    return sign_in(server, password="guess", headers=headers, xsrf_name=xsrf_name)


@pytest.mark.reader
def test_security_headers_on_every_answer(site):
    cookie = user_cookie(cookies_of(sign_in(site)).get("user").value)
    answers = [
        site.fetch("/"),
        site.fetch("/login"),
        site.fetch("/diary"),  # 302 to the login page
        site.fetch("/diary", headers=cookie),
        sign_in(site, password=""),  # 400, the form again
        site.fetch("/login", method="POST", body="", headers=FORM),  # 403, no token
        site.fetch("/nowhere"),  # 404
        site.fetch("/nowhere", method="POST", body="", headers=FORM),  # 404, not 403
        site.fetch("/logout"),  # 405
    ]
    answers += [bad_login(site) for _ in range(login.LOGIN_ATTEMPTS)]  # 400 ... then 429
    limited = [400] * (login.LOGIN_ATTEMPTS - 1) + [429]
    statuses = [200, 200, 302, 200, 400, 403, 404, 404, 405, *limited]
    assert [resp.status for resp in answers] == statuses
    for resp in answers:
        assert {name: resp.headers[name] for name in SECURITY_HEADERS} == SECURITY_HEADERS
        assert resp.headers["Cache-Control"] == "no-store"


def test_a_cross_origin_post_to_no_page_is_a_404(site):
    browser = {**FORM, "Origin": "http://127.0.0.1:8001", "Sec-Fetch-Site": "cross-site"}
    resp = site.fetch("/nope", method="POST", body="username=mei", headers=browser)
    assert resp.status == 404
    assert {name: resp.headers[name] for name in SECURITY_HEADERS} == SECURITY_HEADERS


def test_pages_need_no_inline_code(site):
    """The policy allows no inline scripts or styles, so no page may contain any."""
    cookie = user_cookie(cookies_of(sign_in(site)).get("user").value)
    pages = [site.fetch("/login").html, site.fetch("/diary", headers=cookie).html]
    pages += [site.fetch("/").html, bad_login(site).html]
    for page in pages:
        assert page.find("script") is None and page.find("style") is None
        for tag in page.find_all(True):
            assert not [a for a in tag.attrs if a == "style" or a.startswith("on")], tag


def test_a_burst_of_logins_is_limited(site):
    statuses = [bad_login(site).status for _ in range(login.LOGIN_ATTEMPTS)]
    assert statuses == [400] * login.LOGIN_ATTEMPTS
    limited = bad_login(site)
    assert limited.status == 429
    assert 0 < int(limited.headers["Retry-After"]) <= login.LOGIN_WINDOW
    alert = " ".join(limited.html.find(role="alert").get_text().split())
    seconds = limited.headers["Retry-After"]
    assert alert == (
        f"Too many sign-in attempts from your address. Please try again in {seconds} seconds."
    )
    assert limited.html.find(id="username")["value"] == "mei"
    # Even the right password waits: the limit comes before the hash, which is the costly part.
    right = sign_in(site)
    assert right.status == 429 and "user" not in cookies_of(right)
    # Other pages, and mistakes that need no hash, are still answered.
    assert site.fetch("/").status == 200
    assert sign_in(site, password="").status == 400


def test_rate_limit():
    now = [1000.0]
    limit = login.RateLimit(3, 60, clock=lambda: now[0], max_keys=4)

    def attempt(key):
        wait = limit.wait(key)
        if not wait:
            limit.count(key)
        return wait

    assert [attempt("a") for _ in range(4)] == [0, 0, 0, 60]
    now[0] += 59.5
    assert attempt("a") == 1  # ceil(0.5): Retry-After is whole seconds
    assert attempt("b") == 0  # each address has its own count
    now[0] += 1
    assert attempt("a") == 0  # the first three have left the window
    for key in "cd":
        attempt(key)
    assert list(limit.recent) == ["b", "a", "c", "d"]  # least recently seen first
    assert attempt("e") == 0  # a fifth key: "b", seen least recently, is forgotten
    assert list(limit.recent) == ["a", "c", "d", "e"]


def test_a_refused_try_does_not_lengthen_the_wait():
    now = [0.0]
    limit = login.RateLimit(3, 60, clock=lambda: now[0])
    for _ in range(3):
        limit.count("a")
    assert [limit.wait("a") for _ in range(5)] == [60] * 5  # refused tries ...
    assert limit.wait("x") == 0 and "x" not in limit.recent  # ... asking counts nothing
    now[0] = 59.5
    assert limit.wait("a") == 1
    now[0] = 60.5
    assert limit.wait("a") == 0


def test_the_limiter_remembers_at_most_max_keys():
    """An attacker with many addresses cannot make it grow without bound."""
    limit = login.RateLimit(login.LOGIN_ATTEMPTS, login.LOGIN_WINDOW, clock=lambda: 0.0)
    for number in range(3 * login.MAX_CLIENTS):
        key = login.client_keys(f"2001:db8:{number:x}::1")[0]
        assert limit.wait(key) == 0
        limit.count(key)
    assert len(limit.recent) == login.MAX_CLIENTS
    assert sum(len(times) for times in limit.recent.values()) == login.MAX_CLIENTS


@pytest.mark.parametrize(
    ("address", "keys"),
    [
        ("192.0.2.7", ["192.0.2.7"]),
        ("2001:db8:1:2:3:4:5:6", ["2001:db8:1:2::/64", "2001:db8:1::/56", "2001:db8:1::/48"]),
        ("2001:db8:1:2:ff::1", ["2001:db8:1:2::/64", "2001:db8:1::/56", "2001:db8:1::/48"]),
        ("2001:db8:1:ff::1", ["2001:db8:1:ff::/64", "2001:db8:1::/56", "2001:db8:1::/48"]),
        ("2001:db8:1:100::1", ["2001:db8:1:100::/64", "2001:db8:1:100::/56", "2001:db8:1::/48"]),
        ("::ffff:192.0.2.7", ["192.0.2.7"]),  # an IPv4 client on an IPv6 socket
        ("fe80::1%eth0", ["fe80::/64", "fe80::/56", "fe80::/48"]),
        # Spellings that Tornado's xheaders accept (getaddrinfo) but ipaddress does not.
        ("127.1", ["127.1"]),
        ("2130706433", ["2130706433"]),
        ("1.2.3.04", ["1.2.3.04"]),
    ],
)
def test_client_keys(address, keys):
    assert login.client_keys(address) == keys


def attempt(limits, address):
    """One try through Limits, as LoginHandler.post makes it: counted only when allowed."""
    keys = login.client_keys(address)
    wait = limits.wait(keys)
    if not wait:
        limits.count(keys)
    return wait


def test_each_network_width_has_its_own_allowance():
    limits = login.Limits(clock=lambda: 0.0)
    # One /64 (one phone, one home network): LOGIN_ATTEMPTS.
    waits = [attempt(limits, "2001:db8:0:1::1") for _ in range(login.LOGIN_ATTEMPTS + 1)]
    assert waits == [0] * login.LOGIN_ATTEMPTS + [60]
    assert attempt(limits, "2001:db8:0:1::2") == 60  # another address of the same /64
    # Other /64s of the same /56: together at most ATTEMPTS_PER_56.
    waits = [attempt(limits, f"2001:db8:0:{n:x}::1") for n in range(2, 2 + 4 * 5)]
    assert waits.count(0) == login.ATTEMPTS_PER_56 - login.LOGIN_ATTEMPTS
    assert waits[-1] == 60
    # Other /56s of the same /48: together at most ATTEMPTS_PER_48.
    waits = [attempt(limits, f"2001:db8:0:{n << 8:x}::1") for n in range(1, 64)]
    assert waits.count(0) == login.ATTEMPTS_PER_48 - login.ATTEMPTS_PER_56
    # Another /48, and IPv4 clients, are not touched by any of it.
    assert attempt(limits, "2001:db8:1::1") == 0
    assert attempt(limits, "198.51.100.7") == 0


@pytest.mark.usefixtures("cheap_hashes")
@pytest.mark.parametrize("address", ["127.1", "2130706433", "1.2.3.04"])
def test_odd_spellings_of_an_address_are_not_a_500(address):
    """Behind --xheaders, Tornado accepts these as X-Real-IP; the limiter must too."""
    with serve_in_thread(login.make_app(SECRET, passwords={"mei": PASSWORD}), xheaders=True) as srv:
        statuses = [bad_login(srv, {"X-Real-IP": address}).status for _ in range(6)]
        assert statuses == [400] * login.LOGIN_ATTEMPTS + [429]
        assert sign_in(srv, headers={"X-Real-IP": "127.0.0.2"}).status == 303


@pytest.mark.usefixtures("cheap_hashes")
def test_x_real_ip_wins_over_x_forwarded_for():
    """Why the proxy must set X-Real-IP itself: Tornado believes it before X-Forwarded-For.

    A proxy that only appends to X-Forwarded-For passes the client's own X-Real-IP on, and
    the client chooses what the limiter counts."""
    with serve_in_thread(login.make_app(SECRET, passwords={"mei": PASSWORD}), xheaders=True) as srv:
        statuses = []
        for number in range(login.LOGIN_ATTEMPTS + 1):
            headers = {"X-Forwarded-For": "192.0.2.1", "X-Real-IP": f"198.51.100.{number}"}
            statuses.append(bad_login(srv, headers).status)
        assert statuses == [400] * (login.LOGIN_ATTEMPTS + 1)  # never limited
        forwarded = {"X-Forwarded-For": "203.0.113.5, 192.0.2.1"}  # no X-Real-IP: the last
        statuses = [bad_login(srv, forwarded).status for _ in range(login.LOGIN_ATTEMPTS + 1)]
        assert statuses == [400] * login.LOGIN_ATTEMPTS + [429]


def pending_of(app):
    rules = app.wildcard_router.rules
    return next(r.target_kwargs["pending"] for r in rules if "pending" in r.target_kwargs)


@contextlib.contextmanager
def checks_held(forms):
    """login.py behind a proxy, both hashing threads held so that the password checks that
    come wait in line: (the server, its pending checks, `forms` login forms, the event that
    lets the threads go; leaving lets them go too)."""
    app = login.make_app(SECRET, passwords={"mei": PASSWORD})
    pending = pending_of(app)
    release = threading.Event()
    with serve_in_thread(app, xheaders=True) as srv:
        pages = [login_page(srv) for _ in range(forms)]
        blockers = [login.HASHING.submit(release.wait) for _ in range(2)]
        try:
            yield srv, pending, pages, release
        finally:
            release.set()
        for blocker in blockers:
            blocker.result()


def sign_in_as_mei(srv, form, address, password="guess"):
    """POST a login form (page, its _xsrf cookie) for mei, from `address` behind the proxy."""
    page, xsrf = form
    token = page.find("input", attrs={"name": "_xsrf"})["value"]
    fields = {"_xsrf": token, "username": "mei", "password": password}
    headers = {**FORM, "Cookie": f"_xsrf={xsrf}", "X-Real-IP": address}
    return srv.fetch("/login", "POST", urlencode(fields), headers)


@pytest.mark.usefixtures("cheap_hashes")
def test_a_burst_beyond_the_global_cap_gets_503():
    """Many addresses, one server: at most MAX_PENDING password checks wait or run at once."""
    with checks_held(login.MAX_PENDING + 1) as (srv, pending, forms, release):
        statuses = []

        def post(number, *form):
            statuses.append(sign_in_as_mei(srv, form, f"192.0.2.{number}").status)

        threads = [
            threading.Thread(target=post, args=(n, *form))
            for n, form in enumerate(forms[:-1], start=1)
        ]
        try:
            for thread in threads:
                thread.start()
            for _ in range(3000):  # until every one of them is in the queue
                if pending.count == login.MAX_PENDING:
                    break
                time.sleep(0.01)
            assert pending.count == login.MAX_PENDING
            busy = sign_in_as_mei(srv, forms[-1], "198.51.100.1", password=PASSWORD)
        finally:
            release.set()
            for thread in threads:
                thread.join()
        assert busy.status == 503
        assert busy.headers["Retry-After"] == str(login.BUSY_RETRY)
        alert = " ".join(busy.html.find(role="alert").get_text().split())
        assert (
            alert
            == "The server is busy checking other sign-ins. Please try again in a few seconds."
        )
        assert "user" not in cookies_of(busy)
        assert statuses == [400] * login.MAX_PENDING
        assert pending.count == 0
        # The client turned away used nothing of its allowance: no password was checked.
        # (If a 503 counted, whoever keeps the queue full would use up everyone's tries.)
        turned_away = {"X-Real-IP": "198.51.100.1"}
        statuses = [bad_login(srv, turned_away).status for _ in range(login.LOGIN_ATTEMPTS + 1)]
        assert statuses == [400] * login.LOGIN_ATTEMPTS + [429]


@pytest.mark.usefixtures("cheap_hashes")
@pytest.mark.parametrize(
    "address",
    ["2001:db8:0:{n:x}::1", "2001:db8:42:{n:02x}00::1"],
    ids=["64s-of-one-56", "56s-of-one-48"],
)
def test_one_network_cannot_fill_the_queue(address):
    """Many /64s of one /56, or many /56s of one /48 (each within its own limits), hold at
    most MAX_PENDING_PER_NETWORK places in the queue: a user from elsewhere still gets a
    password check, never a 503."""
    attacks = 3 * login.MAX_PENDING
    with checks_held(attacks + 1) as (srv, pending, forms, release):
        answers, legit = [], []

        def post(answers, address, page, xsrf, password="guess"):
            answers.append(sign_in_as_mei(srv, (page, xsrf), address, password))

        threads = [
            threading.Thread(target=post, args=(answers, address.format(n=n), *form))
            for n, form in enumerate(forms[:-1])
        ]
        user = threading.Thread(target=post, args=(legit, "198.51.100.7", *forms[-1], PASSWORD))
        try:
            for thread in threads:
                thread.start()
            for _ in range(3000):  # until each attack is answered or in the queue
                if len(answers) + pending.count == attacks:
                    break
                time.sleep(0.01)
            queued = pending.count
            user.start()
            for _ in range(3000):  # until the user is answered or in the queue
                if legit or pending.count > queued:
                    break
                time.sleep(0.01)
        finally:
            release.set()
            for thread in [*threads, user]:
                thread.join()
        assert legit[0].status == 303
        assert queued == login.MAX_PENDING_PER_NETWORK
        assert sorted(r.status for r in answers) == [400] * queued + [429] * (attacks - queued)
        # The others are asked to come back shortly, for a place in the queue, not a try.
        waits = {r.headers["Retry-After"] for r in answers if r.status == 429}
        assert waits == {str(login.BUSY_RETRY)}
        assert pending.count == 0 and not pending.clients and not pending.networks


@pytest.mark.usefixtures("cheap_hashes")
def test_one_client_holds_at_most_its_share_of_the_queue():
    with checks_held(login.MAX_PENDING) as (srv, pending, forms, release):
        answers = []

        def post(*form):
            answers.append(sign_in_as_mei(srv, form, "2001:db8::1"))

        threads = [threading.Thread(target=post, args=form) for form in forms]
        try:
            for thread in threads:
                thread.start()
            for _ in range(3000):
                if len(answers) + pending.count == len(forms):
                    break
                time.sleep(0.01)
            queued = pending.count
        finally:
            release.set()
            for thread in threads:
                thread.join()
    assert queued == login.MAX_PENDING_PER_CLIENT
    assert sorted(r.status for r in answers).count(400) == queued


@pytest.fixture
def proxied(mode, request, tmp_path, monkeypatch):
    """The example behind a reverse proxy, or not: --xheaders when request.param is True."""
    xheaders = request.param
    if mode == "in-process":
        monkeypatch.setattr(login, "SCRYPT", CHEAP)
        app = login.make_app(SECRET)
        with serve_in_thread(app, xheaders=xheaders, max_body_size=login.MAX_BODY_SIZE) as srv:
            yield srv, xheaders
    else:
        secret_file = tmp_path / "cookie-secret"
        secret_file.write_text(SECRET + "\n", encoding="utf-8")
        args = [f"--cookie-secret-file={secret_file}", *(["--xheaders"] if xheaders else [])]
        with run_example("ch06/login.py", *args) as srv:
            yield srv, xheaders


@pytest.mark.reader
@pytest.mark.parametrize("proxied", [True, False], ids=["xheaders", "direct"], indirect=True)
def test_behind_a_proxy_each_client_has_its_own_allowance(proxied):
    srv, xheaders = proxied
    first = {"X-Real-IP": "192.0.2.1"}
    statuses = [sign_in(srv, password="guess", headers=first).status for _ in range(6)]
    assert statuses == [400] * login.LOGIN_ATTEMPTS + [429]
    other = sign_in(srv, password="guess", headers={"X-Real-IP": "192.0.2.2"})
    # With --xheaders, the proxy's X-Real-IP names the client; without it, nobody's header counts.
    assert other.status == (400 if xheaders else 429)
    if srv.process is not None:
        assert ("--xheaders: client addresses" in srv.output()) is xheaders


@pytest.mark.usefixtures("cheap_hashes")
def test_the_event_loop_is_free_while_a_password_waits_for_its_hash():
    """Both hashing threads are held by the test: a check that ran on the event loop would
    hold the loop too, and the page asked for meanwhile would never come."""
    app = login.make_app(SECRET, passwords={"mei": PASSWORD})
    pending = pending_of(app)
    release = threading.Event()
    with serve_in_thread(app) as srv:
        page, xsrf = login_page(srv)
        token = page.find("input", attrs={"name": "_xsrf"})["value"]
        body = urlencode({"_xsrf": token, "username": "mei", "password": PASSWORD})
        headers = {**FORM, "Cookie": f"_xsrf={xsrf}"}
        blockers = [login.HASHING.submit(release.wait) for _ in range(2)]
        answers = []
        thread = threading.Thread(
            target=lambda: answers.append(srv.fetch("/login", "POST", body, headers))
        )
        try:
            thread.start()
            for _ in range(3000):  # until the check is in line for a thread
                if pending.count:
                    break
                time.sleep(0.01)
            home = srv.fetch("/")
            still_waiting = not answers
        finally:
            release.set()
            thread.join()
        for blocker in blockers:
            blocker.result()
    assert home.status == 200 and still_waiting
    assert answers[0].status == 303


def test_other_requests_are_served_while_logins_hash():
    """A burst of bad logins at the real scrypt cost, and pages asked for meanwhile.

    Measured, not timed: the answers are counted; the durations are only printed.
    """
    burst = login.MAX_PENDING  # from as many clients: every one is checked
    app = login.make_app(SECRET, passwords={"mei": PASSWORD})
    with serve_in_thread(app, xheaders=True) as srv:
        forms = [login_page(srv) for _ in range(burst)]
        statuses, hashing = [], []

        def post(number, page, xsrf):
            token = page.find("input", attrs={"name": "_xsrf"})["value"]
            fields = {"_xsrf": token, "username": "mei", "password": "guess"}
            headers = {**FORM, "Cookie": f"_xsrf={xsrf}", "X-Real-IP": f"192.0.2.{number}"}
            # A busy machine hashes slowly; the answers are counted, so wait for every one.
            resp = srv.fetch("/login", "POST", urlencode(fields), headers, timeout=120)
            statuses.append(resp.status)

        started = time.perf_counter()
        threads = [threading.Thread(target=post, args=(n, *form)) for n, form in enumerate(forms)]
        for thread in threads:
            thread.start()
        pages = []
        for _ in range(5):
            pages.append(srv.fetch("/").status)
            hashing.append(sum(t.name.startswith("scrypt") for t in threading.enumerate()))
        served = time.perf_counter() - started
        unanswered = burst - len(statuses)
        for thread in threads:
            thread.join()
        total = time.perf_counter() - started
    print(f"\n5 pages served in {served:.3f} s while {unanswered} of {burst} logins were pending;")
    print(f"the burst took {total:.2f} s; scrypt threads seen: {max(hashing)}")
    assert pages == [200] * 5
    assert statuses == [400] * burst
    assert 0 < max(hashing) <= 2  # its own small pool, not the default executor
