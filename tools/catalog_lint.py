"""Checks of each translated message against its source, one function per rule.

    python tools/catalog_lint.py docs/locales/en/LC_MESSAGES/ch01.po ...

Each message is parsed with the parser Sphinx itself uses for the pages (MyST's markdown-it,
with the extensions docs/conf.py enables), so "markup intact" means what the build will see:
the same code spans, links, roles, bold and block structure in the msgstr as in the msgid.
Every problem is reported as `file:line: message`, the line being the msgstr's line in the
`.po` file. `tools/translations.py check` runs these checks for every edition it checks.

What depends on the language is read from the edition's entry in docs/editions.toml (through
docs/_ext/bookconfig.py), never from a list here: `cjk` (written with Han characters) and `convert`
(catalogs written by a converter from the source). A language not listed there yet (just started
with `--new`) is checked as one written without Han characters, the strictest.

The interface catalogs (docs/_theme_locales/<code>/LC_MESSAGES/sphinx.po, English msgids) get
`check_interface`: no template header or another language's header comment, nothing fuzzy,
the same `{field}`s, and the markup rules (not source_text, unchanged or glossary: their
msgids are not Chinese).

Rules (each a function below taking a `Pair` and returning problem strings):
    code_spans      the same inline code spans as the msgid (code is not translated), except
                    placeholders written in Chinese
    stray_markup    no backtick, `**`, role or raw HTML left over from markup that did not parse
    links           the same link targets
    roles           the same roles ({ref}, {doc}, {term}, {ctrl-c}, ...) with the same targets
    emphasis        as many bold spans as the msgid
    structure       the same block structure: no heading from `# `, no blank line, same lists/tables
    numbers         every number of the msgid (3, 6.6.1, 8000, 10,000) appears in the msgstr
    source_text     no Chinese left, except quoted or bracketed Chinese that the msgid has too
                    (not for an edition with `cjk = true`: its language is written with Han)
    simplified      no character that only Simplified Chinese writes (这 们 说 ...), the same
                    exception; for an edition with `cjk = true` (zh_TW, ja), where source_text
                    cannot tell the language's Han characters from the source's
    foreign_han     with the edition's `charset` (ja: cp932), no Han character outside it
    unchanged       a msgstr equal to its msgid only if the message has no Chinese (code, a path,
                    a number, a name), or the edition is converted from the source (`convert`)
    placeholders    no TODO / FIXME / XXX
    glossary        a msgid with a term of docs/glossary.toml has the language's term for it
"""

import re
import sys
from collections import Counter
from dataclasses import dataclass
from functools import cache, cached_property, lru_cache
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.messages.pofile import read_po

DOCS = Path(__file__).resolve().parents[1] / "docs"
GLOSSARY = DOCS / "glossary.toml"
sys.path.insert(0, str(DOCS / "_ext"))
import bookconfig  # noqa: E402

HAN_CLASS = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
HAN = re.compile(f"[{HAN_CLASS}]")
# A run of Chinese with the full-width punctuation inside it: 一段普通的话, 2026年4月2日's 年.
HAN_RUN = re.compile(f"[{HAN_CLASS}][{HAN_CLASS}\u3000-\u303f\uff00-\uffef]*")
TRAILING_PUNCTUATION = re.compile("[\u3000-\u303f\uff00-\uffef]+$")
# Chinese kept as data in a translation: in quotes or brackets ("中文", “中文”, (中文), 「中文」).
QUOTED = re.compile(r"“[^”]*”|\"[^\"]*\"|‘[^’]*’|「[^」]*」|\([^()]*\)|（[^（）]*）")
# A number is digits not next to other digits: 6.6.1, 8000, 10,000, the 404 of "404s".
NUMBER = re.compile(r"(?<![\d.,:])\d+(?:[.,:]\d+)*(?![\d])")
# Not \b: Python counts kanji as word characters, so "指標TODO" has no word boundary.
PLACEHOLDER = re.compile(r"(?<![A-Za-z])(TODO|FIXME|XXX)(?![A-Za-z])")
ROLE_TARGET = re.compile(r"<([^<>]+)>\s*$")
STRAY_ROLE = re.compile(r"\{[a-z][\w-]*\}")
# Characters that only Simplified Chinese writes: each is the Simplified form of a character that
# Traditional Chinese (zh_TW, zh_HK) and Japanese write differently (这/這, 们/們, 说/說/説,
# 对/對/対, 时/時, 过/過, 为/為, 应/應/応, 处/處/処, 让/讓/譲, 发/發/発, ...), and none of them is
# itself a Traditional character or a Japanese form (shinjitai) in common use. Left out on
# purpose, because Japanese or Traditional Chinese writes them too: 会 与 没 来 写 数 国 学 后 里
# 机 据 台. They are among the most frequent characters of the book's Chinese, so a sentence left
# untranslated, or half converted, almost always has one of them.
SIMPLIFIED_ONLY = frozenset(
    "这们个说对时过还吗为么发现开关间请义样经让应处题务动气长门东读话语认设证给从见页边进连选"
)
SIMPLIFIED = re.compile(f"[{''.join(sorted(SIMPLIFIED_ONLY))}]")
# The fields a program fills in (str.format's {name}, %-style %(name)s): kept as they are.
FIELD = re.compile(r"\{[A-Za-z_]\w*\}|%\([A-Za-z_]\w*\)[sd]")
# What a template header (msginit's, Babel's) has where a real one has the book's values.
HEADER_PLACEHOLDERS = (
    "SOME DESCRIPTIVE TITLE",
    "PROJECT VERSION",
    "FULL NAME",
    "EMAIL@ADDRESS",
    "LL@li.org",
    "YEAR-MO-DA",
    "PACKAGE VERSION",
)
NUMBER_WORDS = {
    "0": ("zero", "no"),
    "1": ("one", "a", "an", "single", "once", "first"),
    "2": ("two", "twice", "both", "second", "pair"),
    "3": ("three", "third"),
    "4": ("four", "fourth"),
    "5": ("five", "fifth"),
    "6": ("six", "sixth"),
    "7": ("seven", "seventh"),
    "8": ("eight", "eighth"),
    "9": ("nine", "ninth"),
    "10": ("ten", "tenth"),
    "100": ("hundred",),
    "1000": ("thousand",),
}
MONTHS = "january february march april may june july august september october november december"
for month, name in enumerate(MONTHS.split(), 1):
    NUMBER_WORDS[str(month)] = NUMBER_WORDS.get(str(month), ()) + (name,)


@lru_cache(maxsize=1)
def parser():
    from markdown_it.renderer import RendererHTML
    from myst_parser.config.main import MdParserConfig
    from myst_parser.parsers.mdit import create_md_parser

    return create_md_parser(
        MdParserConfig(enable_extensions={"colon_fence", "deflist"}), RendererHTML
    )


class Text:
    """One side of a message as the build parses it."""

    def __init__(self, source):
        self.source = source
        self.tokens = parser().parse(source)

    @cached_property
    def inline(self):
        return [child for token in self.tokens if token.children for child in token.children]

    def of(self, kind):
        return [t for t in self.inline if t.type == kind]

    @cached_property
    def blocks(self):
        return [t.type for t in self.tokens if t.type != "inline"]

    @cached_property
    def prose(self):
        """The words a reader reads: text tokens joined, code and roles as one placeholder each."""
        parts = []
        for t in self.inline:
            if t.type in ("text", "softbreak", "hardbreak"):
                parts.append(t.content if t.type == "text" else " ")
            elif t.type in ("code_inline", "myst_role", "html_inline", "math_inline"):
                parts.append("\x00")
        return "".join(parts)


@dataclass
class Pair:
    msgid: str
    msgstr: str
    language: str = "en"
    terms: frozenset = frozenset()  # the catalog's other msgids: Chinese terms a page defines
    cjk: bool = False  # the edition's `cjk`: its language is written with Han characters
    converted: bool = False  # the edition's `convert`: its catalogs are the source, converted
    is_source: bool = False  # the source edition itself (only its interface catalog is checked)
    charset: str = ""  # the edition's `charset`: every Han character of its language is in it

    @cached_property
    def source(self):
        return Text(self.msgid)

    @cached_property
    def target(self):
        return Text(self.msgstr)


def differences(name, wanted, got, show=str):
    """'missing X' / 'extra Y' lines for two multisets."""
    found = []
    for item, n in (Counter(wanted) - Counter(got)).items():
        found.append(f"{name} {show(item)} of the msgid is missing" + (f" ({n}x)" if n > 1 else ""))
    for item, n in (Counter(got) - Counter(wanted)).items():
        found.append(f"{name} {show(item)} is not in the msgid" + (f" ({n}x)" if n > 1 else ""))
    return found


def code(text):
    return f"`` {text} ``" if "`" in text else f"`{text}`"


def code_spans(pair):
    """Code is not translated: the same inline code spans, none dropped, none added or changed.

    A code span with Chinese in it is a placeholder (`127.0.0.1:端口`): the msgstr has one
    translated code span in its place (`127.0.0.1:PORT`).
    """
    source = [t.content for t in pair.source.of("code_inline")]
    target = [t.content for t in pair.target.of("code_inline")]
    placeholders = sum(1 for text in source if HAN.search(text))
    kept = [text for text in source if not HAN.search(text)]
    found = differences("code span", kept, target, code)
    extra = [line for line in found if line.endswith(("is not in the msgid", "x)"))]
    added = sum((Counter(target) - Counter(kept)).values())
    if 0 < added <= placeholders:
        found = [line for line in found if line not in extra]
    return found


def stray_markup(pair):
    """Markup that did not parse shows up as characters: a lone backtick, `**`, `{role}`, HTML."""
    found = []
    text = pair.target.prose
    if text.count("`") > pair.source.prose.count("`"):
        found.append("unbalanced backtick: a code span is not closed (or opened)")
    for mark in ("**", "__"):
        if text.count(mark) > pair.source.prose.count(mark):
            found.append(f"unclosed {mark}: bold is not closed (or opened)")
    roles = set(STRAY_ROLE.findall(text)) - set(STRAY_ROLE.findall(pair.source.prose))
    for role in sorted(roles):
        found.append(f"role {role} is not followed by a `...` in backticks")
    html = Counter(t.content for t in pair.target.of("html_inline"))
    html -= Counter(t.content for t in pair.source.of("html_inline"))
    for tag in html:
        found.append(f"raw HTML {code(tag)} in the text (was it in a code span?)")
    return found


def links(pair):
    """A link's text is translated, its target is not."""
    return differences(
        "link target",
        [t.attrGet("href") for t in pair.source.of("link_open")],
        [t.attrGet("href") for t in pair.target.of("link_open")],
        lambda href: f"({href})",
    )


def role_key(token):
    """{ref}`text <target>` is known by its target; a role without one by its whole content,
    except {term}`...`: a glossary term is translated with the glossary."""
    target = ROLE_TARGET.search(token.content)
    if target:
        return (token.meta["name"], target.group(1))
    return (token.meta["name"], "..." if token.meta["name"] == "term" else token.content)


def roles(pair):
    return differences(
        "role",
        [role_key(t) for t in pair.source.of("myst_role")],
        [role_key(t) for t in pair.target.of("myst_role")],
        lambda key: f"{{{key[0]}}}`{key[1]}`",
    )


def emphasis(pair):
    """As many bold spans as the msgid (italics may move: English may stress other words)."""
    wanted, got = len(pair.source.of("strong_open")), len(pair.target.of("strong_open"))
    if wanted != got:
        return [f"{got} bold (**...**) span(s), the msgid has {wanted}"]
    return []


def structure(pair):
    """One message is one paragraph, heading, list item or table cell, and must stay that."""
    if pair.source.blocks == pair.target.blocks:
        return []
    if re.match(r" {0,3}#{1,6}( |$)", pair.msgstr) and not pair.msgid.lstrip().startswith("#"):
        return ["starts with `#`: it would become a heading"]
    if re.search(r"\n[ \t]*\n", pair.msgstr) and not re.search(r"\n[ \t]*\n", pair.msgid):
        return ["contains a blank line: it would become two paragraphs"]
    shape = " ".join(b.removesuffix("_open") for b in pair.target.blocks if b.endswith("_open"))
    wanted = " ".join(b.removesuffix("_open") for b in pair.source.blocks if b.endswith("_open"))
    return [f"block structure ({shape}) differs from the msgid's ({wanted})"]


def numbers(pair):
    """Numbers, versions, ports are facts: each of the msgid's appears in the msgstr."""
    found = []
    have = Counter(NUMBER.findall(pair.target.prose)) + Counter(
        n.replace(",", "") for n in NUMBER.findall(pair.target.prose)
    )
    words = set(re.findall(r"[a-z]+", pair.target.prose.lower()))
    for match in NUMBER.finditer(pair.source.prose):
        number = match.group()
        if have[number] or have[number.replace(",", "")]:
            continue
        after = pair.source.prose[match.end() :]
        if re.match(r" ?万", after) and number.isdigit() and have[str(int(number) * 10_000)]:
            continue  # 4 万 is 40,000
        if words & set(NUMBER_WORDS.get(number, ())):
            continue
        found.append(f"number {number} of the msgid is missing")
    return list(dict.fromkeys(found))


def quoted_data(pair, pattern):
    """Problems for runs of `pattern` in the msgstr's quotes that are not data (not in the msgid,
    not a term of the page), and the runs found outside quotes and brackets."""
    found = []
    prose = pair.target.prose
    for quoted in QUOTED.findall(prose):
        for run in HAN_RUN.findall(quoted):
            run = TRAILING_PUNCTUATION.sub("", run)  # 「事件循环」's closing bracket
            if pattern.search(run) and run not in pair.msgid and run not in pair.terms:
                found.append(f"Chinese {run!r} is neither in the msgid nor a term of the page")
    return found, [run for run in HAN_RUN.findall(QUOTED.sub("", prose)) if pattern.search(run)]


def source_text(pair):
    """Chinese in a translation is data only: quoted or bracketed, and present in the msgid
    (a word the text talks about) or a whole message of the page (the glossary's terms)."""
    if pair.cjk:
        return []  # simplified() instead
    found, left = quoted_data(pair, HAN)
    if left:
        found.append(
            f"untranslated Chinese {left[0]!r}"
            + (f" and {len(left) - 1} more" if len(left) > 1 else "")
            + " (Chinese shown as data goes in quotes or brackets)"
        )
    return found


def simplified(pair):
    """In a language written with Han characters, Chinese left over is told by the characters
    only Simplified Chinese writes: a Traditional edition still half Simplified, a Japanese
    sentence that is still the Chinese one."""
    if not pair.cjk or pair.is_source:
        return []
    found, left = quoted_data(pair, SIMPLIFIED)
    if left:
        chars = "".join(dict.fromkeys(SIMPLIFIED.findall("".join(left))))
        found.append(
            f"Simplified Chinese {left[0]!r}"
            + (f" and {len(left) - 1} more" if len(left) > 1 else "")
            + f" ({chars} are written only in Simplified Chinese)"
        )
    return found


def foreign_han(pair):
    """With the edition's `charset` (Japanese: cp932), a Han character outside it is Chinese
    left over, even in a sentence without any Simplified-only character (事件循环, 标准库)."""
    if not pair.cjk or not pair.charset or pair.is_source:
        return []
    outside = {c for c in HAN.findall(pair.msgstr) if not fits(c, pair.charset)}
    if not outside:
        return []
    found, left = quoted_data(pair, re.compile(f"[{''.join(sorted(outside))}]"))
    if left:
        chars = "".join(sorted(outside))
        found.append(
            f"Chinese {left[0]!r}"
            + (f" and {len(left) - 1} more" if len(left) > 1 else "")
            + f" ({chars} not in {pair.charset}: not written in {pair.language})"
        )
    return found


def fits(char, charset):
    try:
        char.encode(charset)
    except UnicodeEncodeError:
        return False
    return True


def unchanged(pair):
    if pair.converted:
        return []  # converted text equal to its source: nothing in it differs in the edition
    if pair.msgstr == pair.msgid and HAN.search(pair.msgid):
        return ["msgstr is the msgid: not translated"]
    return []


def placeholders(pair):
    left = set(PLACEHOLDER.findall(pair.msgstr)) - set(PLACEHOLDER.findall(pair.msgid))
    return [f"{word} left in the msgstr" for word in sorted(left)]


@lru_cache(maxsize=1)
def glossary_terms(path=GLOSSARY):
    """The terms of docs/glossary.toml that the check enforces, longest Chinese first."""
    data = bookconfig.glossary(path)
    terms = [t for t in data.get("term", []) if t.get("check", True)]
    return sorted(terms, key=lambda t: -len(t["zh_CN"]))


@cache
def term_pattern(word):
    """A term in any case, spaces or hyphens between its words, plural or not (query, queries)."""
    words = [re.escape(w) for w in word.lower().split()]
    if words and words[-1].endswith("y") and words[-1][-2:-1] not in "aeiou":
        words[-1] = words[-1][:-1] + "(?:y|ies)"
    return re.compile(r"[\s-]+".join(words), re.IGNORECASE)


def glossary(pair):
    """The glossary's term: a msgid containing a term's Chinese has the language's term (or one
    of its listed variants) in the msgstr. Only words (prose), not code spans, are compared."""
    found = []
    source, target = pair.source.prose, pair.target.prose.lower()
    for term in glossary_terms():
        wanted = term.get(pair.language)
        if not wanted or term["zh_CN"] not in source:
            continue
        accepted = [wanted, *term.get(f"{pair.language}_variants", [])]
        if not any(term_pattern(word).search(target) for word in accepted):
            found.append(
                f"glossary: {term['zh_CN']} is {' or '.join(repr(w) for w in accepted)}"
                " (docs/glossary.toml)"
            )
    return found


RULES = [
    code_spans,
    stray_markup,
    links,
    roles,
    emphasis,
    structure,
    numbers,
    source_text,
    simplified,
    foreign_han,
    unchanged,
    placeholders,
    glossary,
]


def fields(pair):
    """The interface's {percent}, {option}: the program fills them in by name."""
    return differences("field", FIELD.findall(pair.msgid), FIELD.findall(pair.msgstr))


# The rules for a message of an interface catalog (an English msgid, the language's msgstr): the
# page rules but those about a Chinese msgid, and the fields a program fills in.
INTERFACE_RULES = [rule for rule in RULES if rule not in {source_text, unchanged, glossary}]
INTERFACE_RULES.append(fields)


def edition(language, docs=DOCS):
    """The edition's entry in docs/editions.toml; a language not listed there yet: no Han."""
    return bookconfig.editions(docs).get(language, {"cjk": False, "convert": "", "status": ""})


def pair_for(message, language, entry, terms=frozenset(), msgid=None, msgstr=None):
    return Pair(
        message.id if msgid is None else msgid,
        message.string if msgstr is None else msgstr,
        language,
        terms,
        cjk=bool(entry.get("cjk")),
        converted=bool(entry.get("convert")),
        is_source=entry.get("status") == "source",
        charset=entry.get("charset", ""),
    )


def msgstr_lines(path):
    """The line of each msgstr, keyed by the line of its msgid (babel's `lineno`)."""
    lines = path.read_text("utf-8").splitlines()
    found, current = {}, None
    for number, line in enumerate(lines, 1):
        if line.startswith("msgid "):
            current = number
        elif line.startswith("msgstr") and current is not None:
            found[current] = number
            current = None
    return found


def check_pair(pair, rules=RULES):
    return [problem for rule in rules for problem in rule(pair)]


def check_file(path, language=None, display=None, entry=None):
    """`file:line: problem` for every translated, non-fuzzy message of one catalog. `entry`:
    the edition's settings (bookconfig.editions()[language]), read from docs/editions.toml if
    not given."""
    path = Path(path)
    with path.open("rb") as f:
        catalog = read_po(f)
    language = language or str(catalog.locale or "en")
    entry = edition(language) if entry is None else entry
    where = msgstr_lines(path)
    found = []
    terms = frozenset(message.id for message in catalog if isinstance(message.id, str))
    for message in catalog:
        if not message.id or not message.string or message.fuzzy:
            continue
        pair = pair_for(message, language, entry, terms)
        line = where.get(message.lineno, message.lineno)
        found += [f"{display or path}:{line}: {problem}" for problem in check_pair(pair)]
    return found


def same_language(code, other):
    try:
        return Locale.parse(code) == Locale.parse(other)
    except (UnknownLocaleError, ValueError, TypeError):
        return code == other


def check_interface(path, language, display=None, entry=None):
    """`file:line: problem` for an interface catalog (docs/_theme_locales/<code>/LC_MESSAGES/
    sphinx.po): its header, fuzzy entries (Sphinx ignores them), and each message's markup."""
    path = Path(path)
    shown = display or path
    entry = edition(language) if entry is None else entry
    lines = path.read_text("utf-8").splitlines()
    found = []
    # The header: the comment above it, and the header entry itself (up to the first blank line).
    head = next((n for n, line in enumerate(lines) if not line.strip()), len(lines))
    comment = [line for line in lines[:head] if line.startswith("#") and line[1:2] in (" ", "")]
    for number, line in enumerate(lines[:head], 1):
        for placeholder in HEADER_PLACEHOLDERS:
            if placeholder in line:
                found.append(f"{shown}:{number}: template header: {placeholder!r} left in it")
        if line == "#, fuzzy":
            found.append(f"{shown}:{number}: the header is fuzzy")
        # its own line, or inside a header written on one line (as Weblate writes it)
        said = re.search(r'(?:^"|\\n)Language: ([^\\"]*)', line)
        if said and not same_language(said.group(1), language):
            found.append(f"{shown}:{number}: Language: {said.group(1)}, not {language}")
    if comment and not re.search(rf"(?<![\w-]){re.escape(language)}(?![\w-])", "\n".join(comment)):
        found.append(
            f"{shown}:1: the header comment does not name {language}: copied from another"
            " language's catalog?"
        )
    with path.open("rb") as f:
        catalog = read_po(f)
    where = msgstr_lines(path)
    for message in catalog:
        if not message.id:
            continue
        line = where.get(message.lineno, message.lineno)
        if message.fuzzy:
            found.append(f"{shown}:{line}: fuzzy: Sphinx shows the English until it is not")
            continue
        for msgid, msgstr in forms(message):
            if msgstr:
                pair = pair_for(message, language, entry, msgid=msgid, msgstr=msgstr)
                found += [
                    f"{shown}:{line}: {problem}" for problem in check_pair(pair, INTERFACE_RULES)
                ]
    return found


def forms(message):
    """(msgid, msgstr) of each form: a plural message's first form translates its singular
    msgid when the language has several forms; every other form (or a language's only one, as
    in Chinese) its plural msgid, "found ${resultCount} pages"."""
    if not message.pluralizable:
        return [(message.id, message.string)]
    strings = message.string if isinstance(message.string, tuple) else (message.string,)
    several = len(strings) > 1
    return [(message.id[0 if i == 0 and several else 1], s) for i, s in enumerate(strings)]


def main(paths):
    found = [line for path in paths for line in check_file(path)]
    for line in found:
        print(line)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
