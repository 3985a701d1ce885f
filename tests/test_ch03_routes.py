import pytest
import tornado.web

from examples.ch03 import routes

EXAMPLE = routes


@pytest.mark.reader
def test_home_page_links_come_from_route_names(server):
    page = server.fetch("/").html
    links = {a.string: a["href"] for a in page.select("li a")}
    assert links == {
        "Bai Mudan": "/tea/bai-mudan",
        "Longjing": "/tea/longjing",
        "Tieguanyin": "/tea/tieguanyin",
    }
    assert page.form["action"] == "/pick"
    assert [o["value"] for o in page.select("select[name=tea] option")] == list(routes.TEAS)


@pytest.mark.reader
def test_tea_page_lists_the_others_through_the_ui_module(server):
    page = server.page("/tea/longjing")
    assert page.h1.string == "Longjing"
    others = page.find("p").find_all("a")
    assert [(a.string, a["href"]) for a in others] == [
        ("Bai Mudan", "/tea/bai-mudan"),
        ("Tieguanyin", "/tea/tieguanyin"),
    ]
    assert page.find("a", string="All teas")["href"] == "/"


def test_ui_module_escapes_the_name_it_writes(server, monkeypatch):
    monkeypatch.setitem(routes.TEAS, "tom-and-jerry", '<img src=x onerror="alert(1)"> & tea')
    page = server.fetch("/tea/longjing").html
    assert page.find("img") is None
    link = page.find("a", href="/tea/tom-and-jerry")
    assert link.string == '<img src=x onerror="alert(1)"> & tea'


@pytest.mark.reader
def test_old_addresses_move_permanently_and_keep_the_query(server):
    resp = server.fetch("/teas/bai-mudan")
    assert (resp.status, resp.headers["Location"]) == (301, "/tea/bai-mudan")
    resp = server.fetch("/teas/longjing?ref=menu")
    assert (resp.status, resp.headers["Location"]) == (301, "/tea/longjing?ref=menu")


def test_todays_tea_is_a_temporary_redirect(server):
    resp = server.fetch("/today")
    assert (resp.status, resp.headers["Location"]) == (302, "/tea/longjing")


def test_pick_redirects_to_the_named_route(server):
    resp = server.fetch("/pick?tea=tieguanyin")
    assert (resp.status, resp.headers["Location"]) == (302, "/tea/tieguanyin")


@pytest.mark.parametrize("query", ["", "?tea=", "?tea=Longjing", "?tea=../about", "?tea=%00"])
def test_pick_without_a_known_tea_is_400(server, query):
    resp = server.fetch("/pick" + query)
    assert resp.status == 400
    assert b"Pick one of the teas on the menu" in resp.body


@pytest.mark.parametrize("path", ["/tea/pu-erh", "/tea/Longjing", "/teas/pu-erh", "/teas/A"])
def test_unknown_tea_is_404(server, path):
    resp = server.fetch(path)
    if resp.status in (301, 302):
        resp = server.fetch(resp.headers["Location"])
    assert resp.status == 404


def test_the_application_is_a_subclass_that_knows_its_route_names():
    app = routes.make_app()
    assert isinstance(app, routes.Teahouse)
    assert isinstance(app, tornado.web.Application)
    assert app.settings["ui_modules"] == {"TeaLink": routes.TeaLink}
    assert app.reverse_url("tea", "bai-mudan") == "/tea/bai-mudan"
    assert app.reverse_url("home") == "/"
    with pytest.raises(KeyError, match="teas not found in named urls"):
        app.reverse_url("teas", "longjing")
