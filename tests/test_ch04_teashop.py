import os
import re
import subprocess
from pathlib import Path
from urllib.parse import urlencode

import pytest
import sqlalchemy

from examples.ch04 import dictionary, dictionary_readonly, teashop
from tests.ch04_support import outcome, query
from tests.support import ROOT

EXAMPLE = teashop
CSS = teashop.BASE / "static" / "teashop.css"
SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
GOOD = {
    "slug": "bai-mudan",
    "name": "Bai Mudan",
    "origin": "Fuding, Fujian",
    "price": "48",
    "notes": "Buds and young leaves, dried in the sun.",
}


def xsrf(server, path="/new"):
    """The _xsrf cookie a form page sets, and the token its form carries."""
    resp = server.fetch(path)
    cookie = re.match(r"_xsrf=([^;]+)", resp.headers["Set-Cookie"])[1]
    token = resp.html.find("input", attrs={"name": "_xsrf", "type": "hidden"})["value"]
    return cookie, token


def submit(server, path, fields, token=True, page=None):
    """POST a form as a browser does after loading it from page (token=False: without its token)."""
    cookie, value = xsrf(server, page or path)
    fields = {**fields, "_xsrf": value} if token else fields
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": f"_xsrf={cookie}"}
    return server.fetch(path, method="POST", body=urlencode(fields), headers=headers)


def count_teas(database_url):
    return query(teashop, database_url, "SELECT count(*) FROM teas")[0][0]


def error_after(page, field_id):
    """The error message placed right after a form field, or None."""
    span = page.find(id=field_id).find_next_sibling("span", class_="error")
    return span.string if span else None


def check_layout(page, title):
    assert page.title.string == f"{title} · Little Kettle"
    assert [a["href"] for a in page.select("header a")] == ["/", "/", "/new"]
    assert len(page.select("main")) == 1


@pytest.mark.reader
def test_home_lists_the_teas_by_name(server):
    resp = server.fetch("/")
    assert resp.status == 200
    check_layout(resp.html, "Our teas")
    items = resp.html.select("main ul.teas > li")
    assert [li.a.string for li in items] == ["Dianhong", "Longjing", "Tieguanyin"]
    assert [li.a["href"] for li in items] == ["/tea/dianhong", "/tea/longjing", "/tea/tieguanyin"]
    assert items[1].select_one(".origin").string == "Hangzhou, Zhejiang"
    assert items[1].select_one(".price").string == "¥68"


@pytest.mark.reader
def test_each_row_is_rendered_by_the_tea_row_module_whose_css_comes_once(server, database_url):
    query(teashop, database_url, "DELETE FROM teas WHERE slug <> 'longjing'")
    one = server.fetch("/").html
    assert [li.a.string for li in one.select("main ul.teas > li")] == ["Longjing"]
    query(teashop, database_url, teashop.INSERT.text, **{**GOOD, "price": 48})
    page = server.fetch("/").html
    assert len(page.select("main ul.teas > li")) == 2
    css = teashop.TeaRow.embedded_css(None)
    assert [style.string.strip() for style in page.select("head style")] == [css]
    assert ".teas" not in CSS.read_text()  # the row's layout travels with the module


def test_empty_shop_invites_the_first_tea(server, database_url):
    query(teashop, database_url, "DELETE FROM teas")
    page = server.fetch("/").html
    assert page.select("ul.teas li") == []
    assert page.select("head style") == []  # no row, no module, no CSS of its own
    assert page.find("a", string="Add the first one.")["href"] == "/new"


def test_tea_page(server):
    page = server.page("/tea/tieguanyin")
    check_layout(page, "Tieguanyin")
    assert page.h1.string == "Tieguanyin"
    assert page.select_one("p.meta").string == "From Anxi, Fujian, ¥54 per 50 g."
    assert page.select_one("p.notes").string == teashop.SAMPLES[1]["notes"]
    assert page.find("a", string="Edit this tea")["href"] == "/tea/tieguanyin/edit"


@pytest.mark.parametrize("path", ["/tea/pu-erh", "/tea/pu-erh/edit"])
def test_unknown_tea_is_404(server, path):
    resp = server.fetch(path)
    assert resp.status == 404
    check_layout(resp.html, "404 Not Found")
    assert resp.html.select_one("p.error").string == "we do not sell a tea called pu-erh"


def test_unknown_tea_cannot_be_edited(server, database_url):
    resp = submit(server, "/tea/pu-erh/edit", GOOD, page="/new")
    assert resp.status == 404
    assert resp.html.select_one("p.error").string == "we do not sell a tea called pu-erh"
    assert count_teas(database_url) == 3


def test_unknown_page_and_hostile_path_are_escaped_404s(server):
    path = f"/{SCRIPT}{IMG}".replace(" ", "%20")
    resp = server.fetch(path)
    assert resp.status == 404
    assert resp.html.find("script") is None and resp.html.find("img") is None
    assert resp.html.select_one("p.error").string == f"there is no page at {path}"


def test_new_form_is_empty_and_carries_the_xsrf_token(server):
    resp = server.fetch("/new")
    assert resp.status == 200
    page = resp.html
    check_layout(page, "Add a tea")
    form = page.find("form")
    assert (form["method"], form["action"]) == ("post", "/new")
    assert form.find("input", attrs={"name": "_xsrf", "type": "hidden"})["value"]
    for field in ("slug", "name", "origin", "price"):
        assert form.find("input", id=field)["value"] == ""
    assert form.find("textarea", id="notes").string is None
    assert page.select(".error") == []
    assert "_xsrf=" in resp.headers["Set-Cookie"]


@pytest.mark.reader
def test_adding_a_tea_redirects_to_its_page(server, database_url):
    resp = submit(server, "/new", GOOD)
    assert (resp.status, resp.headers["Location"]) == (303, "/tea/bai-mudan")
    page = server.fetch("/tea/bai-mudan").html
    assert page.h1.string == "Bai Mudan"
    assert page.select_one("p.meta").string == "From Fuding, Fujian, ¥48 per 50 g."
    assert "Bai Mudan" in [a.string for a in server.fetch("/").html.select("ul.teas a")]
    row = query(teashop, database_url, "SELECT * FROM teas WHERE slug = 'bai-mudan'")
    assert row == [("bai-mudan", "Bai Mudan", "Fuding, Fujian", 48, GOOD["notes"])]


@pytest.mark.parametrize(
    "token", [None, "forged"], ids=["without-token", "with-a-token-that-does-not-match"]
)
def test_post_without_matching_xsrf_token_is_403(server, database_url, token):
    if token is None:
        resp = submit(server, "/new", GOOD, token=False)
        message = "'_xsrf' argument missing from POST"
    else:
        resp = submit(server, "/new", {**GOOD, "_xsrf": token}, token=False)
        message = "XSRF cookie does not match POST argument"
    assert resp.status == 403
    check_layout(resp.html, "403 Forbidden")
    assert resp.html.select_one("p.error").string == message
    assert count_teas(database_url) == 3


def test_xsrf_cookie_comes_with_the_first_form_and_every_page_masks_the_token_anew(server):
    # A page without a form reads no token, so it sets no cookie.
    assert "Set-Cookie" not in server.fetch("/").headers
    cookie, first = xsrf(server)
    again = server.fetch("/new", headers={"Cookie": f"_xsrf={cookie}"})
    assert "Set-Cookie" not in again.headers  # the cookie stays as it is
    second = again.html.find("input", attrs={"name": "_xsrf", "type": "hidden"})["value"]
    assert second != first  # a new random mask on every page
    fields = {**GOOD, "_xsrf": second}
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": f"_xsrf={cookie}"}
    resp = server.fetch("/new", method="POST", body=urlencode(fields), headers=headers)
    assert resp.status == 303


@pytest.mark.parametrize("method", ["DELETE", "PUT", "PATCH"])
def test_xsrf_check_covers_every_method_but_get_head_options(server, method):
    cookie, token = xsrf(server)
    headers = {"Cookie": f"_xsrf={cookie}"}
    body = "" if method != "DELETE" else None
    resp = server.fetch("/tea/longjing", method=method, body=body, headers=headers)
    assert resp.status == 403  # checked before Tornado finds that the handler has no such method
    resp = server.fetch(
        "/tea/longjing", method=method, body=body, headers={**headers, "X-XSRFToken": token}
    )
    assert resp.status == 405
    for safe in ("GET", "HEAD", "OPTIONS"):
        assert server.fetch("/tea/longjing", method=safe).status != 403


BAD_FIELDS = [
    ({"slug": "Bai Mudan"}, "slug", "Use 1 to 40 lowercase letters, digits or hyphens."),
    ({"slug": ""}, "slug", "Use 1 to 40 lowercase letters, digits or hyphens."),
    ({"slug": "x" * 41}, "slug", "Use 1 to 40 lowercase letters, digits or hyphens."),
    ({"slug": "longjing"}, "slug", "There is already a tea with this slug."),
    ({"name": "  "}, "name", "Please fill in the name."),
    ({"origin": "o" * 61}, "origin", "Please keep the origin to 60 characters; this one has 61."),
    ({"notes": "茶" * 501}, "notes", "Please keep the notes to 500 characters; this one has 501."),
    ({"price": "0"}, "price", "Give the price in whole yuan, from 1 to 9999."),
    ({"price": "12.5"}, "price", "Give the price in whole yuan, from 1 to 9999."),
    ({"price": "10000"}, "price", "Give the price in whole yuan, from 1 to 9999."),
    ({"price": "²"}, "price", "Give the price in whole yuan, from 1 to 9999."),
]


def test_bad_fields_are_400_with_the_message_next_to_the_field(server, database_url):
    for change, field, message in BAD_FIELDS:
        form = {**GOOD, **change}
        resp = submit(server, "/new", form)
        assert resp.status == 400, change
        page = resp.html
        check_layout(page, "Add a tea")
        assert error_after(page, field) == message
        assert [span.string for span in page.select(".error")] == [message]
        for name in ("slug", "name", "origin", "price"):
            assert page.find("input", id=name)["value"] == form[name].strip()
        assert page.find("textarea", id="notes").string == form["notes"]
    assert count_teas(database_url) == 3


def test_every_bad_field_gets_its_own_message(server):
    resp = submit(server, "/new", {})
    assert resp.status == 400
    page = resp.html
    assert error_after(page, "slug") == "Use 1 to 40 lowercase letters, digits or hyphens."
    assert error_after(page, "name") == "Please fill in the name."
    assert error_after(page, "origin") == "Please fill in the origin."
    assert error_after(page, "price") == "Give the price in whole yuan, from 1 to 9999."
    assert error_after(page, "notes") == "Please fill in the notes."


def test_edit_form_is_filled_in(server):
    page = server.page("/tea/longjing/edit")
    check_layout(page, "Edit longjing")
    assert page.find("form")["action"] == "/tea/longjing/edit"
    assert page.find("input", id="slug") is None
    assert page.select_one("form code").string == "/tea/longjing"
    assert page.find("input", id="name")["value"] == "Longjing"
    assert page.find("input", id="price")["value"] == "68"
    assert page.find("textarea", id="notes").string == teashop.SAMPLES[0]["notes"]


def test_editing_changes_the_tea_but_not_its_address(server, database_url):
    change = {**GOOD, "slug": "ignored", "name": "Xihu Longjing", "price": "88"}
    resp = submit(server, "/tea/longjing/edit", change)
    assert (resp.status, resp.headers["Location"]) == (303, "/tea/longjing")
    page = server.fetch("/tea/longjing").html
    assert page.h1.string == "Xihu Longjing"
    assert page.select_one("p.meta").string == "From Fuding, Fujian, ¥88 per 50 g."
    assert server.fetch("/tea/ignored").status == 404
    assert count_teas(database_url) == 3


def test_bad_edit_is_400_and_changes_nothing(server):
    resp = submit(server, "/tea/longjing/edit", {**GOOD, "price": "free", "name": IMG})
    assert resp.status == 400
    page = resp.html
    check_layout(page, "Edit longjing")
    assert error_after(page, "price") == "Give the price in whole yuan, from 1 to 9999."
    assert page.find("input", id="name")["value"] == IMG
    assert page.find("img") is None
    assert server.fetch("/tea/longjing").html.h1.string == "Longjing"


HOSTILE = {
    "slug": "x",
    "name": SCRIPT,
    "origin": IMG,
    "price": "1",
    "notes": "'; DROP TABLE teas; -- \" OR 1=1 -- 龙井 🍵 </textarea><b>bold</b>",
}


def test_hostile_text_is_stored_exactly_and_shown_escaped(server, database_url):
    assert submit(server, "/new", HOSTILE).status == 303
    pages = [server.fetch(path) for path in ("/", "/tea/x", "/tea/x/edit")]
    for resp in pages:
        assert resp.status == 200
        page = resp.html
        assert page.find("script") is None and page.find("img") is None and page.find("b") is None
        assert "&lt;script&gt;" in resp.text
    assert pages[0].html.find("a", href="/tea/x").string == SCRIPT
    tea = pages[1].html
    assert tea.h1.string == SCRIPT
    assert tea.select_one("p.meta").string == f"From {IMG}, ¥1 per 50 g."
    assert tea.select_one("p.notes").string == HOSTILE["notes"]
    form = pages[2].html
    assert form.find("input", id="origin")["value"] == IMG
    assert form.find("textarea", id="notes").string == HOSTILE["notes"]
    assert count_teas(database_url) == 4
    rows = query(teashop, database_url, "SELECT name, origin, notes FROM teas WHERE slug = 'x'")
    assert rows == [(SCRIPT, IMG, HOSTILE["notes"])]


def test_control_characters_become_spaces(server, database_url):
    fields = {**GOOD, "name": "Bai\x00Mudan\x07", "notes": "line one\r\nline two"}
    assert submit(server, "/new", fields).status == 303
    rows = query(teashop, database_url, "SELECT name, notes FROM teas WHERE slug = 'bai-mudan'")
    assert rows == [("Bai Mudan", "line one\r\nline two")]


@pytest.mark.reader
def test_stylesheet_is_served_through_static_url(server):
    href = server.fetch("/").html.select_one('head link[rel="stylesheet"]')["href"]
    assert re.fullmatch(r"/static/teashop\.css\?v=[0-9a-f]+", href)
    resp = server.fetch(href)
    assert (resp.status, resp.headers["Content-Type"]) == (200, "text/css")
    assert resp.body == CSS.read_bytes()


def test_database_failure_is_500_without_details(server, database_url):
    query(teashop, database_url, "DROP TABLE teas")
    resp = server.fetch("/")
    assert resp.status == 500
    check_layout(resp.html, "500 Internal Server Error")
    assert resp.html.select_one("p.error").string == "Something went wrong on our side."
    assert "teas" not in resp.html.select_one("main").get_text()


def test_seed_command_replaces_the_teas(database_url):
    command = (teashop, "--seed", f"--database-url={database_url}")
    assert outcome(*command) == (0, "loaded 3 sample teas\n", "")
    query(teashop, database_url, "UPDATE teas SET price = 1")
    assert outcome(*command)[0] == 0
    assert query(teashop, database_url, "SELECT slug, price FROM teas ORDER BY slug") == [
        ("dianhong", 42),
        ("longjing", 68),
        ("tieguanyin", 54),
    ]


def test_seed_replaces_a_table_of_an_older_shape(database_url):
    """A teas table left by an earlier version of the program, without `notes`, is replaced."""
    query(teashop, database_url, "CREATE TABLE teas (slug TEXT PRIMARY KEY, name TEXT)")
    assert outcome(teashop, "--seed", f"--database-url={database_url}")[0] == 0
    rows = query(teashop, database_url, "SELECT slug, notes FROM teas ORDER BY slug")
    assert rows == sorted((tea["slug"], tea["notes"]) for tea in teashop.SAMPLES)


def test_cleanup_removes_the_chapters_database_files_and_nothing_else(tmp_path):
    """The page's `rm` command, run with TMPDIR set: another chapter's file stays."""
    command = (ROOT / "examples/ch04/cleanup.steps.console").read_text().removeprefix("$ ")
    ours = {
        Path(sqlalchemy.make_url(module.DEFAULT_DATABASE).database).name
        for module in (dictionary_readonly, dictionary, teashop)
    }
    for name in [*ours, "tornado-book-club.db"]:
        (tmp_path / name).write_bytes(b"")
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    subprocess.run(["bash", "-c", command], env=env, check=True, timeout=30)
    assert [path.name for path in tmp_path.iterdir()] == ["tornado-book-club.db"]
