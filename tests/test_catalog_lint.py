"""tools/catalog_lint.py: each translator mistake fails `nox -s translations -- --check` with the
.po file and the msgstr's line; what a good translation may do still passes."""

from pathlib import Path

import pytest

from tests.translations_support import docs_tree
from tools import catalog_lint, translations

ROOT = Path(__file__).resolve().parents[1]
HEADER = (
    'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n"Language: {lang}\\n"\n\n'
)


def quote(text):
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def write(path, entries, lang="en"):
    body = "".join(f"msgid {quote(i)}\nmsgstr {quote(s)}\n\n" for i, s in entries)
    path.write_text(HEADER.format(lang=lang) + body, "utf-8")


@pytest.fixture
def tree(tmp_path, monkeypatch):
    """A docs/ tree whose only page has the messages a test writes, as `check` sees it."""
    templates = docs_tree(tmp_path, monkeypatch, EDITIONS)

    def check(entries, lang="en"):
        folder = tmp_path / "locales" / lang / "LC_MESSAGES"
        folder.mkdir(parents=True, exist_ok=True)
        write(templates / "page.pot", [(msgid, "") for msgid, _ in entries])
        write(folder / "page.po", entries, lang)
        return translations.problems(lang)

    return check


# What the rules need of each language is its entry here, not a list in Python: ja and zh_TW are
# written with Han characters (cjk), only zh_TW is converted from the source (convert).
EDITIONS = """
[editions.zh_CN]
name = "简体中文"
status = "source"
cjk = true
[editions.en]
name = "English"
status = "published"
[editions.zh_TW]
name = "繁體中文"
status = "in-progress"
publish = true
cjk = true
convert = "s2twp"
[editions.ja]
name = "日本語"
status = "in-progress"
cjk = true
[editions.de]
name = "Deutsch"
status = "in-progress"
"""
ZH = "这是一段普通的话。"
# (mistake, msgid, msgstr, what the check says). The message is the fixture's third entry,
# so its msgstr is on line 13 of page.po.
MISTAKES = [
    (
        "broken backtick swallows half a sentence",
        "用 `get_argument` 读取参数，再用 `write` 写出回答。",
        "Read it with `get_argument, then write the answer with `write`.",
        "code span `get_argument` of the msgid is missing",
    ),
    (
        "dropped backtick injects raw markup",
        "把代码放进 `<pre>` 元素。",
        "Put the code in a <pre> element.",
        "raw HTML `<pre>` in the text",
    ),
    (
        "unclosed bold",
        "**别忘了调用 `finish()`。** 否则连接一直挂着。",
        "**Do not forget to call `finish()`. Otherwise the connection hangs.",
        "unclosed **",
    ),
    (
        "link target changed",
        "见[第 1 章](ch01.md)。",
        "See [Chapter 1](ch02.md).",
        "link target (ch01.md) of the msgid is missing",
    ),
    (
        "link markup broken",
        "见[第 1 章](ch01.md)。",
        "See [Chapter 1] (ch01.md).",
        "link target (ch01.md) of the msgid is missing",
    ),
    (
        "reference target changed",
        "见 {ref}`安装 <install>`。",
        "See {ref}`Installing <installing>`.",
        "role {ref}`install` of the msgid is missing",
    ),
    (
        "term role unbalanced",
        "{term}`协程` 会暂停。",
        "A {term}coroutine pauses.",
        "role {term} is not followed by a `...` in backticks",
    ),
    (
        "ctrl-c role unbalanced",
        "按 {ctrl-c}`Ctrl-C` 停止服务。",
        "Press {ctrl-c}Ctrl-C to stop the server.",
        "role {ctrl-c} is not followed by a `...` in backticks",
    ),
    (
        "code span contents translated",
        "调用 `self.finish()` 结束请求。",
        "Call `self.finished()` to end the request.",
        "code span `self.finish()` of the msgid is missing",
    ),
    (
        "code span dropped",
        "`await` 之后它才运行，每次轮换都发生在 `await` 处。",
        "It runs only once awaited, and every turn changes hands at an `await`.",
        "code span `await` of the msgid is missing",
    ),
    ("heading from #", ZH, "# This is an ordinary sentence.", "starts with `#`"),
    ("blank line", ZH, "This is an ordinary\n\nsentence.", "contains a blank line"),
    ("list structure", ZH, "- This is\n- an ordinary sentence.", "block structure (bullet_list"),
    (
        "table structure",
        ZH,
        "| This is | ordinary |\n|---|---|\n| a | sentence |",
        "block structure (table",
    ),
    (
        "version and port changed",
        "Tornado 6.6.1 默认监听 8000 端口。",
        "Tornado 6.6 listens on port 8080 by default.",
        "number 6.6.1 of the msgid is missing",
    ),
    (
        "Chinese left in the msgstr",
        ZH,
        "This is 一段普通的话.",
        "untranslated Chinese '一段普通的话'",
    ),
    ("msgstr equal to the Chinese", ZH, ZH, "msgstr is the msgid: not translated"),
    ("TODO", ZH, "TODO", "TODO left in the msgstr"),
    ("FIXME", ZH, "This is an ordinary sentence. FIXME", "FIXME left in the msgstr"),
    (
        "quoted Chinese that the msgid does not have",
        "中文写作“杯”。",
        "Chinese says “壶”.",
        "Chinese '壶' is neither in the msgid nor a term of the page",
    ),
]
FILLER = [("第一段。", "The first paragraph."), ("第二段。", "The second paragraph.")]


@pytest.mark.parametrize(
    ("msgid", "msgstr", "says"), [m[1:] for m in MISTAKES], ids=[m[0] for m in MISTAKES]
)
def test_each_mistake_fails_the_check_at_the_msgstr_line(tree, monkeypatch, msgid, msgstr, says):
    problems = tree([*FILLER, (msgid, msgstr)])
    assert problems, "the check passed"
    assert all(p.startswith("locales/en/LC_MESSAGES/page.po:13: ") for p in problems), problems
    assert any(says in p for p in problems), problems
    # The check before the lint (complete, current, nothing fuzzy) let every one of these pass.
    monkeypatch.setattr(catalog_lint, "check_file", lambda *args, **kwargs: [])
    assert translations.problems("en") == []


@pytest.mark.parametrize(
    ("msgid", "msgstr", "says"), [m[1:] for m in MISTAKES], ids=[m[0] for m in MISTAKES]
)
@pytest.mark.parametrize("lang", ["de", "fr"], ids=["in progress", "started, not listed"])
def test_each_mistake_fails_an_edition_in_progress(tree, capsys, msgid, msgstr, says, lang):
    """Only gaps are soft for an edition in progress (or one started with --new and not yet in
    editions.toml): a mistake fails `--check` and `--check --lang X`."""
    tree([*FILLER, (msgid, msgstr), ("第四段。", "")], lang=lang)
    assert translations.check([lang]) == 1
    out = capsys.readouterr().out
    assert f"locales/{lang}/LC_MESSAGES/page.po:13: " in out and says in out, out
    assert translations.check() == 1
    assert f"locales/{lang}/LC_MESSAGES/page.po:13: " in capsys.readouterr().out


@pytest.mark.parametrize("lang", ["de", "fr"])
def test_gaps_alone_do_not_fail_an_edition_in_progress(tree, capsys, lang):
    tree([*FILLER, ("第四段。", "The fourth paragraph.")], lang="en")  # published: complete
    tree([*FILLER, ("第四段。", "")], lang=lang)
    assert translations.check([lang]) == 0
    assert "1 gap(s) reported, not failed" in capsys.readouterr().out
    assert translations.check() == 0


def test_the_line_is_the_msgstr_line_of_a_wrapped_message(tmp_path):
    po = tmp_path / "page.po"
    po.write_text(
        HEADER.format(lang="en")
        + 'msgid ""\n"第一行，"\n"第二行。"\nmsgstr ""\n"TODO first line, "\n"second line."\n',
        "utf-8",
    )
    assert catalog_lint.check_file(po) == [f"{po}:9: TODO left in the msgstr"]


GOOD = [
    ("Chinese quoted as data", "中文写作“2026年4月2日”。", "Chinese writes it as “2026年4月2日”."),
    ("Chinese in code", "`locale/zh_CN.csv` 里写着 `中文`。", "`locale/zh_CN.csv` says `中文`."),
    ("a placeholder in code", "访问 `127.0.0.1:端口`。", "Visit `127.0.0.1:PORT`."),
    ("code-like message copied", "examples/ch01/hello.py", "examples/ch01/hello.py"),
    ("a name copied", "WebSocket", "WebSocket"),
    ("numbers as words", "同时发出 2 个请求。", "Send two requests at once."),
    ("ten thousands", "4 万次叫号", "40,000 calls"),
    ("plural of a status", "Tornado 自己发出的 404。", "The 404s Tornado sends on its own."),
    ("month name", "同年 9 月", "in September of that year"),
    (
        "markup kept, text translated",
        "**注意**：见[第 1 章](ch01.md#安装)和 {ref}`安装 <install>`，按 {ctrl-c}`Ctrl-C`。",
        "**Note**: see [Chapter 1](ch01.md#安装) and {ref}`Installing <install>`; press"
        " {ctrl-c}`Ctrl-C`.",
    ),
    ("a term is translated", "{term}`协程` 会暂停。", "A {term}`coroutine` pauses."),
    ("italic may move", "*现代注释*是一种提示框。", "A modern note is a *box*."),
]


@pytest.mark.parametrize(("msgid", "msgstr"), [g[1:] for g in GOOD], ids=[g[0] for g in GOOD])
def test_good_translations_pass(tree, msgid, msgstr):
    assert tree([*FILLER, (msgid, msgstr)]) == []


def test_a_glossary_term_may_be_shown_in_brackets(tree):
    assert (
        tree(
            [
                ("协程", "coroutine"),
                ("*coroutine*。可以暂停的函数。", "(协程) A function that can pause."),
            ]
        )
        == []
    )


def test_chinese_is_not_a_leftover_in_a_chinese_edition(tree):
    assert tree([*FILLER, (ZH, "這是一段普通的話。"), ("第三段。", "第三段。")], lang="zh_TW") == []


HAN_MISTAKES = [
    ("ja", ZH, ZH, "msgstr is the msgid: not translated"),
    ("ja", "第三段。", "第三段。", "msgstr is the msgid: not translated"),
    ("ja", ZH, "これは这是一段普通的话。", "Simplified Chinese '这是一段普通的话。'"),
    ("ja", "用 `get` 读取。", "用 `get` 读取。然后说明。", "Simplified Chinese '读取。然后说明。'"),
    ("zh_TW", ZH, "這是一段普通的话。", "Simplified Chinese '這是一段普通的话。'"),
    ("zh_TW", "中文写作“杯”。", "中文寫作“这”。", "Chinese '这' is neither in the msgid"),
]


@pytest.mark.parametrize(("lang", "msgid", "msgstr", "says"), HAN_MISTAKES)
def test_chinese_left_in_a_language_written_with_han(tree, lang, msgid, msgstr, says):
    """ja was exempt from both rules by a hard-coded ("zh", "ja"): a ja msgstr copied from the
    msgid, or still the Chinese sentence, passed."""
    problems = tree([*FILLER, (msgid, msgstr)], lang=lang)
    assert any(says in p for p in problems), problems


@pytest.mark.parametrize(
    ("lang", "msgid", "msgstr"),
    [
        ("ja", ZH, "これは普通の文です。"),
        ("ja", "中文写作“这”。", "中国語では“这”と書く。"),  # quoted as data, as the msgid has it
        ("ja", "同时会发生。", "同時に起こる。会議。"),  # 会 is Japanese too
        ("zh_TW", "WebSocket", "WebSocket"),
    ],
)
def test_a_language_written_with_han_may_write_han(tree, lang, msgid, msgstr):
    assert tree([*FILLER, (msgid, msgstr)], lang=lang) == []


def test_the_rules_come_from_editions_toml_not_from_the_code(tree, tmp_path):
    """A new language written with Han needs its entry, no Python: ko with cjk = true."""
    toml = tmp_path / "docs" / "editions.toml"
    toml.write_text(EDITIONS + '[editions.ko]\nname = "한국어"\nstatus = "in-progress"\n', "utf-8")
    assert any("untranslated Chinese" in p for p in tree([*FILLER, (ZH, "이것은 普通")], "ko"))
    toml.write_text(EDITIONS + '[editions.ko]\nname = "한국어"\ncjk = true\n', "utf-8")
    assert tree([*FILLER, (ZH, "이것은 普通")], "ko") == []
    assert any("Simplified Chinese" in p for p in tree([*FILLER, (ZH, "이것은 这")], "ko"))


INTERFACE = """# {comment}
msgid ""
msgstr ""
"Project-Id-Version: tornado-book 0.1.0\\n"
"Language: {lang}\\n"
"Content-Type: text/plain; charset=UTF-8\\n"

msgid "Next"
msgstr "{next}"

{fuzzy}msgid "This edition is {{percent}}% translated, see <a href=\\"p.html\\">progress</a>."
msgstr "{percent}"
"""
GOOD_INTERFACE = {
    "comment": "The ja edition's interface.",
    "lang": "ja",
    "next": "次へ",
    "fuzzy": "",
    "percent": '{{percent}}% 翻訳済み、<a href=\\"p.html\\">進捗</a>。',
}


@pytest.mark.parametrize(
    ("change", "line", "says"),
    [
        ({"comment": "The Chinese (zh_CN) edition's interface."}, 1, "does not name ja"),
        ({"lang": "zh_CN"}, 5, "Language: zh_CN, not ja"),
        ({"comment": "SOME DESCRIPTIVE TITLE."}, 1, "'SOME DESCRIPTIVE TITLE' left"),
        ({"next": "PROJECT VERSION"}, 9, None),  # not the header: a message may say it
        ({"fuzzy": "#, fuzzy\n"}, 13, "fuzzy: Sphinx shows the English"),
        ({"percent": "{{pct}}% 翻訳済み。"}, 12, "field {percent} of the msgid is missing"),
        ({"percent": "{{percent}}% 翻訳済み、<a href=p.html>進捗。"}, 12, "raw HTML"),
        ({"percent": "{{percent}}% TODO"}, 12, "TODO left in the msgstr"),
        ({"next": "下一页"}, 9, "Simplified Chinese '下一页'"),
    ],
)
def test_an_interface_catalog_is_checked(tree, tmp_path, capsys, change, line, says):
    """docs/_theme_locales/<code>/LC_MESSAGES/sphinx.po: `--check` did not look at it."""
    folder = tmp_path / "docs" / "_theme_locales" / "ja" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    (folder / "sphinx.po").write_text(INTERFACE.format(**GOOD_INTERFACE), "utf-8")
    assert tree([*FILLER], lang="ja") == []
    (folder / "sphinx.po").write_text(INTERFACE.format(**{**GOOD_INTERFACE, **change}), "utf-8")
    problems = tree([*FILLER], lang="ja")
    if says is None:
        assert problems == []
        return
    where = f"docs/_theme_locales/ja/LC_MESSAGES/sphinx.po:{line}: "
    assert any(p.startswith(where) and says in p for p in problems), problems
    assert translations.check(["ja"]) == 1


@pytest.mark.parametrize(
    "placeholder",
    ["PROJECT VERSION", "FULL NAME <EMAIL@ADDRESS>", "LANGUAGE <LL@li.org>", "YEAR-MO-DA"],
)
def test_an_interface_header_from_a_template_is_reported(tmp_path, placeholder):
    po = tmp_path / "sphinx.po"
    text = INTERFACE.format(**GOOD_INTERFACE)
    po.write_text(text.replace("tornado-book 0.1.0", placeholder), "utf-8")
    entry = {"cjk": True}
    assert catalog_lint.check_interface(po, "ja", entry=entry) == [
        f"{po}:4: template header: {p!r} left in it"
        for p in catalog_lint.HEADER_PLACEHOLDERS
        if p in placeholder
    ]


@pytest.mark.parametrize("po", sorted(ROOT.glob("docs/_theme_locales/*/LC_MESSAGES/sphinx.po")))
def test_the_book_s_interface_catalogs_pass(po):
    code = po.parents[1].name
    assert catalog_lint.check_interface(po, code, display=po.relative_to(ROOT)) == []


def test_fuzzy_and_untranslated_messages_are_not_linted(tmp_path):
    po = tmp_path / "page.po"
    po.write_text(
        HEADER.format(lang="en")
        + f'#, fuzzy\nmsgid "{ZH}"\nmsgstr "TODO"\n\nmsgid "第二段。"\nmsgstr ""\n',
        "utf-8",
    )
    assert catalog_lint.check_file(po) == []


def test_the_command_line_prints_each_problem(tmp_path, capsys):
    po = tmp_path / "page.po"
    write(po, [(ZH, "TODO")])
    assert catalog_lint.main([str(po)]) == 1
    assert capsys.readouterr().out == f"{po}:7: TODO left in the msgstr\n"
    write(po, [(ZH, "This is an ordinary sentence.")])
    assert catalog_lint.main([str(po)]) == 0


@pytest.mark.parametrize(
    "po", sorted(ROOT.glob("docs/locales/*/LC_MESSAGES/*.po")), ids=lambda p: p.stem
)
def test_the_book_s_catalogs_pass(po):
    code = po.relative_to(ROOT / "docs" / "locales").parts[0]
    assert catalog_lint.check_file(po, code, display=po.relative_to(ROOT)) == []


def test_an_enabled_glossary_term_is_enforced():
    """查询参数 was `check = false`; the English edition wrote "query parameters" in places."""
    drift = catalog_lint.Pair("附带几个查询参数。", "with a few query parameters.", "en")
    assert catalog_lint.glossary(drift) == [
        "glossary: 查询参数 is 'query argument' (docs/glossary.toml)"
    ]
    good = catalog_lint.Pair("附带几个查询参数。", "with a few query arguments.", "en")
    assert catalog_lint.glossary(good) == []


PLURAL_INTERFACE = """# The {lang} edition's interface.
msgid ""
msgstr ""
"Project-Id-Version: tornado-book 0.1.0\\n"
"Language: {lang}\\n"
"Content-Type: text/plain; charset=UTF-8\\n"
"Plural-Forms: {plural_forms}\\n"

msgid "Search finished, found one page matching the search query."
msgid_plural "Search finished, found ${{resultCount}} pages matching the search query."
{forms}
"""


@pytest.mark.parametrize(
    ("lang", "plural_forms", "forms", "says"),
    [
        ("zh_TW", "nplurals=1; plural=0;", 'msgstr[0] "找到 ${{resultCount}} 個頁面。"', None),
        ("zh_TW", "nplurals=1; plural=0;", 'msgstr[0] "找到 ${{resultCount}} 个页面。"', "个页"),
        ("zh_TW", "nplurals=1; plural=0;", 'msgstr[0] "找到一些頁面。"', "{resultCount}"),
        (
            "fr",
            "nplurals=2; plural=(n > 1);",
            'msgstr[0] "Une page trouvée."\nmsgstr[1] "${{resultCount}} pages trouvées."',
            None,
        ),
        (
            "fr",
            "nplurals=2; plural=(n > 1);",
            'msgstr[0] "Une page trouvée."\nmsgstr[1] "Des pages trouvées."',
            "{resultCount}",
        ),
    ],
)
def test_a_plural_label_is_checked_form_by_form(tmp_path, lang, plural_forms, forms, says):
    """Sphinx's search result count is a plural message: each form is checked against the msgid
    it translates (the lint read the pair of msgids as one string and crashed)."""
    po = tmp_path / "sphinx.po"
    po.write_text(PLURAL_INTERFACE.format(lang=lang, plural_forms=plural_forms, forms=forms))
    entry = {"cjk": True, "convert": "s2twp"} if lang == "zh_TW" else {}
    problems = catalog_lint.check_interface(po, lang, entry=entry)
    if says is None:
        assert problems == []
    else:
        assert len(problems) == 1 and says in problems[0] and ":11: " in problems[0], problems


@pytest.mark.parametrize("msgstr", ["指標TODO", "TODO：指標", "指標 FIXME", "XXX指標"])
def test_a_placeholder_glued_to_han_text_is_caught(msgstr):
    """Python's \\b sees no boundary between kanji and a Latin letter: "指標TODO" passed."""
    pair = catalog_lint.Pair("指标", msgstr, "ja", cjk=True)
    assert [p for p in catalog_lint.placeholders(pair)] == [
        f"{msgstr.strip('指標：').strip()} left in the msgstr"
    ]


JAPANESE = {"cjk": True, "charset": "cp932"}


@pytest.mark.parametrize(
    ("msgstr", "says"),
    [
        ("Tornado のイベントループは asyncio のものです。", None),
        ("Tornado は後者です。它的事件循环叫做 `IOLoop`。", "循环"),  # no Simplified-only character
        ("「事件循环」は中国語でイベントループです。", None),  # quoted, and in the msgid
    ],
)
def test_a_han_character_outside_the_editions_charset_is_chinese_left(msgstr, says):
    """editions.toml's `charset` (cp932 for Japanese): 环, 标, 库 are not Japanese, so a sentence
    left in Chinese is caught even without 这, 们, 说 ..."""
    pair = catalog_lint.pair_for(
        type("M", (), {"id": "Tornado 属于后者：它的事件循环叫做 `IOLoop`。", "string": msgstr})(),
        "ja",
        JAPANESE,
    )
    found = catalog_lint.foreign_han(pair)
    if says is None:
        assert found == []
    else:
        assert len(found) == 1 and says in found[0] and "cp932" in found[0], found


def test_the_language_of_a_header_written_on_one_line_is_checked(tmp_path):
    """Weblate writes the header on one line; the Language check read only separate lines."""
    po = tmp_path / "sphinx.po"
    po.write_text(
        "# The ja edition's interface.\n"
        'msgid ""\n'
        'msgstr "Project-Id-Version: tornado-book 0.1.0\\nLanguage: ko\\n'
        'Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        'msgid "Next"\nmsgstr "次へ"\n',
        "utf-8",
    )
    assert catalog_lint.check_interface(po, "ja", entry={"cjk": True}) == [
        f"{po}:3: Language: ko, not ja"
    ]
