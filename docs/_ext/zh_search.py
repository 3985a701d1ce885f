"""Chinese full-text search that works in the browser, for the zh_CN edition.

Sphinx indexes Chinese text with jieba (plus `html_search_options = {"dict": ...}`, the book's
own word list, docs/jieba-dict.txt), but two things go wrong on the reader's side:

- Sphinx 9.0 ends language_data.js with `window.Stemmer = ChineseStemmer;` while the code it
  ships for zh (the English snowball stemmer) defines only `EnglishStemmer`, so the search page
  throws before any query runs. Sphinx 9.1 names the class after the stemmer file instead. The
  fix below is applied only when the installed Sphinx writes a class name its code never defines.
- The browser splits a query only at spaces and punctuation, so `事件循环` or `Tornado协程` typed
  without spaces is looked up as one term. The `splitQuery` below cuts every run of Han
  characters into the longest words of the loaded index (forward maximum matching); characters
  that start no indexed word are dropped (the index never holds single characters), and a run
  with no indexed word at all is kept whole, so Sphinx's own partial matching still applies.

The jieba dictionary has no comment syntax: one `word freq tag` per line. Its digest is a config
value, so changing it rebuilds every page (and so the index) on the next incremental build.

Loading jieba's main dictionary (350,000 words) took 0.7 s of every build, even a one-page
rebuild under `nox -s serve`. A word can only be found in the book if each of its characters
occurs in the book, so the build gives jieba a copy that keeps just those words (about a third),
plus one entry no text can contain that carries the frequency of the words left out: jieba
weighs each word against the dictionary's total, so the total, and every cut, stay exactly as
with the full dictionary. The copy lives in the build's doctree directory and is written again
only when a character new to the book appears.
"""

import hashlib
import logging
import re
from pathlib import Path
from types import SimpleNamespace

from sphinx.search import IndexBuilder
from sphinx.search.zh import JIEBA_DEFAULT_DICT, SearchChinese

try:
    import jieba
except ImportError:  # Sphinx then indexes no Chinese at all; the docs group installs jieba
    jieba = None

HAN = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\U00020000-\U0003ffff]")
UNSEEN = "\U000f0000"  # a private-use character: no page contains it
SOURCES = {".md", ".py", ".html", ".console", ".txt", ".css", ".js", ".conf", ".service"}

SPLITTER_JS = r"""
/* zh_search: split runs of Han characters into words of the loaded index. */
var splitQuery = (() => {
  const han = /\p{Script=Han}/u;
  const pieces = /\p{Script=Han}+|[^\p{Script=Han}]+/gu;
  let indexSeen = null;
  let known = new Set();
  let longest = 0;

  const indexWords = () => {
    const index = typeof Search === "undefined" ? null : Search._index;
    if (index && index !== indexSeen) {
      known = new Set();
      longest = 0;
      for (const table of [index.terms, index.titleterms]) {
        for (const term of Object.keys(table || {})) {
          if (!han.test(term)) continue;
          known.add(term);
          longest = Math.max(longest, [...term].length);
        }
      }
      indexSeen = index;
    }
    return known;
  };

  const segment = (run, words) => {
    const chars = [...run];
    const found = [];
    let start = 0;
    while (start < chars.length) {
      let end = Math.min(chars.length, start + longest);
      while (end - start > 1 && !words.has(chars.slice(start, end).join(""))) end--;
      if (end - start > 1) {
        found.push(chars.slice(start, end).join(""));
        start = end;
      } else start++;
    }
    return found.length ? found : [run];
  };

  return (query) => {
    const words = indexWords();
    return query
      .split(/[^\p{Letter}\p{Number}_\p{Emoji_Presentation}]+/gu)
      .filter((term) => term)
      .flatMap((term) =>
        term.match(pieces).flatMap((piece) =>
          han.test(piece) && words.size ? segment(piece, words) : [piece],
        ),
      );
  };
})();
"""

ASSIGNED_STEMMER = re.compile(r"window\.Stemmer = (\w+);")


def stemmer_name_is_defined(language):
    """Whether the stemmer code Sphinx writes for `language` defines the class it assigns."""
    code = IndexBuilder.get_js_stemmer_code(SimpleNamespace(lang=language))
    assigned = ASSIGNED_STEMMER.search(code)
    return assigned is None or code.count(assigned[1]) > 1


class ChineseSearch(SearchChinese):
    """Sphinx's Chinese search, with a query splitter that matches the jieba-built index."""

    js_splitter_code = SPLITTER_JS
    main_dictionary = None  # set by trim_dictionary() when the build starts

    def __init__(self, options):
        if jieba and self.main_dictionary:
            jieba.set_dictionary(self.main_dictionary)
        super().__init__(options)


if not stemmer_name_is_defined(SearchChinese):
    # Sphinx 9.0 names the class after language_name; zh reuses the English stemmer.
    ChineseSearch.language_name = SearchChinese.js_stemmer_rawcode.removesuffix(
        "-stemmer.js"
    ).capitalize()


def dictionary_digest(app, config):
    dictionary = (config.html_search_options or {}).get("dict")
    if dictionary and Path(dictionary).is_file():
        config.zh_search_dict_digest = hashlib.sha256(Path(dictionary).read_bytes()).hexdigest()


def book_characters(srcdir, language=None):
    """Every Han character in the pages and in the examples they include, and in the edition's
    catalogs (the Traditional characters of zh_TW are not in the source)."""
    found = set()
    folder = Path(srcdir) / "locales" / (language or "") / "LC_MESSAGES"
    if language and folder.is_dir():
        for path in folder.rglob("*.po"):
            found.update(HAN.findall(path.read_text("utf-8")))
    for folder in (Path(srcdir), Path(srcdir).parent / "examples"):
        for path in folder.rglob("*"):
            if path.suffix in SOURCES and not {"_build", "locales"} & set(path.parts):
                found.update(HAN.findall(path.read_text("utf-8", errors="replace")))
    return found


def trim_dictionary(app, config):
    """Point ChineseSearch at jieba's dictionary cut down to the book's characters."""
    if not (jieba and JIEBA_DEFAULT_DICT and config.html_search_language == "zh"):
        return
    jieba.setLogLevel(logging.WARNING)  # not its "Building prefix dict" lines on every build
    characters = book_characters(app.srcdir, config.language)
    listed = "".join(sorted(characters))
    digest = hashlib.sha256(f"{JIEBA_DEFAULT_DICT}\n{listed}".encode()).hexdigest()
    folder = Path(app.doctreedir) / "jieba"
    trimmed, stamp = folder / "dict.txt", folder / "characters.sha256"
    if not (trimmed.is_file() and stamp.is_file() and stamp.read_text() == digest):
        kept, left_out = [], 0
        for line in Path(JIEBA_DEFAULT_DICT).read_text("utf-8").splitlines():
            word, frequency = line.split(" ")[:2]
            if characters.issuperset(word):
                kept.append(line)
            else:
                left_out += int(frequency)
        kept.append(f"{UNSEEN} {left_out}")
        folder.mkdir(parents=True, exist_ok=True)
        trimmed.write_text("\n".join(kept) + "\n", "utf-8")
        stamp.write_text(digest)
    ChineseSearch.main_dictionary = str(trimmed)


def setup(app):
    app.add_search_language(ChineseSearch)
    app.add_config_value("zh_search_dict_digest", "", "html")
    app.connect("config-inited", dictionary_digest)
    app.connect("config-inited", trim_dictionary)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
