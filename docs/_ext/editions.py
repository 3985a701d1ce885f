"""The book's editions, read from docs/editions.toml: the one parser every tool imports.

The Sphinx extension (book.py), the noxfile, tools/translations.py, tools/pdfcheck.py,
bench/budgets.py and the tests all ask this module which languages exist, which are built, which
readers are offered, and how complete each one is. It needs only the standard library, except
`completion()` and `title()`, which read catalogs with Babel (installed with Sphinx).

    python docs/_ext/editions.py redirect docs/_build/html/index.html   # the site's root page

`redirect` writes the root page and, when the book has a base URL (BOOK_BASE_URL, as in
docs/conf.py), the site's sitemap.xml (every offered edition's pages, from each edition's own
sitemap) and a robots.txt that names it.
"""

import html
import json
import os
import re
import sys
import tomllib
from pathlib import Path

DOCS = Path(__file__).resolve().parents[1]
SOURCE = "zh_CN"
STATUSES = ("source", "published", "in-progress")
# The book's title is a message of the interface catalog, like every other label; its msgid
# (the English title) is what a language that has not translated it shows.
INTERFACE = "sphinx"  # the domain of docs/_theme_locales/<code>/LC_MESSAGES/sphinx.po
TITLE = "Getting Started with Tornado: A Modern Annotated Edition"


def settings(docs=DOCS):
    return tomllib.loads((Path(docs) / "editions.toml").read_text("utf-8"))


def editions(docs=DOCS):
    """{code: {"name", "status", "publish", "search", "cjk"}}, in the file's order."""
    found = {}
    for code, entry in settings(docs)["editions"].items():
        if not isinstance(entry, dict) or "name" not in entry:
            raise ValueError(f"editions.toml: [editions.{code}] needs a name")
        status = entry.get("status", "in-progress")
        if status not in STATUSES:
            raise ValueError(f"editions.toml: {code}: status must be one of {', '.join(STATUSES)}")
        found[code] = {
            "name": entry["name"],
            "status": status,
            "publish": status != "in-progress" or bool(entry.get("publish", False)),
            "search": entry.get("search", code.split("_")[0]),
            "cjk": bool(entry.get("cjk", False)),
            "cjk_fonts": entry.get("cjk_fonts", "SC"),
            "charset": entry.get("charset", ""),
            "convert": entry.get("convert", ""),
            "reviewed": list(entry.get("reviewed", [])),
            "browser": list(entry.get("browser", [html_lang(code)])),
        }
    if [c for c, e in found.items() if e["status"] == "source"] != [SOURCE]:
        raise ValueError(f'editions.toml: {SOURCE}, and only it, has status = "source"')
    return found


def built(docs=DOCS):
    """Every edition `nox -s docs` builds: the source, published and in-progress ones."""
    return list(editions(docs))


def offered(docs=DOCS):
    """The editions readers are offered: switcher, root page, sitemap."""
    return [code for code, entry in editions(docs).items() if entry["publish"]]


def unreviewed(code, docs=DOCS):
    """The pages of an edition converted by a tool (`convert`) that no reviewer has read yet."""
    entry = editions(docs)[code]
    if not entry["convert"]:
        return set()
    folder = Path(docs) / "locales" / code / "LC_MESSAGES"
    pages = {po.relative_to(folder).with_suffix("").as_posix() for po in catalogs(code, docs)}
    return pages - set(entry["reviewed"])


def translations(docs=DOCS):
    """Every edition but the source."""
    return [code for code in editions(docs) if code != SOURCE]


def drafts(docs=DOCS):
    return {Path(page) for page in settings(docs).get("drafts", {}).get("pages", [])}


def catalogs(code, docs=DOCS):
    """The page catalogs of an edition (not its interface catalog, docs/_theme_locales)."""
    folder = Path(docs) / "locales" / code / "LC_MESSAGES"
    return sorted(folder.rglob("*.po")) if folder.is_dir() else []


def completion(code, docs=DOCS):
    """(translated, total) messages of the edition's page catalogs; fuzzy ones count as not."""
    from babel.messages.pofile import read_po

    translated = total = 0
    for po in catalogs(code, docs):
        with po.open("rb") as f:
            for message in read_po(f):
                if message.id:
                    total += 1
                    translated += bool(message.string) and not message.fuzzy
    return translated, total


def percent(code, docs=DOCS):
    translated, total = completion(code, docs)
    return int(100 * translated / total) if total else 0  # rounded down: 99.6% is not 100%


def percent_shown(translated, total):
    """The completion as the banner shows it: rounded down, with one decimal below 10%, so the
    first messages of a new edition show (5 of 2,309 is 0.2%, not 0%)."""
    share = 100 * translated / total if total else 0
    if share >= 10:
        return str(int(share))
    return f"{int(share * 10) / 10:.1f}" if share else "0"


def interface_catalog(code, docs=DOCS):
    return Path(docs) / "_theme_locales" / code / "LC_MESSAGES" / f"{INTERFACE}.po"


def translate(code, msgid, docs=DOCS):
    """One message of an edition's interface catalog, outside Sphinx; the msgid if missing."""
    from babel.messages.pofile import read_po

    path = interface_catalog(code, docs)
    if not path.is_file():
        return msgid
    with path.open("rb") as f:
        message = read_po(f).get(msgid)
    return message.string if message and message.string and not message.fuzzy else msgid


def title(code, docs=DOCS):
    return translate(code, TITLE, docs)


def html_lang(code):
    """The BCP 47 tag of an edition (zh_CN -> zh-CN), for lang and hreflang."""
    return code.replace("_", "-")


# The root page's choice, run in the reader's browser. An explicit choice (a link of the language
# switcher or of this page, remembered under STORAGE_KEY) wins; otherwise the browser's
# languages choose, on the first visit only: later visits, and a reader who came here from a
# page of the book, see the list. Without JavaScript or localStorage the list is the page.
# localStorage is shared by every site of an origin (every project site on owner.github.io): the
# key names the book.
STORAGE_KEY = "tornado-book:edition"
ROOT_SCRIPT = """(function () {
  var editions = %(editions)s, source = %(source)s, store = null;
  try { store = window.localStorage; } catch (e) {}
  function read(key) { try { return store && store.getItem(key); } catch (e) { return null; } }
  function go(code) { window.location.replace(code + "/index.html"); }
  var here = window.location.href.replace(/[^/]*([?#].*)?$/, "");  // the site's folder
  if (document.referrer && document.referrer.indexOf(here) === 0) return;
  var chosen = read("%(key)s");
  if (chosen && editions.hasOwnProperty(chosen)) return go(chosen);
  if (read("%(key)s-guessed")) return;
  var languages = navigator.languages && navigator.languages.length
    ? navigator.languages : [navigator.language || ""];
  var found = null;
  for (var i = 0; i < languages.length && !found; i++) {
    var tag = String(languages[i]).toLowerCase(), best = 0;
    for (var code in editions) {
      editions[code].forEach(function (prefix) {
        var p = prefix.toLowerCase();
        if ((tag === p || tag.indexOf(p + "-") === 0) && p.length > best) {
          best = p.length;
          found = code;
        }
      });
    }
  }
  found = found || source;
  try { store && store.setItem("%(key)s-guessed", found); } catch (e) {}
  go(found);
})();"""
# On every page's language links (the switcher, the root page): remember the reader's choice.
REMEMBER = (
    "var a=event.target.closest('a[data-edition]');"
    f"if(a)try{{localStorage.setItem('{STORAGE_KEY}',a.dataset.edition)}}catch(e){{}}"
)


def root_page(docs=DOCS, base_url=""):
    """The site's root: a real page listing every offered edition, which sends a reader on the
    first visit to the edition of their browser's languages (see ROOT_SCRIPT)."""
    names = editions(docs)
    codes = offered(docs)
    base = f"{base_url.rstrip('/')}/" if base_url else ""
    items = "\n".join(
        f'<li><a href="{code}/index.html" hreflang="{html_lang(code)}" lang="{html_lang(code)}"'
        f' data-edition="{code}">{html.escape(names[code]["name"])}</a>'
        f' <span lang="{html_lang(code)}">{html.escape(title(code, docs))}</span></li>'
        for code in codes
    )
    alternates = "\n".join(
        [
            f'<link rel="alternate" hreflang="{html_lang(code)}" href="{base}{code}/index.html">'
            for code in codes
        ]
        + [f'<link rel="alternate" hreflang="x-default" href="{base or "./"}">']
    )
    canonical = f'\n<link rel="canonical" href="{base}">' if base else ""
    script = ROOT_SCRIPT % {
        "editions": json.dumps({code: names[code]["browser"] for code in codes}),
        "source": json.dumps(SOURCE),
        "key": STORAGE_KEY,
    }
    source_title = html.escape(title(SOURCE, docs))
    description = " / ".join(html.escape(title(code, docs)) for code in codes)
    return f"""<!DOCTYPE html>
<html lang="{html_lang(SOURCE)}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{source_title}</title>
<meta name="description" content="{description}">{canonical}
{alternates}
<script>{script}</script>
<style>body{{font:1.125rem/1.6 sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem}}
li{{margin:.5rem 0}}</style>
</head><body><main><h1>{source_title}</h1>
<ul class="book-editions" onclick="{html.escape(REMEMBER)}">
{items}
</ul></main>
</body></html>
"""


redirect_page = root_page  # its older name


def site_sitemap(site, docs=DOCS, base_url=""):
    """sitemap.xml of the whole site: the <url> entries of every offered edition's sitemap.xml
    (written by book.py with each page's alternates), after the root page."""
    entries = [f"<url><loc>{html.escape(base_url.rstrip('/'))}/</loc></url>"]
    for code in offered(docs):
        path = Path(site) / code / "sitemap.xml"
        if path.is_file():
            entries += re.findall(r"<url>.*?</url>", path.read_text("utf-8"), re.DOTALL)
    text = "\n".join(entries)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'
        ' xmlns:xhtml="http://www.w3.org/1999/xhtml">\n' + text + "\n</urlset>\n"
    )


def write_root(target, docs=DOCS, base_url=None):
    """The root page at `target`; with a base URL, also the site's sitemap.xml and robots.txt."""
    base_url = os.environ.get("BOOK_BASE_URL", "") if base_url is None else base_url
    target = Path(target)
    target.write_text(root_page(docs, base_url), encoding="utf-8")
    if base_url:
        site = target.parent
        (site / "sitemap.xml").write_text(site_sitemap(site, docs, base_url), encoding="utf-8")
        robots = f"User-agent: *\nAllow: /\nSitemap: {base_url.rstrip('/')}/sitemap.xml\n"
        (site / "robots.txt").write_text(robots, encoding="utf-8")


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] != "redirect":
        sys.exit("usage: python docs/_ext/editions.py redirect docs/_build/html/index.html")
    write_root(sys.argv[2])
