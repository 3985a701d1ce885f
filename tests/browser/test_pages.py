"""Every page of every edition loads cleanly, and the language switcher links the editions."""

import pytest

from tests.browser.conftest import built_pages


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
