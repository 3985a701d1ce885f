from urllib.parse import urlencode

import pytest

from examples.ch03 import guestbook

EXAMPLE = guestbook
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'


def sign(server, **fields):
    return server.fetch("/", method="POST", body=urlencode(fields), headers=FORM)


def comments(page):
    """(comment text, name) of every entry shown, newest first."""
    return [(q.p.get_text(), q.footer.get_text()) for q in page.select("blockquote.comment")]


def error_after(page, field_id):
    """The error message placed right after a form field, or None."""
    span = page.find(id=field_id).find_next_sibling("span", class_="error")
    return span.string if span else None


@pytest.mark.reader
def test_empty_guestbook(server):
    page = server.page("/")
    assert page.find("input", id="name")["value"] == ""
    assert page.find("textarea", id="comment").string is None
    assert page.select(".error") == []
    assert comments(page) == []
    assert page.find(string="No comments yet. Be the first!")


@pytest.mark.reader
def test_signing_redirects_and_shows_the_comment(server):
    resp = sign(server, name="Mei", comment="The Dianhong was lovely.")
    assert resp.status == 303
    assert resp.headers["Location"] == "/"
    page = server.fetch("/").html
    assert comments(page) == [("The Dianhong was lovely.", "Mei")]
    assert page.find(string="No comments yet. Be the first!") is None


def test_newest_comment_comes_first(server):
    sign(server, name="Ann", comment="first")
    sign(server, name="Bo", comment="second")
    assert comments(server.fetch("/").html) == [("second", "Bo"), ("first", "Ann")]


def test_only_the_newest_comments_are_kept(server):
    for number in range(guestbook.KEEP + 1):
        assert sign(server, name="Lu", comment=f"visit {number}").status == 303
    shown = comments(server.fetch("/").html)
    assert len(shown) == guestbook.KEEP
    assert shown[0][0] == f"visit {guestbook.KEEP}" and shown[-1][0] == "visit 1"


@pytest.mark.parametrize(("name", "comment"), [(IMG, SCRIPT), (SCRIPT, IMG)])
def test_hostile_comment_comes_back_as_text(server, name, comment):
    assert sign(server, name=name, comment=comment).status == 303
    resp = server.fetch("/")
    page = resp.html
    assert page.find("script") is None and page.find("img") is None
    assert comments(page) == [(comment, name)]
    assert "&lt;script&gt;" in resp.text and "&quot;&gt;&lt;img" in resp.text


def test_urls_become_links_but_only_http_and_https(server):
    comment = (
        "Menu at https://example.com/teas?kind=green&sort=price or www.example.org, "
        "not javascript:alert(1) nor javascript://%0aalert(1) "
        'nor https://example.net/"onmouseover=alert(1)'
    )
    sign(server, name="Kai", comment=comment)
    quote = server.fetch("/").html.select_one("blockquote.comment")
    links = quote.find_all("a")
    assert [a["href"] for a in links] == [
        "https://example.com/teas?kind=green&sort=price",
        "http://www.example.org",
        'https://example.net/"onmouseover=alert(1)',
    ]
    assert all(a["rel"] == ["nofollow", "ugc"] for a in links)
    assert all(set(a.attrs) == {"href", "rel"} for a in links)
    assert quote.p.get_text() == comment


@pytest.mark.parametrize(
    ("fields", "name_error", "comment_error"),
    [
        ({}, "Please fill in your name.", "Please fill in your comment."),
        ({"name": "  ", "comment": "hi"}, "Please fill in your name.", None),
        ({"name": "Mei"}, None, "Please fill in your comment."),
        (
            {"name": "M" * 41, "comment": "c" * 501},
            "Please keep your name to 40 characters; this one has 41.",
            "Please keep your comment to 500 characters; this one has 501.",
        ),
    ],
)
def test_bad_form_is_400_with_errors_next_to_fields(server, fields, name_error, comment_error):
    resp = sign(server, **fields)
    assert resp.status == 400
    page = resp.html
    assert error_after(page, "name") == name_error
    assert error_after(page, "comment") == comment_error
    assert comments(page) == []


def test_longest_allowed_fields_are_accepted(server):
    assert sign(server, name="N" * 40, comment="好" * 500).status == 303
    assert comments(server.fetch("/").html) == [("好" * 500, "N" * 40)]


def test_rejected_form_keeps_hostile_input_escaped(server):
    resp = sign(server, name=IMG, comment="")
    assert resp.status == 400
    page = resp.html
    assert page.find("img") is None and page.find("script") is None
    assert page.find("input", id="name")["value"] == IMG
    assert 'value="&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"' in resp.text
    assert error_after(page, "comment") == "Please fill in your comment."


def test_rejected_comment_is_kept_in_the_textarea(server):
    resp = sign(server, name="", comment=SCRIPT + "</textarea>")
    assert resp.status == 400
    assert resp.html.find("script") is None
    assert resp.html.find("textarea", id="comment").string == SCRIPT + "</textarea>"


def test_bad_utf8_is_400(server):
    resp = server.fetch("/", method="POST", body=b"name=%FF&comment=x", headers=FORM)
    assert resp.status == 400
    assert comments(server.fetch("/").html) == []


def test_other_methods_are_405(server):
    assert server.fetch("/", method="DELETE").status == 405
