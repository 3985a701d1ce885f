from urllib.parse import urlencode

import pytest

from examples.ch02 import postcard

EXAMPLE = postcard

GOOD = {
    "to": "Ada",
    "sender": "Grace",
    "city": "Lisbon",
    "weather": "cloudy",
    "message": "The trams are yellow.\r\n\r\nWish you  were\r\nhere!",
}
HOSTILE = ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>']
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def post(server, fields):
    return server.fetch("/postcard", method="POST", body=urlencode(fields), headers=FORM)


def error_next_to(page, name):
    """The error message in the same paragraph as the field, or None."""
    error = page.find(id=name).find_parent("p").find("strong", class_="error")
    return error and error.text


def field_value(page, name):
    field = page.find(id=name)
    if field.name == "textarea":
        return field.text.replace("\r\n", "\n")
    if field.name == "select":
        selected = field.find("option", selected=True)
        return selected and selected["value"]
    return field["value"]


def test_paragraphs():
    assert postcard.paragraphs(" one\n\n two\nlines \n \n\nthree\n\n") == [
        "one",
        "two\nlines",
        "three",
    ]
    assert postcard.paragraphs("  ") == []


@pytest.mark.reader
def test_form(server):
    page = server.page("/")
    form = page.find("form")
    assert (form["method"], form["action"]) == ("post", "/postcard")
    for name, limit in postcard.LIMITS.items():
        assert page.find(id=name)["maxlength"] == str(limit)
        assert field_value(page, name) == ""
        assert error_next_to(page, name) is None
    options = [option["value"] for option in page.find(id="weather").find_all("option")]
    assert options == list(postcard.WEATHER)
    assert field_value(page, "weather") == "sunny"
    assert page.find(role="alert") is None


def test_form_is_prefilled_from_the_query(server):
    page = server.fetch("/?to=Grace&sender=%E6%9D%8E%E7%99%BD&city=" + "x" * 50).html
    assert field_value(page, "to") == "Grace"
    assert field_value(page, "sender") == "李白"
    assert field_value(page, "city") == "x" * postcard.LIMITS["city"]


@pytest.mark.parametrize(
    ("weather", "postscript"),
    [
        ("sunny", "P.S. The sun has not stopped shining since I arrived."),
        ("rainy", "P.S. Bring an umbrella if you ever come here."),
        ("cloudy", "P.S. It is cloudy today, but I do not mind."),
        ("snowy", "P.S. It is snowy today, but I do not mind."),
    ],
)
def test_postcard(server, weather, postscript):
    resp = post(server, {**GOOD, "weather": weather})
    assert resp.status == 200
    page = resp.html
    assert page.title.text == "Greetings from Lisbon"
    assert page.h1.text == "Greetings from Lisbon!"
    texts = [p.text.replace("\r\n", "\n") for p in page.article.find_all("p")]
    assert texts == [
        "Dear Ada,",
        "The trams are yellow.",
        "Wish you  were\nhere!",
        postscript,
        "Yours, Grace",
    ]


def test_description_is_squeezed(server):
    page = post(server, GOOD).html
    description = page.find("meta", attrs={"name": "description"})["content"]
    assert description == "The trams are yellow. Wish you were here!"


@pytest.mark.reader
def test_unicode_round_trip(server):
    page = post(server, {**GOOD, "city": "杭州", "sender": "小林"}).html
    assert page.h1.text == "Greetings from 杭州!"
    assert page.article.find_all("p")[-1].text == "Yours, 小林"


@pytest.mark.parametrize(
    ("sender", "to"), [("Grace", "Ada"), ("Tom & Jerry", 'The "Boss"'), ("李 白", "a=b&c=d?")]
)
def test_reply_link_swaps_the_names(server, sender, to):
    page = post(server, {**GOOD, "sender": sender, "to": to}).html
    link = page.find("a", string="Write a reply")["href"]
    assert link.startswith("/?")
    form = server.fetch(link).html
    assert field_value(form, "to") == sender
    assert field_value(form, "sender") == to
    assert field_value(form, "city") == ""


@pytest.mark.parametrize("hostile", HOSTILE)
def test_hostile_text_is_shown_literally(server, hostile):
    fields = {**GOOD, "to": hostile, "sender": hostile, "city": hostile, "message": hostile}
    resp = post(server, fields)
    assert resp.status == 200
    page = resp.html
    assert page.find("script") is None and page.find("img") is None
    assert page.h1.text == f"Greetings from {hostile}!"
    assert page.article.find_all("p")[1].text == hostile
    assert page.find("meta", attrs={"name": "description"})["content"] == hostile
    assert server.fetch(page.find("a", string="Write a reply")["href"]).status == 200


@pytest.mark.parametrize("hostile", HOSTILE)
def test_hostile_text_is_kept_literally_in_the_form(server, hostile):
    fields = {**GOOD, "to": hostile, "city": "", "message": hostile, "weather": hostile}
    resp = post(server, fields)
    assert resp.status == 400
    page = resp.html
    assert page.find("script") is None and page.find("img") is None
    assert field_value(page, "to") == hostile
    assert field_value(page, "message") == hostile
    assert field_value(page, "weather") is None
    assert error_next_to(page, "city") == "Please fill this in."


@pytest.mark.parametrize("missing", [*postcard.LIMITS, "weather"])
def test_missing_field_is_shown_next_to_it(server, missing):
    fields = {name: value for name, value in GOOD.items() if name != missing}
    resp = post(server, fields)
    assert resp.status == 400
    page = resp.html
    assert page.find(role="alert").text == "Please fix 1 field below."
    for name in GOOD:
        if name == missing:
            assert error_next_to(page, name) is not None
        else:
            assert error_next_to(page, name) is None
            assert field_value(page, name) == GOOD[name].replace("\r\n", "\n")


def test_blank_fields_count_as_missing(server):
    resp = post(server, {**GOOD, "to": "   ", "message": "\r\n \r\n"})
    assert resp.status == 400
    page = resp.html
    assert page.find(role="alert").text == "Please fix 2 fields below."
    assert error_next_to(page, "to") == "Please fill this in."
    assert error_next_to(page, "message") == "Please fill this in."


def test_empty_submission(server):
    resp = post(server, {})
    assert resp.status == 400
    assert resp.html.find(role="alert").text == "Please fix 5 fields below."


def test_unknown_weather(server):
    page = post(server, {**GOOD, "weather": "foggy"}).html
    assert error_next_to(page, "weather") == "Please choose one of the listed kinds of weather."
    assert field_value(page, "weather") is None


@pytest.mark.parametrize("name", list(postcard.LIMITS))
def test_over_long_field(server, name):
    limit = postcard.LIMITS[name]
    resp = post(server, {**GOOD, name: "é" * limit})
    assert resp.status == 200
    resp = post(server, {**GOOD, name: "é" * (limit + 1)})
    assert resp.status == 400
    message = f"Please keep this to {limit} characters (it has {limit + 1})."
    assert error_next_to(resp.html, name) == message
    assert field_value(resp.html, name) == "é" * (limit + 1)


def test_invalid_utf8_is_400(server):
    resp = server.fetch("/postcard", method="POST", body=b"to=%FF", headers=FORM)
    assert resp.status == 400


def test_wrong_methods_are_405(server):
    assert server.fetch("/postcard").status == 405
    assert server.fetch("/", method="POST", body=urlencode(GOOD), headers=FORM).status == 405
