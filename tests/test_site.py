"""The published site: the root page, hreflang alternates, the sitemap, the precompressed files,
and deploy/nginx-site.conf serving them with a real nginx on loopback.

A copy of docs/ with two pages is built in two editions with a base URL (BOOK_BASE_URL, as the
publishing workflow sets it), finished as `nox -s docs` finishes the site (root page, sitemap,
precompressed copies) and served by nginx. The browser tests (tests/browser/test_site_root.py)
check the root's choice in Chromium and the alternates of every page of the real build.
"""

import gzip
import http.client
import os
import re
import shutil
import sys

import pytest
from bs4 import BeautifulSoup

from tests.ch08_support import nginx
from tests.support import ROOT, free_port, sphinx_build

sys.path.insert(0, str(ROOT / "docs" / "_ext"))
sys.path.insert(0, str(ROOT / "deploy"))
import bookconfig  # noqa: E402
import precompress  # noqa: E402
import site_root  # noqa: E402

BASE = "https://books.example.org/tornado/"
PAGES = ("index", "ch01")
BUILT = ("zh_CN", "en")  # two editions are enough; zh_TW is offered too, so it is linked
NGINX_CONF = ROOT / "deploy" / "nginx-site.conf"
OFFERED = bookconfig.offered()
TAGS = {code: code.replace("_", "-") for code in OFFERED}


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """docs/ with index and ch01, built as zh_CN and en into site/<code>/, then finished."""
    root = tmp_path_factory.mktemp("site")
    docs = root / "docs"
    shutil.copytree(ROOT / "docs", docs, ignore=shutil.ignore_patterns("_build"))
    (root / "examples").symlink_to(ROOT / "examples")
    left_out = {p.stem for p in docs.glob("*.md")} - set(PAGES)
    for stem in left_out:
        (docs / f"{stem}.md").unlink()
    index = (docs / "index.md").read_text("utf-8")
    kept = [line for line in index.splitlines() if line.strip() not in left_out]
    (docs / "index.md").write_text("\n".join(kept) + "\n", "utf-8")
    out = root / "html"
    env = {**os.environ, "BOOK_BASE_URL": BASE}
    for code in BUILT:
        sphinx_build(docs, out / code, f"--define=language={code}", cwd=root, env=env)
    site_root.write_root(out / "index.html", base_url=BASE)
    shutil.copy(out / "zh_CN" / "404.html", out / "404.html")
    precompress.precompress(out)
    return out


def soup(path):
    return BeautifulSoup(path.read_text("utf-8"), "html.parser")


def alternates(page):
    return {link["hreflang"]: link["href"] for link in page.select('link[rel="alternate"]')}


# The root page


def test_the_root_is_a_page_listing_every_offered_edition_without_a_redirect():
    page = BeautifulSoup(site_root.root_page(), "html.parser")
    links = {a["data-edition"]: a["href"] for a in page.select("ul.book-editions a")}
    assert links == {code: f"{code}/index.html" for code in OFFERED}
    assert not page.select('meta[http-equiv="refresh"]')  # a crawler and a no-JS reader stay
    assert page.h1 and page.html["lang"] == "zh-CN"
    assert alternates(page) == {
        **{TAGS[code]: f"{code}/index.html" for code in OFFERED},
        "x-default": "./",
    }


def test_the_roots_choice_comes_from_editions_toml():
    script = BeautifulSoup(site_root.root_page(), "html.parser").script.get_text()
    chosen = {code: entry["browser"] for code, entry in bookconfig.editions().items()}
    assert f'"zh_TW": {str(chosen["zh_TW"]).replace(chr(39), chr(34))}' in script
    assert chosen["zh_TW"] and "zh-Hant" in chosen["zh_TW"] and chosen["en"] == ["en"]


def test_a_new_edition_is_chosen_by_its_own_tag_unless_told(tmp_path):
    text = (ROOT / "docs" / "editions.toml").read_text("utf-8")
    extra = '[editions.pt_BR]\nname = "Português"\nstatus = "in-progress"\npublish = true\n'
    (tmp_path / "editions.toml").write_text(text.replace("[drafts]", extra + "[drafts]"))
    assert bookconfig.editions(tmp_path)["pt_BR"]["browser"] == ["pt-BR"]
    assert '"pt_BR": ["pt-BR"]' in site_root.root_page(tmp_path)


def test_with_a_base_url_the_roots_links_are_absolute(site):
    page = soup(site / "index.html")
    assert page.select_one('link[rel="canonical"]')["href"] == BASE
    assert alternates(page) == {
        **{TAGS[code]: f"{BASE}{code}/index.html" for code in OFFERED},
        "x-default": BASE,
    }


# Alternates, canonical, sitemap


@pytest.mark.parametrize("code", BUILT)
@pytest.mark.parametrize("name", PAGES)
def test_every_page_links_every_offered_edition_and_x_default(site, code, name):
    page = soup(site / code / f"{name}.html")
    default = BASE if name == "index" else f"{BASE}zh_CN/{name}.html"
    assert alternates(page) == {
        **{TAGS[c]: f"{BASE}{c}/{name}.html" for c in OFFERED},
        "x-default": default,
    }


@pytest.mark.parametrize("code", BUILT)
def test_the_canonical_url_is_in_the_editions_folder(site, code):
    # Sphinx alone would write BASE + "ch01.html", a page that does not exist
    canonical = soup(site / code / "ch01.html").select('link[rel="canonical"]')
    assert [link["href"] for link in canonical] == [f"{BASE}{code}/ch01.html"]


@pytest.mark.parametrize("code", BUILT)
def test_the_404_pages_links_are_under_the_sites_path(site, code):
    """A missing path anywhere gets the 404 page, so its links are absolute paths: under the
    base URL's path (/tornado/ here, /<repo>/ on a GitHub project site), not the host's root."""
    page = soup(site / code / "404.html")
    stylesheets = [link["href"] for link in page.select('link[rel="stylesheet"]')]
    assert stylesheets and all(h.startswith(f"/tornado/{code}/_static/") for h in stylesheets)
    # the language switcher too (relative links broke under a missing page's folder), to each
    # edition's front page, and the page claims no canonical address of its own
    switcher = [a["href"] for a in page.select("nav.book-languages a")]
    assert switcher == [f"/tornado/{c}/index.html" for c in OFFERED if c != code]
    assert page.select('link[rel="canonical"]') == []


def test_the_sitemap_lists_every_offered_editions_pages_with_alternates(site):
    text = (site / "sitemap.xml").read_text("utf-8")
    locs = re.findall(r"<loc>([^<]+)</loc>", text)
    assert locs == [BASE] + [f"{BASE}{c}/{p}.html" for c in BUILT for p in sorted(PAGES)]
    entry = re.search(rf"<url><loc>{BASE}en/ch01.html</loc>(.*?)</url>", text).group(1)
    found = dict(re.findall(r'hreflang="([^"]+)" href="([^"]+)"', entry))
    assert found == {
        **{TAGS[c]: f"{BASE}{c}/ch01.html" for c in OFFERED},
        "x-default": f"{BASE}zh_CN/ch01.html",
    }
    index = re.search(rf"<url><loc>{BASE}en/index.html</loc>(.*?)</url>", text).group(1)
    assert f'hreflang="x-default" href="{BASE}"' in index
    assert (site / "robots.txt").read_text() == (
        f"User-agent: *\nAllow: /\nSitemap: {BASE}sitemap.xml\n"
    )


def test_without_a_base_url_the_links_are_relative(tmp_path):
    target = tmp_path / "index.html"
    site_root.write_root(target, base_url="")
    assert not (tmp_path / "sitemap.xml").exists() and not (tmp_path / "robots.txt").exists()
    assert not BeautifulSoup(target.read_text("utf-8"), "html.parser").select("link[rel=canonical]")


def test_on_read_the_docs_each_edition_is_a_project_of_its_own(site, tmp_path):
    """Read the Docs serves /<language>/<version>/ and links the translations in its own menu:
    the book's switcher and hreflang links (../en/ch01.html) would lead nowhere there. The
    canonical address is the one Read the Docs gives."""
    docs = site.parent / "docs"
    env = {
        **os.environ,
        "READTHEDOCS": "True",
        "READTHEDOCS_LANGUAGE": "en",
        "READTHEDOCS_CANONICAL_URL": "https://tornado-book.readthedocs.io/en/latest/",
    }
    env.pop("BOOK_BASE_URL", None)
    sphinx_build(docs, tmp_path / "out", cwd=docs.parent, env=env)
    page = soup(tmp_path / "out" / "ch01.html")
    assert page.select("nav.book-languages a") == []
    assert page.select('link[rel="alternate"][hreflang]') == []
    canonical = [link["href"] for link in page.select('link[rel="canonical"]')]
    assert canonical == ["https://tornado-book.readthedocs.io/en/latest/ch01.html"]


# Precompressed copies


def test_precompress_is_reproducible_and_skips_small_files(tmp_path):
    (tmp_path / "a.html").write_text("<p>tea</p>\n" * 500)
    (tmp_path / "small.css").write_text("p{}")
    (tmp_path / "font.woff2").write_bytes(b"\0" * 5000)
    (tmp_path / "gone.js.gz").write_bytes(b"old")
    assert precompress.precompress(tmp_path) == (1, 0, 1)
    first = (tmp_path / "a.html.gz").read_bytes()
    assert gzip.decompress(first) == (tmp_path / "a.html").read_bytes()
    assert first[4:8] == b"\0\0\0\0"  # no timestamp: the same site gives the same bytes
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "a.html",
        "a.html.gz",
        "font.woff2",
        "small.css",
    ]
    assert precompress.precompress(tmp_path) == (0, 1, 0)
    assert (tmp_path / "a.html.gz").read_bytes() == first


def test_the_built_site_has_precompressed_copies(site):
    page = site / "en" / "ch01.html"
    assert gzip.decompress((site / "en" / "ch01.html.gz").read_bytes()) == page.read_bytes()
    assert list(site.rglob("*.css.gz")) and list(site.rglob("*.js.gz"))


# Served by nginx


@pytest.fixture(scope="module")
def served(site, tmp_path_factory):
    port = free_port()
    with nginx(NGINX_CONF, tmp_path_factory.mktemp("nginx"), LISTEN_PORT=port, SITE_DIR=site):
        yield port


def get(port, path, gzip_ok=True):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    headers = {"Accept-Encoding": "gzip"} if gzip_ok else {}
    try:
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


def versioned_assets(site):
    """The stylesheets and scripts en/ch01.html links with Sphinx's ?v= version."""
    page = soup(site / "en" / "ch01.html")
    hrefs = [link["href"] for link in page.select('link[rel="stylesheet"]')]
    hrefs += [script["src"] for script in page.select("script[src]")]
    return [f"/en/{h}" for h in hrefs if "?v=" in h]


def test_nginx_sends_the_precompressed_page(site, served):
    status, headers, body = get(served, "/en/ch01.html")
    assert status == 200
    assert headers["content-encoding"] == "gzip"
    assert headers["content-type"] == "text/html; charset=utf-8"
    # gzip_static sends the file as it is, with its length; on the fly it would be chunked
    assert body == (site / "en" / "ch01.html.gz").read_bytes()
    assert headers["content-length"] == str(len(body))
    assert "Accept-Encoding" in headers["vary"]


def test_nginx_sends_it_plain_to_a_client_without_gzip(site, served):
    status, headers, body = get(served, "/en/ch01.html", gzip_ok=False)
    assert status == 200 and "content-encoding" not in headers
    assert body == (site / "en" / "ch01.html").read_bytes()


def test_nginx_compresses_on_the_fly_what_has_no_copy(site, served):
    (site / "en" / "objects.json").write_text('{"tea": 1}\n' * 300)  # no .gz beside it
    status, headers, body = get(served, "/en/objects.json")
    assert status == 200 and headers["content-encoding"] == "gzip"
    assert headers["content-type"] == "application/json; charset=utf-8"
    assert gzip.decompress(body) == (site / "en" / "objects.json").read_bytes()


def test_versioned_assets_are_immutable_and_pages_revalidated(site, served):
    assets = versioned_assets(site)
    assert any(a.split("?")[0].endswith(".css") for a in assets)
    assert any(a.split("?")[0].endswith(".js") for a in assets)
    for path in assets:
        status, headers, _ = get(served, path)
        assert status == 200, path
        assert headers["cache-control"] == "public, max-age=31536000, immutable", path
        kind = "text/css" if path.split("?")[0].endswith(".css") else "text/javascript"
        assert headers["content-type"] == f"{kind}; charset=utf-8"
    for path in ("/", "/en/ch01.html", "/en/_static/book.css"):  # the last: no ?v=, as in CSS
        status, headers, _ = get(served, path)
        assert status == 200 and headers["cache-control"] == "no-cache", path


@pytest.mark.parametrize(
    ("path", "media_type"),
    [
        ("/en/_static/favicon.svg", "image/svg+xml; charset=utf-8"),
        ("/en/searchindex.js", "text/javascript; charset=utf-8"),
        ("/en/objects.inv", "application/octet-stream"),
        ("/sitemap.xml", "application/xml; charset=utf-8"),
        ("/robots.txt", "text/plain; charset=utf-8"),
    ],
)
def test_each_file_has_its_media_type(served, path, media_type):
    status, headers, _ = get(served, path)
    assert status == 200 and headers["content-type"] == media_type


def test_the_root_is_the_edition_list_not_a_redirect(served):
    status, headers, body = get(served, "/", gzip_ok=False)
    assert status == 200 and "location" not in headers
    page = BeautifulSoup(body, "html.parser")
    assert [a["data-edition"] for a in page.select("ul.book-editions a")] == OFFERED


@pytest.mark.parametrize(
    ("path", "language"),
    [("/en/no-such-page.html", "en"), ("/no-such-page.html", "zh-CN"), ("/xx/y.html", "zh-CN")],
)
def test_a_missing_page_gets_its_editions_404_page(served, path, language):
    status, headers, body = get(served, path, gzip_ok=False)
    assert status == 404
    assert headers["cache-control"] == "no-cache"
    assert BeautifulSoup(body, "html.parser").html["lang"] == language


SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "content-security-policy": "frame-ancestors 'none'; base-uri 'self'; object-src 'none'",
    "x-frame-options": "DENY",
    "referrer-policy": "strict-origin-when-cross-origin",
}


@pytest.mark.parametrize(
    "path",
    ["/", "/en/ch01.html", "/en/_static/book.css", "/en/no-such-page.html", "/en/.buildinfo"],
)
def test_pages_and_404_pages_have_the_security_headers(served, path):
    _, headers, _ = get(served, path)
    assert {name: headers.get(name) for name in SECURITY_HEADERS} == SECURITY_HEADERS


@pytest.mark.parametrize("path", ["/en/.buildinfo", "/en/.doctrees/environment.pickle"])
def test_sphinx_internals_are_not_served(site, served, path):
    # the fixture builds as sphinx-build does without -d: its doctrees inside the site
    assert (site / path.lstrip("/")).is_file()
    status, headers, body = get(served, path, gzip_ok=False)
    assert status == 404 and headers["cache-control"] == "no-cache"
    assert BeautifulSoup(body, "html.parser").html["lang"] == "en"


def test_no_dotfile_is_served(site, served):
    (site / ".git").mkdir()
    (site / ".git" / "config").write_text("[core]\n")
    (site / ".env").write_text("SECRET=1\n")
    for path in ("/.git/config", "/.env"):
        status, _, body = get(served, path, gzip_ok=False)
        assert status == 404 and b"SECRET" not in body and b"[core]" not in body, path


@pytest.mark.parametrize("path", ["/en/ch01.html?v=evil", "/en/searchindex.js?v=1", "/?v=1"])
def test_only_static_files_get_the_long_cache_whatever_the_query(served, path):
    status, headers, _ = get(served, path)
    assert status == 200 and headers["cache-control"] == "no-cache", path


def test_a_folder_without_index_is_the_404_page(served):
    status, headers, body = get(served, "/en/_static/", gzip_ok=False)
    assert status == 404 and headers["cache-control"] == "no-cache"
    assert BeautifulSoup(body, "html.parser").html["lang"] == "en"
    assert headers["x-frame-options"] == "DENY"


def test_the_slash_redirect_says_only_the_path(served):
    status, headers, _ = get(served, "/en")
    assert status == 301 and headers["location"] == "/en/"


def test_source_maps_are_json_and_compressed(site, served):
    maps = sorted((site / "en" / "_static").rglob("*.map"))
    assert maps  # furo ships its CSS's and JavaScript's
    path = "/" + maps[0].relative_to(site).as_posix()
    status, headers, body = get(served, path)
    assert status == 200 and headers["content-type"] == "application/json; charset=utf-8"
    assert headers["content-encoding"] == "gzip"
    assert gzip.decompress(body) == maps[0].read_bytes()
    assert maps[0].with_name(maps[0].name + ".gz").is_file()  # precompressed


@pytest.mark.parametrize(
    ("name", "media_type"),
    [
        ("a.woff", "font/woff"),
        ("a.jpg", "image/jpeg"),
        ("a.webp", "image/webp"),
        ("a.epub", "application/epub+zip"),
        ("a.pdf", "application/pdf"),
        ("a.ico", "image/x-icon"),
    ],
)
def test_files_the_site_may_hold_have_their_media_type(site, served, name, media_type):
    (site / "en" / "_images").mkdir(exist_ok=True)
    (site / "en" / "_images" / name).write_bytes(b"\0" * 16)
    status, headers, _ = get(served, f"/en/_images/{name}")
    assert status == 200 and headers["content-type"] == media_type


def test_the_remembered_choice_is_stored_under_the_books_own_key():
    """localStorage is shared by every project site of owner.github.io: "book-edition" could be
    another book's choice (deploy review)."""
    root = site_root.root_page(base_url="")
    assert f'"{site_root.STORAGE_KEY}"' in root and site_root.STORAGE_KEY.startswith("tornado-book")
    assert f"'{site_root.STORAGE_KEY}'" in site_root.REMEMBER
    assert '"book-edition"' not in root
