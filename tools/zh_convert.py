"""Seed an edition's catalogs from the Chinese source with OpenCC (the zh_TW edition).

    nox -s translations -- --convert zh_TW     # runs: python tools/zh_convert.py zh_TW
    nox -s translations -- --check             # runs, among others: tools/zh_convert.py --check

An edition with `convert = "<OpenCC config>"` in docs/editions.toml (zh_TW: "s2twp", Simplified
to Traditional with Taiwan's phrases) is written by this tool, not by hand:

- every message of a page not yet in the edition's `reviewed` list gets the conversion of its
  msgid (run again after the source or the catalogs' format changed: the output is the same);
- a reviewed page is a reviewer's work: only its untranslated messages are filled in, marked
  `#, fuzzy` for the reviewer;
- code spans (`...`), role targets ({ref}`text <target>`, {ctrl-c}`8000`), link targets
  ([text](ch01.md#锚点)), URLs and HTML tags are copied byte for byte: OpenCC never sees them;
- the book's words come from docs/glossary.toml: each [[term]]'s zh_TW (so a term is written
  the same everywhere) and each [[conversion]] (a word OpenCC gets wrong for this book);
- words are cut by jieba (the Converter's docstring): OpenCC and the glossary never cross a
  word boundary;
- after OpenCC, character by character (Taiwan's usage, which a word list cannot cover): 里 is
  裡 ("inside") except in the words of INSIDE_KEPT (公里, 里程 ...), and mainland quotation marks
  become Taiwan's: “…” is 「…」 and a quotation inside one, ‘…’, is 『…』 (`punctuate`); ASCII
  "..." and an apostrophe between letters (don’t) are left alone;
- `--check` lists the mainland words ([mainland.<code>] of docs/glossary.toml; not inside a
  Taiwan word the glossary writes: 子類 in 子類別), a 里 meaning "inside" and mainland
  quotation marks left in the pages not yet reviewed and in the interface catalog (unless
  reviewed), and the source's words that hide a glossary word (多进程: the glossary's 进程 is
  not placed inside it), and fails if there is one;
- the interface catalog, docs/_theme_locales/<code>/LC_MESSAGES/sphinx.po, is converted from the
  source edition's the same way; with "interface" in the edition's `reviewed` list it is a
  reviewer's work like a reviewed page: only messages it lacks (new in the source, or
  untranslated) are added, converted and marked `#, fuzzy`.
"""

import re
import sys
from pathlib import Path

from babel.messages.pofile import read_po

try:
    from tools import catalog_lint, catalogs  # imported as tools.zh_convert (the tests)
except ImportError:
    import catalog_lint  # run as tools/zh_convert.py
    import catalogs

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
sys.path.insert(0, str(DOCS / "_ext"))
import bookconfig  # noqa: E402

# Copied unchanged: code spans (any number of backticks), a role's name, link targets, URLs, tags.
PROTECTED = re.compile(
    r"(?P<code>(`+)(?:(?!\2).)+?\2)"  # `code`, ``co`de``, and {role}`...` (the role name: ASCII)
    r"|\]\((?P<link>[^()\s]*(?:\([^()\s]*\)[^()\s]*)*)\)"  # [text](target)
    r"|(?P<url>https?://[^\s<>()\"“”]+)"
    r"|(?P<tag></?[A-Za-z][^<>\n]*>)",
    re.DOTALL,
)
PRIVATE = 0xF0000  # placeholders: private-use characters OpenCC passes through
INTERFACE = "interface"  # in `reviewed`: the interface catalog has been reviewed

# 里 is a unit of length or a neighbourhood in these words; everywhere else it is 裡, "inside".
INSIDE_KEPT = (
    "公里",
    "英里",
    "海里",
    "華里",
    "里程",
    "鄰里",
    "里長",
    "鄉里",
    "故里",
    "千里",
    "萬里",
)
INSIDE = re.compile("|".join(INSIDE_KEPT) + "|里")
# Taiwan's quotation marks: 「」 and, for a quotation inside a quotation, 『』.
OPENING, CLOSING = "“‘", "”’"
TAIWAN_QUOTES = ("「", "」"), ("『", "』")
APOSTROPHE = re.compile(r"(?<=[A-Za-z])’(?=[A-Za-z])")  # don’t, Tornado’s


def inside(text):
    """里 as 裡 ("inside"), except in the words of INSIDE_KEPT."""
    return INSIDE.sub(lambda m: "裡" if m.group() == "里" else m.group(), text)


def punctuate(text):
    """Mainland quotation marks as Taiwan's: “a ‘b’ c” is 「a 『b』 c」. The depth decides, not
    the mark (a text that nests “ in “ still alternates 「 and 『); an unbalanced text is mapped
    mark by mark (“ ” as 「 」, ‘ ’ as 『 』). An apostrophe between letters stays."""
    marks = [(m.start(), m.group()) for m in re.finditer("[“”‘’]", text)]
    marks = [(i, mark) for i, mark in marks if not (mark == "’" and APOSTROPHE.match(text, i))]
    depth, out, balanced = 0, {}, True
    for i, mark in marks:
        if mark in OPENING:
            out[i] = TAIWAN_QUOTES[depth % 2][0]
            depth += 1
        elif depth == 0:
            balanced = False
            break
        else:
            depth -= 1
            out[i] = TAIWAN_QUOTES[depth % 2][1]
    if not balanced or depth:
        plain = {"“": "「", "”": "」", "‘": "『", "’": "』"}
        out = {i: plain[mark] for i, mark in marks}
    chars = list(text)
    for i, mark in out.items():
        chars[i] = mark
    return "".join(chars)


def glossary_exceptions(path=DOCS / "glossary.toml"):
    """{zh_CN: zh_TW} for every term and conversion, longest first. A term is placed whole even
    where OpenCC converts it right on its own: in context OpenCC may cut it differently
    (样式表链接 came out as 樣式錶鏈接)."""
    data = bookconfig.glossary(path)
    found = {}
    for term in data.get("term", []):
        if term.get("zh_TW") and term["zh_TW"] != term["zh_CN"]:
            found[term["zh_CN"]] = term["zh_TW"]
    for entry in data.get("conversion", []):
        found[entry["zh_CN"]] = entry["zh_TW"]
    return dict(sorted(found.items(), key=lambda item: -len(item[0])))


def tokenizer(words=()):
    """jieba with the book's dictionary (docs/jieba-dict.txt, the search's) and `words` (the
    glossary's Chinese words) added, so that each is cut as one word where the text allows."""
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)
    cutter = jieba.Tokenizer()
    with open(DOCS / "jieba-dict.txt", "rb") as book_words:  # given a path, jieba leaves it open
        cutter.load_userdict(book_words)
    cutter.initialize()
    for word in words:
        # jieba keeps every prefix of a word in FREQ with a count of 0: not yet a word of its own
        if len(word) > 1 and HAN_ONLY.fullmatch(word) and not cutter.FREQ.get(word):
            cutter.add_word(word)
    return cutter


HAN_ONLY = re.compile(r"[\u3400-\u9fff]+")


class Converter:
    """OpenCC word by word. The text is cut into words by jieba; a glossary word is placed only
    where it is one or more whole words, and OpenCC converts each word on its own, so neither
    crosses a word boundary: 放进程序 is 放进 + 程序 (放進程式, not the 进程 of a process),
    并发送 is 并 + 发送 (並發送, not 併發), 全部响应用时 is not 响 + 应用. A glossary word inside
    a longer word is not replaced (数据类 is not the start of 数据类型): list the longer word too;
    the check (`--check`) finds the mainland words this leaves. Runs of one-character words are
    converted together (jieba cuts words it does not know, 字段, into characters; OpenCC knows
    them)."""

    def __init__(self, config):
        import opencc

        self.opencc = opencc.OpenCC(config)
        self.exceptions = glossary_exceptions()
        self.cutter = tokenizer(self.exceptions)

    def words(self, text):
        """The text cut into units OpenCC converts one by one."""
        units = []
        for word in self.cutter.cut(text):
            pair = units[-1][-1] + word if units else ""
            if len(pair) == 2 and HAN_ONLY.fullmatch(pair):  # two one-character words
                units[-1].append(word)
            else:
                units.append([word])
        return ["".join(unit) for unit in units]

    def place_exceptions(self, text):
        """[(text, None) or (source, target)]: the glossary's words at word boundaries."""
        boundaries = {0, len(text)} | {end for _word, _start, end in self.cutter.tokenize(text)}

        def word_at(i):
            for source, target in self.exceptions.items():
                if i + len(source) in boundaries and text.startswith(source, i):
                    return source, target
            return None

        pieces, plain, i = [], "", 0
        while i < len(text):
            found = word_at(i) if i in boundaries else None
            if found is None:
                plain += text[i]
                i += 1
            else:
                pieces += [(plain, None), found]
                plain, i = "", i + len(found[0])
        return [*pieces, (plain, None)]

    def convert(self, text):
        """`text` in the edition's script; protected spans and glossary words placed back."""
        kept = []

        def hold(value):
            kept.append(value)
            return chr(PRIVATE + len(kept) - 1)

        def protect(match):
            if match["link"] is not None:
                return "](" + hold(match["link"]) + ")"
            return hold(match.group())

        text = PROTECTED.sub(protect, text)
        converted = []
        for source, target in self.place_exceptions(text):
            if target is not None:
                converted.append(target)
            elif source:
                converted += [self.opencc.convert(unit) for unit in self.words(source)]
        text = punctuate(inside("".join(converted)))  # protected spans are placeholders here
        return re.sub(r"[\U000f0000-\U000fffff]", lambda m: kept[ord(m.group()) - PRIVATE], text)


def convert_catalog(path, converter, reviewed):
    """Every message converted from its msgid; on a reviewed page, only the empty ones (marked
    fuzzy): a reviewer's msgstr stays, and so does one the update marked fuzzy after a source
    change, with its `#|` previous msgid, for the reviewer to bring up to date."""
    catalog = catalogs.load_keeping_previous(path)
    for message in catalog:
        if not message.id or not isinstance(message.id, str):
            continue
        if reviewed and message.string:
            continue  # a reviewer's translation, current or fuzzy
        message.string = converter.convert(message.id)
        if reviewed:
            message.flags.add("fuzzy")
        else:
            message.flags.discard("fuzzy")
            message.previous_id = []
    catalogs.write_if_changed(path, catalogs.render(catalog))  # as msgcat writes it


def convert_interface(code, converter, reviewed=False):
    """The edition's interface catalog: the source edition's msgstrs, converted. Once reviewed
    (`reviewed` lists "interface"), a reviewer's msgstr is kept and only a message the edition's
    catalog lacks or leaves untranslated is converted, marked fuzzy for the reviewer."""
    source = bookconfig.interface_catalog(bookconfig.SOURCE)
    target = bookconfig.interface_catalog(code)
    with source.open("rb") as f:
        catalog = read_po(f, locale=code)
    kept = {}
    if reviewed and target.is_file():
        kept = {m.id: m for m in catalogs.load(target) if m.id and m.string and all(m.string)}
    for message in catalog:
        if not message.id:
            continue
        if message.id in kept:
            message.string = kept[message.id].string
            message.flags = set(kept[message.id].flags)
            continue
        if message.pluralizable:  # a tuple of forms, e.g. Sphinx's search result count
            message.string = tuple(
                converter.convert(form) if form else form for form in message.string
            )
        elif message.string:
            message.string = converter.convert(message.string)
        if reviewed and message.string:
            message.flags.add("fuzzy")
    catalogs.set_header(catalog, code, interface=True)  # the header the update writes
    target.parent.mkdir(parents=True, exist_ok=True)
    catalogs.write_if_changed(target, catalogs.render(catalog))


def mainland_words(code, path=DOCS / "glossary.toml"):
    """{word: the edition's word} of docs/glossary.toml's [mainland.<code>]."""
    return bookconfig.glossary(path).get("mainland", {}).get(code, {})


def check(code):
    """`po:line: word` for every mainland word left in a msgstr of an unreviewed page."""
    entry = bookconfig.editions()[code]
    words = mainland_words(code)
    reviewed = {Path(page).as_posix() for page in entry.get("reviewed", [])}
    folder = DOCS / "locales" / code / "LC_MESSAGES"
    # a Taiwan word may contain a mainland one (子類別, 子類): the check skips the Taiwan words
    targets = set(glossary_exceptions().values())
    allowed = {word: [t for t in targets if word in t] for word in words}
    pos = [
        p
        for p in bookconfig.catalogs(code)
        if p.relative_to(folder).with_suffix("").as_posix() not in reviewed
    ]
    if INTERFACE not in reviewed and bookconfig.interface_catalog(code).is_file():
        pos.append(bookconfig.interface_catalog(code))
    found = []
    for po in pos:
        catalog = catalogs.load(po)
        lines = catalog_lint.msgstr_lines(po)  # report the msgstr's line, as the lint does
        for message in catalog:
            if not message.id or not isinstance(message.string, str):
                continue
            text = PROTECTED.sub(" ", message.string)
            where = f"{po.relative_to(ROOT)}:{lines.get(message.lineno, message.lineno)}"
            for word, taiwan in words.items():
                bare = text
                for target in allowed[word]:
                    bare = bare.replace(target, " ")
                if word in bare:
                    found.append(f"{where}: {word} is mainland usage (Taiwan: {taiwan})")
            found += [f"{where}: {problem}" for problem in character_problems(text)]
    return found


def character_problems(text):
    """The character-level rules left undone in `text` (protected spans already removed)."""
    problems = []
    if inside(text) != text:
        problems.append("里 meaning inside (Taiwan: 裡)")
    if punctuate(text) != text:
        problems.append("mainland quotation marks (Taiwan: 「」 and 『』)")
    return problems


def hidden_words(code, converter):
    """`word (n×) → OpenCC's: glossary word → its code form` for each word of the source (as
    jieba cuts the msgids of code's catalogs) that contains a glossary word, is not one itself,
    and comes out of OpenCC without the glossary's form: the glossary word is not placed inside
    another word (多进程 came out as 多程序), so such a word needs a [[conversion]] of its own."""
    counts = {}
    for po in bookconfig.catalogs(code):
        for message in catalogs.load(po):
            if message.id and isinstance(message.id, str):
                for word in converter.cutter.cut(PROTECTED.sub(" ", message.id)):
                    counts[word] = counts.get(word, 0) + 1
    found = []
    for word, count in sorted(counts.items()):
        if word in converter.exceptions:
            continue
        for source, target in converter.exceptions.items():  # longest first
            if len(source) > 1 and source in word:
                converted = converter.opencc.convert(word)
                if target not in converted:
                    found.append(f"{word} ({count}×) → {converted}: {source} → {target}")
                break
    return found


def check_all():
    """The check of `nox -s translations -- --check` for every edition written by OpenCC."""
    problems = []
    for code, entry in bookconfig.editions().items():
        if entry.get("convert"):
            problems += check(code)
            hidden = hidden_words(code, Converter(entry["convert"]))
            problems += [f"{code}: a glossary word inside a word: {word}" for word in hidden]
    for problem in problems:
        print(problem)
    if problems:
        print(
            f"{len(problems)} problem(s) in converted pages: add a [[conversion]] to"
            " docs/glossary.toml and run `nox -s translations -- --convert CODE`"
        )
        return 1
    print("converted pages: no mainland word of docs/glossary.toml left, no glossary word hidden")
    return 0


def main(code):
    entry = bookconfig.editions().get(code)
    if not entry or not entry.get("convert"):
        sys.exit(f"error: docs/editions.toml has no `convert` for [editions.{code}]")
    converter = Converter(entry["convert"])
    reviewed = {Path(page).as_posix() for page in entry["reviewed"]}
    pos = bookconfig.catalogs(code)
    if not pos:
        sys.exit(f"error: no catalogs for {code}: run `nox -s translations -- --new {code}`")
    folder = DOCS / "locales" / code / "LC_MESSAGES"
    for po in pos:
        page = po.relative_to(folder).with_suffix("").as_posix()
        convert_catalog(po, converter, page in reviewed)
    interface_reviewed = INTERFACE in reviewed
    reviewed.discard(INTERFACE)
    convert_interface(code, converter, interface_reviewed)
    print(
        f"{code}: converted {len(pos)} catalogs with OpenCC {entry['convert']}"
        f" ({len(reviewed)} reviewed page(s) only filled in)"
    )
    return 0


if __name__ == "__main__":
    if sys.argv[1:] == ["--check"]:
        sys.exit(check_all())
    if len(sys.argv) != 2 or sys.argv[1].startswith("-"):
        sys.exit(__doc__.strip().splitlines()[2].strip())
    sys.exit(main(sys.argv[1]))
