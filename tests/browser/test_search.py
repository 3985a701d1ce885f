"""The search page finds pages in every edition; Chinese queries are typed without spaces."""

import urllib.parse

import pytest


def search(page, errors, edition, query):
    """Result page names (e.g. "ch01") for `query` on the search page of `edition`."""
    page.goto(f"{edition}/search.html?q={urllib.parse.quote(query)}")
    assert errors == [], "the search page failed to load its scripts"
    # the search is over when Sphinx replaces the heading's pulsing dots by "Search Results"
    page.locator("#search-results h2:not(:has(span))").wait_for()
    links = page.locator("#search-results ul.search li > a")
    hrefs = [links.nth(i).get_attribute("href") for i in range(links.count())]
    # and says how many pages it found, in the edition's language (Sphinx's own zh_TW catalog
    # has an empty string there; docs/_ext/search_labels.py supplies the book's words)
    summary = page.locator("#search-results p.search-summary").inner_text()
    assert str(len(hrefs)) in summary or len(hrefs) == 1 and "one page" in summary, summary
    assert edition == "en" or "Search" not in summary, summary
    return {urllib.parse.urlsplit(href).path.removesuffix(".html") for href in hrefs}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("协程", "ch01"),
        ("事件循环", "ch01"),
        ("异步编程", "preface"),
        ("Tornado协程", "ch01"),
        ("非阻塞套接字", "ch01"),
    ],
)
def test_chinese_search(page, errors, query, expected):
    assert expected in search(page, errors, "zh_CN", query)
    assert errors == []


@pytest.mark.parametrize(
    ("query", "expected"),
    [("事件迴圈", "ch01"), ("非同步", "preface"), ("處理器", "ch01"), ("資料庫", "ch09")],
)
def test_traditional_chinese_search(page, errors, query, expected):
    """zh_TW's words are index terms: the query is not cut into a shorter word (非同步 was
    looked up as 同步, its opposite)."""
    assert expected in search(page, errors, "zh_TW", query)
    assert page.evaluate("(query) => splitQuery(query)", query) == [query]
    assert errors == []


@pytest.mark.parametrize(("query", "expected"), [("epoll", "ch01"), ("nox", "preface")])
def test_english_search(page, errors, query, expected):
    assert expected in search(page, errors, "en", query)
    assert errors == []
