"""Every page of every edition loads cleanly, the language switcher links the editions, and
the sidebar's download links fetch the edition's EPUB and PDF."""

import pytest

from tests.browser.built_site import EDITIONS, built_pages
from tests.support import require

BOOK_MAGIC = {"EPUB": b"PK\x03\x04", "PDF": b"%PDF-"}


@pytest.mark.parametrize("path", built_pages())
def test_page_loads_without_errors(page, errors, path):
    response = page.goto(path)
    assert response.ok, f"{path}: HTTP {response.status}"
    assert errors == []


def test_language_switcher_round_trip(page, errors):
    page.goto("zh_CN/ch01.html")
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    page.locator("nav.book-languages a.book-language[hreflang='en']").click()
    page.wait_for_url("**/en/ch01.html")
    assert page.locator("html").get_attribute("lang") == "en"
    page.locator("nav.book-languages a.book-language[hreflang='zh-CN']").click()
    page.wait_for_url("**/zh_CN/ch01.html")
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    assert errors == []


@pytest.mark.parametrize("edition", EDITIONS)
def test_download_links_fetch_the_books(page, errors, edition):
    """`nox -s epub pdf` before the site: every page offers both books, and each link works."""
    page.goto(f"{edition}/ch01.html")
    links = page.locator("p.book-downloads a")
    kinds = links.all_inner_texts()
    require(kinds == list(BOOK_MAGIC), f"{edition} offers {kinds}: run `nox -s epub pdf` first")
    for link in links.all():
        response = page.request.get(link.evaluate("a => a.href"))
        assert response.ok, f"{link.get_attribute('href')}: HTTP {response.status}"
        assert response.body().startswith(BOOK_MAGIC[link.inner_text()])
    assert errors == []
