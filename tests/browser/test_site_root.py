"""The site's root in Chromium: the edition the browser's languages choose on the first visit,
the reader's own choice remembered, links and deep links left alone; and the alternates of every
built page (docs/_ext/site_root.py, hreflang.py)."""

import contextlib

import pytest
from bs4 import BeautifulSoup

from tests.browser.built_site import SITE, bookconfig, built_pages
from tests.support import require

OFFERED = bookconfig.offered()


@contextlib.contextmanager
def new_page(browser, site_url, **options):
    """A page in a context of its own (a first visit: nothing stored), closed afterwards."""
    context = browser.new_context(base_url=site_url, **options)
    context.set_default_timeout(10_000)
    try:
        yield context.new_page()
    finally:
        context.close()


def path_of(page, site_url):
    return page.url.removeprefix(site_url)


@pytest.mark.parametrize(
    ("locale", "edition"),
    [
        ("en-US", "en"),
        ("en", "en"),
        ("zh-CN", "zh_CN"),
        ("zh-SG", "zh_CN"),
        ("zh-TW", "zh_TW"),
        ("zh-HK", "zh_TW"),
        ("zh-Hant-TW", "zh_TW"),
        ("fr-FR", "zh_CN"),  # no edition: the source
    ],
)
def test_the_first_visit_goes_to_the_browsers_language(browser, site_url, locale, edition):
    with new_page(browser, site_url, locale=locale) as page:
        page.goto("/")
        page.wait_for_url(f"**/{edition}/index.html")
        assert path_of(page, site_url) == f"/{edition}/index.html"


def test_the_first_browser_language_with_an_edition_chooses(browser, site_url):
    with new_page(browser, site_url) as page:
        page.add_init_script(
            "Object.defineProperty(navigator, 'languages', {get: () => ['fr-FR', 'zh-HK', 'en']})"
        )
        page.goto("/")
        page.wait_for_url("**/zh_TW/index.html")


def test_only_the_first_visit_is_chosen_for_the_reader(browser, site_url):
    with new_page(browser, site_url, locale="en-US") as page:
        page.goto("/")
        page.wait_for_url("**/en/index.html")
        page.goto("/")  # the reader comes back to the root: the list, not the guess again
        assert path_of(page, site_url) == "/"
        links = page.locator("ul.book-editions a")
        assert links.evaluate_all("as => as.map(a => a.dataset.edition)") == OFFERED


@pytest.mark.parametrize(
    ("start", "choice"),
    [
        ("/en/ch01.html", "nav.book-languages a.book-language[hreflang='zh-TW']"),  # the switcher
        ("/", "ul.book-editions a[data-edition='zh_TW']"),  # the root page's list
    ],
    ids=["switcher", "root-list"],
)
def test_the_readers_choice_wins_over_the_browsers_languages(browser, site_url, start, choice):
    with new_page(browser, site_url, locale="en-US") as page:
        page.goto(start)
        if start == "/":  # the first visit goes to the guess; coming back shows the list
            page.wait_for_url("**/en/index.html")
            page.goto("/")
        page.locator(choice).click()
        page.wait_for_url("**/zh_TW/*.html")
        page.goto("/")
        page.wait_for_url("**/zh_TW/index.html")


def test_a_reader_coming_from_a_page_of_the_book_sees_the_list(browser, site_url):
    with new_page(browser, site_url, locale="en-US") as page:
        page.goto("/", referer=f"{site_url}/en/ch01.html")
        assert path_of(page, site_url) == "/"
        assert page.locator("ul.book-editions a").count() == len(OFFERED)


def test_deep_links_are_never_redirected(browser, site_url):
    with new_page(browser, site_url, locale="zh-TW") as page:
        for path in ("/en/ch01.html", "/zh_CN/ch08.html", "/en/index.html"):
            page.goto(path)
            page.wait_for_load_state("load")
            assert path_of(page, site_url) == path


def test_without_javascript_the_root_lists_every_edition(browser, site_url):
    with new_page(browser, site_url, locale="en-US", java_script_enabled=False) as page:
        page.goto("/")
        assert path_of(page, site_url) == "/"
        hrefs = page.locator("ul.book-editions a").evaluate_all("as => as.map(a => a.href)")
        assert hrefs == [f"{site_url}/{code}/index.html" for code in OFFERED]


def test_without_a_base_url_no_page_has_hreflang_links():
    """hreflang links must be absolute URLs: Lighthouse's SEO audit failed every page on the
    relative ones. A build without BOOK_BASE_URL (this one) has none; tests/test_site.py checks
    them on a build with a base URL, as the site is published."""
    pages = [p for p in built_pages() if p.split("/")[0] in OFFERED]
    require((SITE / pages[0]).is_file(), "the book is not built: run `nox -s docs` first")
    for path in pages:
        html = BeautifulSoup((SITE / path).read_text("utf-8"), "html.parser")
        assert html.select('link[rel="alternate"][hreflang]') == [], path
