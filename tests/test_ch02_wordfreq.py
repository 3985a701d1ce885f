import json
from collections import Counter
from urllib.parse import urlencode

import pytest

from examples.ch02 import wordfreq
from tests.support import EXAMPLES

EXAMPLE = wordfreq

STATIC = EXAMPLES / "ch02" / "static"
TEXT = "The cat sat on the mat. The cat's hat was flat; the mat, too, was flat. Cats!"
HOSTILE = ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>', "</script><!--<script>"]
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def post(server, **fields):
    fields = {"top": "10", **fields}
    return server.fetch("/report", method="POST", body=urlencode(fields), headers=FORM)


def error_next_to(page, name):
    error = page.find(id=name).find_parent("p").find("strong", class_="error")
    return error and error.text


def rows(page):
    return [[td.text for td in tr.find_all("td")[:4]] for tr in page.find(id="words")("tr")[1:]]


def test_count_words():
    counts = wordfreq.count_words("The cat's hat, THE Cat’s mat; 42 cats_2 Straße STRASSE", False)
    assert counts == Counter(
        {"the": 2, "cat's": 1, "hat": 1, "cat’s": 1, "mat": 1, "cats": 1, "strasse": 2}
    )
    assert wordfreq.count_words("The cat and the hat", True) == Counter(cat=1, hat=1)
    assert wordfreq.count_words("12 + 3 = 15", False) == Counter()


def test_percent():
    assert wordfreq.percent(1, 3) == "33.3%"
    assert wordfreq.percent(2, 2) == "100.0%"


@pytest.mark.reader
def test_form(server):
    page = server.page("/")
    form = page.find("form")
    assert (form["method"], form["action"]) == ("post", "/report")
    assert page.find(id="title")["maxlength"] == str(wordfreq.MAX_TITLE)
    assert page.find(id="text")["maxlength"] == str(wordfreq.MAX_TEXT)
    options = [option.text for option in page.find(id="top")("option")]
    assert options == list(wordfreq.TOP_CHOICES)
    assert page.find(id="top").find("option", selected=True).text == "10"
    assert page.find(id="skip_common").has_attr("checked")
    assert page.find("strong", class_="error") is None


@pytest.mark.reader
def test_stylesheet_through_the_page(server):
    link, resp = server.stylesheet()
    assert link.startswith("/static/style.css?v=")
    assert resp.status == 200
    assert resp.headers["Content-Type"] == "text/css"
    assert resp.headers["Cache-Control"] == "max-age=315360000"
    assert resp.body == (STATIC / "style.css").read_bytes()


def test_report_links_its_script(server):
    page = post(server, text=TEXT).html
    assert page.find("link", rel="stylesheet")["href"].startswith("/static/style.css?v=")
    src = page.find("script")["src"]
    assert src.startswith("/static/wordfreq.js?v=")
    resp = server.fetch(src)
    assert resp.status == 200
    assert resp.headers["Content-Type"] == "text/javascript"
    assert resp.body == (STATIC / "wordfreq.js").read_bytes()


def test_version_is_the_content_hash(server):
    link = server.fetch("/").html.find("link", rel="stylesheet")["href"]
    other = post(server, text=TEXT).html.find("link", rel="stylesheet")["href"]
    assert link == other
    assert len(link.split("?v=")[1]) == 128


def test_unversioned_static_url_is_not_cached_for_long(server):
    resp = server.fetch("/static/style.css")
    assert resp.status == 200
    assert "Cache-Control" not in resp.headers


@pytest.mark.parametrize(
    ("path", "status"),
    [("/static/missing.css", 404), ("/static/../wordfreq.py", 403), ("/static/", 403)],
)
def test_static_files_stay_in_their_folder(server, path, status):
    assert server.fetch(path).status == status


@pytest.mark.reader
def test_report(server):
    resp = post(server, title="Cats", text=TEXT, skip_common="on")
    assert resp.status == 200
    page = resp.html
    assert page.title.text == "Word frequencies: Cats"
    assert page.h1.text == "Cats"
    assert page.find("p").text == "77 characters, 10 words counted, 8 different."
    assert rows(page)[:3] == [
        ["1", "mat", "2", "20.0%"],
        ["2", "flat", "2", "20.0%"],
        ["3", "cat", "1", "10.0%"],
    ]
    widths = [span["style"] for span in page.find_all("span", class_="bar")]
    assert widths[:3] == ["width: 100.0%", "width: 100.0%", "width: 50.0%"]
    assert len(widths) == 8


def test_common_words_are_counted_when_asked(server):
    page = post(server, text=TEXT).html
    assert page.title.text == "Word frequencies"
    assert page.h1.text == "Your text"
    assert rows(page)[0] == ["1", "the", "4", "23.5%"]
    assert len(rows(page)) == 10


@pytest.mark.parametrize("top", wordfreq.TOP_CHOICES)
def test_top_limits_the_table(server, top):
    text = " ".join(f"w{'x' * n}" for n in range(60))
    assert len(rows(post(server, text=text, top=top).html)) == int(top)


@pytest.mark.parametrize("title", [*HOSTILE, 'Moby-Dick; or, "The Whale" 白鲸'])
def test_report_data_survives_json_and_html(server, title):
    resp = post(server, title=title, text=TEXT, skip_common="on")
    assert resp.status == 200
    page = resp.html
    assert [tag.name for tag in page.find_all(["script", "img"])] == ["script"]
    assert page.h1.text == title
    data = json.loads(page.find(id="words")["data-report"])
    assert data["title"] == title
    assert data["words"][:2] == [["mat", 2], ["flat", 2]]
    assert b"</script><!--" not in resp.body


@pytest.mark.parametrize("hostile", HOSTILE)
def test_hostile_input_is_kept_literally_in_the_form(server, hostile):
    resp = post(server, title=hostile * 10, text=hostile, top=hostile)
    assert resp.status == 400
    page = resp.html
    assert page.find("script") is None and page.find("img") is None
    assert page.find(id="title")["value"] == hostile * 10
    assert page.find(id="text").text == hostile
    assert page.find(id="top").find("option", selected=True) is None
    assert error_next_to(page, "title") == "Please keep the title to 80 characters."
    assert error_next_to(page, "top") == "Please choose one of the listed sizes."


def test_missing_text(server):
    resp = post(server, title="Empty")
    assert resp.status == 400
    page = resp.html
    assert error_next_to(page, "text") == "Please paste some text."
    assert page.find(id="title")["value"] == "Empty"
    assert not page.find(id="skip_common").has_attr("checked")


def test_over_long_text_gets_a_friendly_message(server):
    # 20,001 Chinese characters are about 180 kB once form-encoded: under MAX_BODY_SIZE.
    text = "字" * (wordfreq.MAX_TEXT + 1)
    resp = post(server, text=text, skip_common="on")
    assert resp.status == 400
    page = resp.html
    assert error_next_to(page, "text") == "This text has 20,001 characters; the limit is 20,000."
    assert page.find(id="text").text == text
    assert page.find(id="skip_common").has_attr("checked")


@pytest.mark.parametrize(("text", "skip"), [("1, 2, 3!", ""), ("To be or not to be", "on")])
def test_no_words_to_count(server, text, skip):
    resp = post(server, text=text, skip_common=skip)
    assert resp.status == 400
    assert error_next_to(resp.html, "text") == "There are no words left to count in this text."


def test_missing_top(server):
    resp = server.fetch("/report", method="POST", body=urlencode({"text": TEXT}), headers=FORM)
    assert resp.status == 400
    assert error_next_to(resp.html, "top") == "Please choose one of the listed sizes."


def test_get_report_goes_back_to_the_form(server):
    resp = server.fetch("/report")
    assert (resp.status, resp.headers["Location"]) == (302, "/")


def test_wrong_methods_are_405(server):
    assert server.fetch("/", method="POST", body=b"", headers=FORM).status == 405
    assert server.fetch("/report", method="DELETE").status == 405
