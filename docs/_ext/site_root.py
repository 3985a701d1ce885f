"""The site's root page, above every edition's folder: the list of offered editions, which sends a
reader on the first visit to the edition of their browser's languages.

    python docs/_ext/site_root.py redirect docs/_build/html/index.html

writes the root page and, when the book has a base URL (BOOK_BASE_URL, as in docs/conf.py), the
site's sitemap.xml (every offered edition's pages, from each edition's own sitemap, written by
docs/_ext/hreflang.py) and a robots.txt that names it. Which editions exist is bookconfig's.
"""

import html
import json
import os
import re
import sys
from pathlib import Path

from bookconfig import DOCS, SOURCE, editions, html_lang, offered, title

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


def site_sitemap(site, docs=DOCS, base_url=""):
    """sitemap.xml of the whole site: the <url> entries of every offered edition's sitemap.xml
    (written by hreflang.py with each page's alternates), after the root page."""
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
        sys.exit("usage: python docs/_ext/site_root.py redirect docs/_build/html/index.html")
    write_root(sys.argv[2])
