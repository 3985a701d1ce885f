import re

import pytest

from examples.ch03 import tasting

EXAMPLE = tasting
STATIC = tasting.BASE / "static"


@pytest.mark.reader
def test_one_card_per_tea_rendered_by_the_module(server):
    resp = server.fetch("/?guests=3")
    assert resp.status == 200
    cards = resp.html.select("body > section.tea-card")
    assert [card.h2.string for card in cards] == [tea.name for tea in tasting.FLIGHT]
    assert cards[2].p.string == "15 g of leaf, water at 95 °C, steep for 60 s."
    assert cards[2].button["data-seconds"] == "60"
    assert "oolong" in cards[2]["class"]


def test_default_is_two_guests(server):
    page = server.fetch("/").html
    assert page.h1.string == "A tasting for 2"
    assert page.select_one("section.tea-card p").string.startswith("6 g of leaf")


def test_css_is_linked_once_in_head(server):
    page = server.fetch("/").html
    links = page.find_all("link", rel="stylesheet")
    assert len(links) == 1
    assert links[0].parent.name == "head"
    assert re.fullmatch(r"/static/tasting\.css\?v=[0-9a-f]+", links[0]["href"])
    styles = page.find_all("style")
    assert len(styles) == 1 and styles[0].parent.name == "head"
    assert ".js .steep { display: inline-block; }" in styles[0].string


def test_javascript_comes_once_at_the_end_of_body(server):
    body = server.fetch("/").html.body
    scripts = body.find_all("script")
    assert len(scripts) == 2
    assert re.fullmatch(r"/static/steep-timer\.js\?v=[0-9a-f]+", scripts[0]["src"])
    assert 'classList.add("js")' in scripts[1].string
    children = [tag for tag in body.children if tag.name]
    assert children[-2:] == scripts
    assert all(card.sourceline < scripts[0].sourceline for card in body.select("section"))


@pytest.mark.reader
def test_module_files_are_served_where_the_page_says(server):
    page = server.fetch("/").html
    urls = {
        "tasting.css": page.find("link", rel="stylesheet")["href"],
        "steep-timer.js": page.find("script", src=True)["src"],
    }
    for name, url in urls.items():
        resp = server.fetch(url)
        assert resp.status == 200
        assert resp.body == (STATIC / name).read_bytes()


@pytest.mark.parametrize(
    ("guests", "fewer", "more"),
    [("1", None, "/?guests=2"), ("4", "/?guests=3", "/?guests=5"), ("8", "/?guests=7", None)],
)
def test_guest_links_come_from_the_ui_method(server, guests, fewer, more):
    page = server.fetch(f"/?guests={guests}").html
    links = {a.string: a["href"] for a in page.select("p.guests a")}
    assert links.get("One guest fewer") == fewer
    assert links.get("One guest more") == more


@pytest.mark.parametrize("guests", ["0", "9", "-1", "two", "", "1" * 5000])
def test_bad_guest_count_is_400(server, guests):
    resp = server.fetch(f"/?guests={guests}")
    assert resp.status == 400
    assert resp.reason == "guests must be from 1 to 8"
