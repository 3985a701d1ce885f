import re

import pytest
import tornado.web

from examples.ch03 import teahouse
from tests.support import serve_in_thread

EXAMPLE = teahouse
CSS = teahouse.BASE / "static" / "teahouse.css"


def check_layout(page, title, current):
    """The parts every page inherits from base.html."""
    assert page.title.string == f"{title} · Little Kettle"
    assert page.select_one("header .shop a")["href"] == "/"
    assert [a["href"] for a in page.select("header nav a")] == ["/", "/about"]
    marked = [a["href"] for a in page.select('nav a[aria-current="page"]')]
    assert marked == ([current] if current else [])
    assert "12 Lantern Lane" in page.select_one("footer p").string
    assert len(page.select("main")) == 1


@pytest.mark.parametrize(
    ("path", "title", "current"),
    [("/", "Our teas", "/"), ("/tea/longjing", "Longjing", "/"), ("/about", "About us", "/about")],
)
def test_every_page_shares_the_layout(server, path, title, current):
    resp = server.fetch(path)
    assert resp.status == 200
    check_layout(resp.html, title, current)


@pytest.mark.reader
def test_home_lists_every_tea_through_the_included_card(server):
    page = server.fetch("/").html
    cards = page.select("main ul.teas > li.tea-card")
    assert [card.a["href"] for card in cards] == [f"/tea/{tea.slug}" for tea in teahouse.TEAS]
    assert [card.a.string for card in cards] == [tea.name for tea in teahouse.TEAS]
    assert cards[0].select_one(".price").string == "¥68"
    assert "green" in cards[0]["class"]


def test_block_in_included_footer_is_filled_only_by_home(server):
    assert server.fetch("/").html.select_one("footer p.note").string == "Prices are per 50 g tin."
    assert server.fetch("/about").html.select_one("footer p.note") is None


def test_tea_page(server):
    page = server.fetch("/tea/tieguanyin").html
    assert page.h1.string == "Tieguanyin"
    assert page.select_one("p.meta").string == "Oolong tea from Anxi, Fujian, ¥54 per 50 g."
    assert page.select_one("p.brew").string == "Brew with water at 95 °C for 1 min."


def test_trusted_notes_are_output_raw(server):
    notes = server.fetch("/tea/longjing").html.select_one("p.notes")
    assert notes.em.string == "roasted chestnut"
    assert notes.get_text() == "Flat, pan-fired leaves that smell of roasted chestnut."


def test_about_overrides_only_the_nested_tagline(server):
    page = server.fetch("/about").html
    assert page.select_one(".tagline").string == "a family shop on Lantern Lane"
    assert page.select_one(".shop a").string == "Little Kettle"
    assert server.fetch("/").html.select_one(".tagline").string == "loose-leaf tea since 1998"


def test_about_shows_template_syntax_literally(server):
    codes = [code.string for code in server.fetch("/about").html.select("main code")]
    assert codes == ['{% extends "base.html" %}', "{% block content %}", "{{ tea.name }}"]


@pytest.mark.reader
def test_unknown_tea_is_404_in_the_layout(server):
    resp = server.fetch("/tea/pu-erh")
    assert resp.status == 404
    check_layout(resp.html, "404 Not Found", "/")
    assert resp.html.select_one("p.error").string == "we do not sell a tea called pu-erh"


def test_unknown_page_is_404_in_the_layout(server):
    resp = server.fetch("/tea/Longjing")
    assert resp.status == 404
    check_layout(resp.html, "404 Not Found", None)
    assert resp.html.select_one("p.error").string == "there is no page at /tea/Longjing"


def test_hostile_path_is_escaped(server):
    path = '/<script>alert(1)</script>"><img%20src=x%20onerror=alert(1)>'
    resp = server.fetch(path)
    assert resp.status == 404
    assert resp.html.find("script") is None and resp.html.find("img") is None
    assert resp.html.select_one("p.error").string == f"there is no page at {path}"


def test_wrong_method_is_405_in_the_layout(server):
    resp = server.fetch("/about", method="POST", body="")
    assert resp.status == 405
    check_layout(resp.html, "405 Method Not Allowed", "/about")
    assert resp.html.select_one("p.error").string == "Method Not Allowed"


@pytest.mark.reader
def test_stylesheet_is_served_through_static_url(server):
    href = server.fetch("/").html.select_one('head link[rel="stylesheet"]')["href"]
    assert re.fullmatch(r"/static/teahouse\.css\?v=[0-9a-f]+", href)
    resp = server.fetch(href)
    assert resp.status == 200
    assert resp.headers["Content-Type"] == "text/css"
    assert resp.body == CSS.read_bytes()


def test_crash_is_500_page_without_details():
    class Broken(teahouse.BaseHandler):
        def get(self):
            raise RuntimeError("secret internals")

    app = tornado.web.Application(
        [(r"/", Broken)],
        template_path=teahouse.BASE / "templates",
        static_path=teahouse.BASE / "static",
    )
    with serve_in_thread(app) as srv:
        resp = srv.fetch("/")
    assert resp.status == 500
    check_layout(resp.html, "500 Internal Server Error", None)
    assert resp.html.select_one("p.error").string == "Something went wrong on our side."
    assert "secret" not in resp.text
