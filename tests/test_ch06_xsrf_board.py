import json
from http.cookies import SimpleCookie
from urllib.parse import urlencode

import pytest

from examples.ch06 import xsrf_board
from tests.ch06_support import SECURITY_HEADERS
from tests.support import serve_in_thread

EXAMPLE = xsrf_board
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
ATTACKER = "http://127.0.0.1:8001"


def open_board(server, cookie=None):
    """The board page, the _xsrf cookie it set (or the one we sent) and the form's token."""
    resp = server.fetch("/", headers={"Cookie": f"_xsrf={cookie}"} if cookie else {})
    assert resp.status == 200
    page = resp.html
    if cookie is None:
        cookie = SimpleCookie(resp.headers["Set-Cookie"])["_xsrf"].value
    token = page.find("input", attrs={"name": "_xsrf"})["value"]
    return page, cookie, token


def post_note(server, text, cookie=None, token=None, headers=None):
    fields = {"text": text} if token is None else {"text": text, "_xsrf": token}
    headers = {**FORM, **(headers or {})}
    if cookie:
        headers["Cookie"] = f"_xsrf={cookie}"
    return server.fetch("/notes", method="POST", body=urlencode(fields), headers=headers)


def notes(server):
    page = server.fetch("/").html
    return [li.find(class_="text").get_text() for li in page.select("#notes li")]


@pytest.mark.reader
def test_empty_board_sets_the_xsrf_cookie(server):
    resp = server.fetch("/")
    cookie = SimpleCookie(resp.headers["Set-Cookie"])["_xsrf"]
    assert cookie["samesite"] == "Lax"
    assert cookie["httponly"] == ""  # board.js must be able to read it
    assert cookie.value.startswith("2|")  # masked token, version 2
    form = resp.html.find("form")
    assert (form["method"], form["action"]) == ("post", "/notes")
    assert form.find("input", attrs={"name": "_xsrf", "type": "hidden"})
    assert notes(server) == []


def test_the_token_is_masked_differently_on_every_page(server):
    _, cookie, first = open_board(server)
    _, same_cookie, second = open_board(server, cookie)
    assert same_cookie == cookie and first != second
    # Both masked tokens stand for the same secret, so both are accepted.
    assert post_note(server, "one", cookie, first).status == 303
    assert post_note(server, "two", cookie, second).status == 303
    assert notes(server) == ["two", "one"]


@pytest.mark.reader
def test_post_with_matching_cookie_and_token(server):
    _, cookie, token = open_board(server)
    resp = post_note(server, "  Lunch at noon  ", cookie, token)
    assert (resp.status, resp.headers["Location"]) == (303, "/")
    assert notes(server) == ["Lunch at noon"]


def test_post_without_token_is_refused(server):
    resp = post_note(server, "Lunch at noon")
    assert resp.status == 403
    assert resp.text == "403 Forbidden: '_xsrf' argument missing from POST\n"
    assert notes(server) == []


def test_token_without_cookie_is_refused(server):
    _, _, token = open_board(server)
    resp = post_note(server, "Lunch at noon", token=token)
    assert resp.status == 403
    assert resp.text == "403 Forbidden: XSRF cookie does not match POST argument\n"


def test_wrong_token_is_refused(server):
    _, cookie, _ = open_board(server)
    _, _, other_token = open_board(server)  # a token for somebody else's cookie
    assert post_note(server, "x", cookie, other_token).status == 403
    assert post_note(server, "x", cookie, "2|00000000|" + "0" * 32 + "|1").status == 403
    resp = post_note(server, "x", cookie, "2|not|hex|at-all")
    assert resp.text == "403 Forbidden: '_xsrf' argument has invalid format\n"
    assert notes(server) == []


def test_the_attack_page_form_is_refused(server):
    """The attacker's form, as a browser on 127.0.0.1:8001 sends it to the board."""
    browser = {"Origin": ATTACKER, "Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate"}
    resp = post_note(server, "Free teapots for everyone!", headers=browser)
    assert resp.status == 403
    assert notes(server) == []


@pytest.mark.parametrize(
    "browser",
    [
        {"Origin": ATTACKER, "Sec-Fetch-Site": "cross-site"},
        {"Origin": ATTACKER, "Sec-Fetch-Site": "same-site"},  # another port, same host
        {"Origin": ATTACKER},  # an older browser: no Sec-Fetch-Site
        {"Origin": "null", "Sec-Fetch-Site": "cross-site"},  # a sandboxed page
        {"Sec-Fetch-Site": "cross-site"},
    ],
)
def test_cross_origin_post_is_refused_even_with_a_token(server, browser):
    # Suppose the attacker did get a cookie and token pair into the victim's browser,
    # for instance by setting the cookie from another port of the same host.
    _, cookie, token = open_board(server)
    resp = post_note(server, "Free teapots!", cookie, token, headers=browser)
    assert resp.status == 403
    assert "not allowed" in resp.text
    assert notes(server) == []


@pytest.mark.parametrize(
    "browser",
    [
        {"Sec-Fetch-Site": "same-origin", "Origin": "http://127.0.0.1:{port}"},
        {"Origin": "http://127.0.0.1:{port}"},  # no Sec-Fetch-Site: Origin is compared to Host
        {"Sec-Fetch-Site": "none"},  # typed into the address bar
        {},  # not a browser
    ],
)
def test_same_origin_post_passes(server, browser):
    headers = {name: value.format(port=server.port) for name, value in browser.items()}
    _, cookie, token = open_board(server)
    assert post_note(server, "Lunch at noon", cookie, token, headers=headers).status == 303
    assert notes(server) == ["Lunch at noon"]


def test_trusted_origins():
    with serve_in_thread(xsrf_board.make_app(trusted_origins=[ATTACKER])) as srv:
        browser = {"Origin": ATTACKER, "Sec-Fetch-Site": "cross-site"}
        _, cookie, token = open_board(srv)
        assert post_note(srv, "from a trusted site", cookie, token, headers=browser).status == 303
        # Trust in an origin does not switch off the token check.
        assert post_note(srv, "no token", headers=browser).status == 403
        assert notes(srv) == ["from a trusted site"]


def like(server, number, cookie=None, token=None):
    headers = {}
    if cookie:
        headers["Cookie"] = f"_xsrf={cookie}"
    if token:
        headers["X-XSRFToken"] = token
    return server.fetch(f"/notes/{number}/like", method="POST", body=b"", headers=headers)


def test_likes_with_the_cookie_echoed_in_a_header(server):
    _, cookie, token = open_board(server)
    post_note(server, "Lunch at noon", cookie, token)
    page = server.fetch("/").html
    number = page.select_one("button.like")["data-note"]
    # board.js sends the cookie's own value back as the header, as a browser script would.
    resp = like(server, number, cookie, cookie)
    assert resp.status == 200
    assert resp.headers["Content-Type"] == "application/json; charset=UTF-8"
    assert json.loads(resp.body) == {"likes": 1}
    assert json.loads(like(server, number, cookie, token).body) == {"likes": 2}
    assert server.fetch("/").html.select_one("button.like .count").get_text() == "2"


def test_likes_without_the_header_are_refused(server):
    _, cookie, token = open_board(server)
    post_note(server, "Lunch at noon", cookie, token)
    assert like(server, 1, cookie).status == 403
    assert like(server, 1, cookie, "2|00000000|" + "0" * 32 + "|1").status == 403
    assert server.fetch("/").html.select_one("button.like .count").get_text() == "0"


def test_like_for_a_missing_note(server):
    _, cookie, _ = open_board(server)
    resp = like(server, 99, cookie, cookie)
    assert resp.status == 404
    assert resp.text == "404 Not Found: no note number 99\n"


@pytest.mark.reader
def test_the_script_is_served_from_the_page(server):
    page = server.fetch("/").html
    src = page.find("script")["src"]
    assert src.startswith("/static/board.js?v=")
    resp = server.fetch(src)
    assert resp.status == 200
    assert '"X-XSRFToken": xsrfToken()' in resp.text
    assert "document.cookie" in resp.text


@pytest.mark.parametrize("hostile", [SCRIPT, IMG])
def test_hostile_notes_are_text(server, hostile):
    _, cookie, token = open_board(server)
    assert post_note(server, hostile, cookie, token).status == 303
    resp = server.fetch("/")
    page = resp.html
    assert page.find("img") is None
    assert [s["src"] for s in page.find_all("script")] == [page.find("script")["src"]]
    assert notes(server) == [hostile]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "Please write something."),
        ("   ", "Please write something."),
        ("é" * 201, "Please keep notes to 200 characters (this one has 201)."),
    ],
)
def test_bad_notes_are_shown_in_the_form(server, text, message):
    _, cookie, token = open_board(server)
    resp = post_note(server, text, cookie, token)
    assert resp.status == 400
    field = resp.html.find("input", id="text")
    assert field["value"] == text.strip()
    assert field.find_next_sibling("strong", class_="error").get_text() == message
    assert notes(server) == []


def test_hostile_text_stays_in_the_form(server):
    _, cookie, token = open_board(server)
    resp = post_note(server, IMG + "x" * 200, cookie, token)
    assert resp.status == 400
    assert resp.html.find("img") is None
    assert resp.html.find("input", id="text")["value"] == IMG + "x" * 200


def test_only_the_newest_notes_are_kept(server):
    _, cookie, token = open_board(server)
    for number in range(xsrf_board.KEEP + 2):
        assert post_note(server, f"note {number}", cookie, token).status == 303
    shown = notes(server)
    assert len(shown) == xsrf_board.KEEP
    assert shown[0] == f"note {xsrf_board.KEEP + 1}" and shown[-1] == "note 2"


def test_errors_without_a_message(server):
    resp = server.fetch("/notes")
    assert (resp.status, resp.text) == (405, "405 Method Not Allowed\n")
    assert server.fetch("/nowhere").status == 404


def answers(server):
    """One answer of each kind the board gives: pages, redirects, JSON and error pages."""
    _, cookie, token = open_board(server)
    yield server.fetch("/")
    yield post_note(server, "Lunch at noon", cookie, token)  # 303
    yield like(server, 1, cookie, cookie)  # 200 JSON
    yield post_note(server, "", cookie, token)  # 400, the form again
    yield post_note(server, "no token")  # 403
    yield server.fetch("/nowhere")  # 404
    yield server.fetch("/nowhere", method="POST", body="")  # 404, whatever its token
    yield like(server, 99, cookie, cookie)  # 404 from a handler
    yield server.fetch("/notes")  # 405


@pytest.mark.parametrize(
    "headers",
    [{}, {"Origin": ATTACKER, "Sec-Fetch-Site": "cross-site"}],
    ids=["no-token", "cross-origin"],
)
def test_a_post_to_no_page_is_a_404(server, headers):
    """Not a 403 for a missing token: like Tornado's own 404 handler, it changes nothing."""
    resp = server.fetch("/nope", method="POST", body="text=hi", headers={**FORM, **headers})
    assert (resp.status, resp.text) == (404, "404 Not Found\n")
    assert {name: resp.headers[name] for name in SECURITY_HEADERS} == SECURITY_HEADERS


def static_answers(server):
    """One answer of each kind the static files give: the file, 304, and every error page."""
    script = server.fetch("/").html.find("script")["src"]
    first = server.fetch(script)
    yield first  # 200
    yield server.fetch(script, method="HEAD")  # 200, no body
    yield server.fetch(script, headers={"If-None-Match": first.headers["Etag"]})  # 304
    yield server.fetch("/static/board.js%00")  # 400, the NUL byte
    yield server.fetch("/static/%ff")  # 400, not UTF-8
    yield server.fetch("/static/")  # 403, a folder
    yield server.fetch("/static/..%2fxsrf_board.py")  # 403, outside the folder
    yield server.fetch("/static/x")  # 404, Tornado's own HTML error page
    yield server.fetch("/static/board.js", method="POST", body="")  # 403, no XSRF token
    yield server.fetch("/static/board.js", method="OPTIONS")  # 405


@pytest.mark.reader
@pytest.mark.parametrize(
    ("answered", "statuses"),
    [
        (answers, [200, 303, 200, 400, 403, 404, 404, 404, 405]),
        (static_answers, [200, 200, 304, 400, 400, 403, 403, 404, 403, 405]),
    ],
    ids=["pages", "static-files"],
)
def test_security_headers_on_every_answer(server, answered, statuses):
    """Every answer, an error page too: a static 404 page could be framed or sniffed like any
    other page."""
    seen = []
    for resp in answered(server):
        seen.append(resp.status)
        assert {name: resp.headers[name] for name in SECURITY_HEADERS} == SECURITY_HEADERS
    assert seen == statuses


def test_the_page_needs_no_inline_code(server):
    """The policy allows no inline scripts or styles, so the page must not contain any."""
    _, cookie, token = open_board(server)
    post_note(server, "Lunch at noon", cookie, token)
    for page in [server.fetch("/").html, post_note(server, "", cookie, token).html]:
        assert [script.get("src") for script in page.find_all("script")] == [
            page.find("script")["src"]
        ]
        assert all(not script.string for script in page.find_all("script"))
        assert page.find("style") is None
        for tag in page.find_all(True):
            assert not [a for a in tag.attrs if a == "style" or a.startswith("on")], tag
