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

Both dictionaries are Simplified. An edition written by OpenCC from the source (docs/editions.toml
`convert`: zh_TW) would then not know its own words: 非同步 was cut into 非 + 同步 (the opposite
word), 事件迴圈 into 事件 + 迴圈. For such an edition the main dictionary is converted with the
edition's OpenCC configuration (each word also in its converted form, with its frequency), and
a second user dictionary, written next to it, holds docs/jieba-dict.txt converted and every word
of the edition in docs/glossary.toml (each [[term]]'s and [[conversion]]'s zh_TW). Both are
written again when the book's characters, docs/jieba-dict.txt or the glossary change.
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

import bookconfig  # noqa: E402

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
    edition_dictionary = None  # a converted edition's words (zh_TW), set by trim_dictionary()

    def __init__(self, options):
        if jieba and self.main_dictionary:
            jieba.set_dictionary(self.main_dictionary)
        super().__init__(options)
        if jieba and self.edition_dictionary:
            with open(self.edition_dictionary, "rb") as words:
                jieba.load_userdict(words)


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


def glossary_words(code, path):
    """The edition's words of docs/glossary.toml: each term's and conversion's `code` form."""
    data = bookconfig.glossary(path)
    found = [entry.get(code, "") for entry in data.get("term", []) + data.get("conversion", [])]
    return sorted({w for w in found if len(w) > 1 and " " not in w and HAN.search(w)})


def with_conversions(lines, config):
    """jieba dictionary lines, each followed by its word converted with OpenCC `config` (same
    frequency and tag) where that differs and is not a word already."""
    import opencc

    words = [line.split(" ")[0] for line in lines]
    converted = opencc.OpenCC(config).convert("\n".join(words)).split("\n")
    known, result = set(words), []
    for line, word, target in zip(lines, words, converted, strict=True):
        result.append(line)
        if target != word and target not in known:
            known.add(target)
            result.append(target + line[len(word) :])
    return result


def edition_words(srcdir, code, config):
    """The user dictionary of a converted edition: docs/jieba-dict.txt converted, and the
    glossary's words of the edition."""
    book = Path(srcdir) / "jieba-dict.txt"
    lines = book.read_text("utf-8").splitlines() if book.is_file() else []
    lines = [line for line in with_conversions(lines, config) if HAN.search(line.split(" ")[0])]
    known = {line.split(" ")[0] for line in lines}
    for word in glossary_words(code, Path(srcdir) / "glossary.toml"):
        if word not in known:
            lines.append(f"{word} 1000 n")
    return "\n".join(lines) + "\n"


def trim_dictionary(app, config):
    """Point ChineseSearch at jieba's dictionary cut down to the book's characters (and, for an
    edition converted with OpenCC, at its own words)."""
    ChineseSearch.main_dictionary = ChineseSearch.edition_dictionary = None
    if not (jieba and JIEBA_DEFAULT_DICT and config.html_search_language == "zh"):
        return
    jieba.setLogLevel(logging.WARNING)  # not its "Building prefix dict" lines on every build
    convert = bookconfig.editions().get(config.language or "", {}).get("convert")
    folder = Path(app.doctreedir) / "jieba"
    folder.mkdir(parents=True, exist_ok=True)
    extra = ""
    if convert:
        extra = edition_words(app.srcdir, config.language, convert)
        edition = folder / "edition.txt"
        if not edition.is_file() or edition.read_text("utf-8") != extra:
            edition.write_text(extra, "utf-8")
        ChineseSearch.edition_dictionary = str(edition)
        # a change of the edition's words rebuilds the index, as one of docs/jieba-dict.txt does
        config.zh_search_dict_digest += hashlib.sha256(extra.encode()).hexdigest()
    characters = book_characters(app.srcdir, config.language)
    listed = "".join(sorted(characters))
    digest = hashlib.sha256(f"{JIEBA_DEFAULT_DICT}\n{convert}\n{listed}".encode()).hexdigest()
    trimmed, stamp = folder / "dict.txt", folder / "characters.sha256"
    if not (trimmed.is_file() and stamp.is_file() and stamp.read_text() == digest):
        kept, left_out = [], 0
        lines = Path(JIEBA_DEFAULT_DICT).read_text("utf-8").splitlines()
        for line in with_conversions(lines, convert) if convert else lines:
            word, frequency = line.split(" ")[:2]
            if characters.issuperset(word):
                kept.append(line)
            else:
                left_out += int(frequency)
        kept.append(f"{UNSEEN} {left_out}")
        trimmed.write_text("\n".join(kept) + "\n", "utf-8")
        stamp.write_text(digest)
    ChineseSearch.main_dictionary = str(trimmed)


def setup(app):
    app.add_search_language(ChineseSearch)
    app.add_config_value("zh_search_dict_digest", "", "html")
    app.connect("config-inited", dictionary_digest)
    app.connect("config-inited", trim_dictionary)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
