"""The Traditional Chinese edition (zh_TW), seeded by tools/zh_convert.py, and the glossary
(docs/glossary.toml) that the catalog check enforces and Appendix C shows."""

import json
import re
import sys

import bookconfig
import pytest
from babel.messages.pofile import read_po

from tests.support import ROOT, sphinx_build
from tools import catalog_lint

DOCS = ROOT / "docs"

GLOSSARY = bookconfig.glossary()
CODE = re.compile(r"(`+)(?:(?!\1).)+?\1", re.DOTALL)
LINK = re.compile(r"\]\(([^()\s]*)\)")


def messages(code):
    for po in bookconfig.catalogs(code):
        with po.open("rb") as f:
            for message in read_po(f):
                if message.id and isinstance(message.id, str):
                    yield po, message


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp("zh_TW")
    options = ["-W", "-n", "--define=language=zh_TW", "-d", out / ".doctrees"]
    return sphinx_build(DOCS, out, *options)


def test_zh_tw_is_an_offered_in_progress_edition_with_chinese_search():
    entry = bookconfig.editions()["zh_TW"]
    assert entry["status"] == "in-progress" and entry["publish"]
    assert "zh_TW" in bookconfig.offered()
    assert entry["search"] == "zh" and entry["cjk"] and entry["cjk_fonts"] == "TC"
    assert entry["convert"] == "s2twp"


def test_every_message_is_seeded_and_code_and_links_are_byte_identical():
    for po, message in messages("zh_TW"):
        assert message.string and not message.fuzzy, f"{po.name}: {message.id!r}"
        assert CODE.findall(message.string) == CODE.findall(message.id) or [
            m.group() for m in CODE.finditer(message.string)
        ] == [m.group() for m in CODE.finditer(message.id)], f"{po.name}:{message.lineno}"
        assert LINK.findall(message.string) == LINK.findall(message.id), po.name


def test_code_spans_are_byte_identical():
    for po, message in messages("zh_TW"):
        source = [m.group() for m in CODE.finditer(message.id)]
        assert [m.group() for m in CODE.finditer(message.string)] == source, po.name


def test_glossary_exceptions_are_applied():
    text = "\n".join(
        LINK.sub("", CODE.sub("", message.string)) for _po, message in messages("zh_TW")
    )
    assert "伺服器" in text and "程式" in text
    assert "服务器" not in text and "程序员" not in text
    assert "回呼" in text and "回撥" not in text  # OpenCC's 回撥 for 回调 is a phone call-back
    assert "連接埠" in text and "樣式錶" not in text and "嚮應用" not in text


def test_converter_protects_code_roles_links_and_urls():
    pytest.importorskip("opencc")
    sys.path.insert(0, str(ROOT / "tools"))
    import zh_convert

    converter = zh_convert.Converter("s2twp")
    text = (
        "服务器把 `程序.py` 交给 {ctrl-c}`8000`，见[第 1 章](ch01.md#c10k-问题)"
        "和 https://example.com/程序 。回调、端口、访问令牌。"
    )
    got = converter.convert(text)
    assert got.startswith("伺服器把 `程序.py` 交給 {ctrl-c}`8000`，見[第 1 章](ch01.md#c10k-问题)")
    assert "https://example.com/程序" in got
    assert "回呼、連接埠、存取權杖。" in got


def test_the_edition_builds_is_switchable_traditional_and_searchable(site):
    page = (site / "ch01.html").read_text("utf-8")
    assert "伺服器" in page and "服务器" not in page
    assert 'lang="zh-TW" aria-current="true"' in page
    assert "尚未經人審校" in page  # converted, not reviewed
    index = (site / "searchindex.js").read_text("utf-8")
    terms = json.loads(index[index.index("(") + 1 : index.rindex(")")])["terms"]
    assert "伺服器" in terms and "程式" in terms
    # listings are not indexed (docs/_ext/listings.py): MAX_BELOW appears in code only
    assert "count_prim" in " ".join(terms) and "max_below" not in terms


def test_the_switcher_offers_zh_tw_in_every_edition():
    from types import SimpleNamespace

    import switcher

    context = {}
    app = SimpleNamespace(
        config=SimpleNamespace(language="en", book_repository=""),
        env=SimpleNamespace(found_docs={"ch01"}),
    )
    switcher.add_editions(app, "ch01", None, context, None)
    assert any(e["html_lang"] == "zh-TW" for e in context["book_editions"])


def test_the_progress_page_is_built_from_the_catalogs(site):
    page = (site / "translations.html").read_text("utf-8")
    assert "繁體中文（臺灣）" in page and "English" in page
    assert "100%（自動轉換，未審校）" in page  # the catalog's parentheses: full width


def test_the_banner_of_a_converted_edition_counts_reviewed_pages(site):
    page = (site / "ch01.html").read_text("utf-8")
    total = len(bookconfig.catalogs("zh_TW"))
    assert f"本版本由簡體中文自動轉換，已審校 0/{total} 頁。" in page
    assert "翻譯中" not in page


def test_sphinx_words_come_from_the_interface_catalog(site):
    page = (site / "ch01.html").read_text("utf-8")
    assert 'title="連結到此標題"' in page and "連結到這個標頭" not in page
    labels = (site / "_static" / "book-labels.js").read_text("utf-8")
    assert "沒有找到與搜尋詞相符的頁面" in labels
    assert "這個網址沒有內容" in (site / "404.html").read_text("utf-8")


def test_glossary_page_and_data_agree():
    """Appendix C's term/English pairs are the data's."""
    page = (DOCS / "glossary.md").read_text("utf-8")
    shown = dict(re.findall(r"^(\S[^\n]*)\n  \*([^*]+)\*", page, re.M))
    data = {t["zh_CN"]: t["en"] for t in GLOSSARY["term"] if t["zh_CN"] in shown}
    assert data == shown
    listed = {t["zh_CN"] for t in GLOSSARY["term"]}
    assert set(shown) <= listed


def test_glossary_rule_reports_a_drift_and_accepts_the_term():
    drift = catalog_lint.Pair("最后是样式表。", "Last, the style sheet.", "en")
    assert catalog_lint.glossary(drift) == ["glossary: 样式表 is 'stylesheet' (docs/glossary.toml)"]
    assert catalog_lint.glossary(catalog_lint.Pair("样式表", "Stylesheets", "en")) == []
    session = catalog_lint.Pair("终端记录", "a terminal session", "en")
    assert catalog_lint.glossary(session)
    zh_tw = catalog_lint.Pair("回调", "回撥", "zh_TW")
    assert catalog_lint.glossary(zh_tw)


def test_the_english_and_zh_tw_catalogs_follow_the_glossary():
    found = []
    for code in ("en", "zh_TW"):
        for po in bookconfig.catalogs(code):
            found += [p for p in catalog_lint.check_file(po, code) if "glossary:" in p]
    assert found == []


@pytest.fixture(scope="module")
def converter():
    pytest.importorskip("opencc")
    from tools import zh_convert

    return zh_convert.Converter("s2twp")


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        # Words
        # the glossary and OpenCC respect word boundaries (jieba's words)
        ("只把值放进程序自己构造的查询里", "只把值放進程式自己構造的查詢裡"),  # 放进 + 程序
        ("访问后端，并发送 `Connection: close`", "連線後端，並傳送 `Connection: close`"),
        ("全部响应用时", "全部回應耗時"),  # 响应 + 用时, not 响 + 应用
        ("启动一个进程", "啟動一個行程"),
        # the review's conversion errors
        ("所有的网卡", "所有的網路卡"),
        ("一个数据库", "一個資料庫"),
        ("用一个数据类表示", "用一個資料類別表示"),
        ("在函数里调用它", "在函式裡呼叫它"),
        ("目录里加载模板", "目錄裡載入範本"),
        ("空白字符合并", "空白字元合併"),
        ("全局解释器锁", "全域直譯器鎖"),
        ("v1 接口", "v1 介面"),
        ("写进注册表", "寫進註冊表"),
        ("第三方账号登录的模块", "第三方帳號登入的模組"),
        # Taiwan's usual words
        ("仓库里的软件包", "儲存庫裡的套件"),
        ("脚本抛出异常", "腳本拋出例外"),
        ("当前目录下的示例", "目前目錄下的範例"),
        ("超时的套接字", "逾時的通訊端"),
        ("配置文件", "設定檔"),
        ("直接按回车", "直接按 Enter 鍵"),
        # The editor's review of the converted catalogs (zh_TW at 94f9bfa)
        # 里 by character (jieba does not cut it alone in 模板里, 导航里), except 公里, 里程 ...
        ("模板里、导航里和页脚里", "範本裡、導覽裡和頁尾裡"),
        ("跑了 5 公里，里程数", "跑了 5 公里，里程數"),
        # the editor's character errors
        ("最多只能等 30 天后", "最多只能等 30 天後"),
        ("程序代码和权限的实例", "程式碼和權限的實例"),
        ("模板扩展与 UI 模块", "範本擴充與 UI 模組"),
        ("浏览器的扩展程序", "瀏覽器的擴充功能"),
        # Taiwan's words
        ("协议、证书和过长的头部", "協定、憑證和過長的標頭"),
        ("子类覆盖父类和基类的类属性", "子類別覆蓋父類別和基底類別的類別屬性"),
        ("十六进制的常量和自己的栈", "十六進位的常數和自己的堆疊"),
        ("克隆到本地，再重启服务器", "複製到本機，再重新啟動伺服器"),
        ("TLS 握手后断开，再重连", "TLS 交握後中斷，再重新連線"),
        # phrases that decide the meaning
        ("检查通过后，通过 HTTP 请求它", "檢查通過後，透過 HTTP 請求它"),
        ("函数的返回值", "函式的傳回值"),
        ("监听地址是回环地址", "監聽位址是回送位址"),
        ("虚拟地址空间", "虛擬位址空間"),
        ("填写邮箱地址", "填寫電子郵件地址"),
        ("以 MIT 许可发布", "以 MIT 授權發布"),
        ("驱动会报错", "驅動會出現錯誤"),
        ("并发的请求", "並行的請求"),
        ("终端会打印一行", "終端會印出一行"),
        ("整个测试会话就失败", "整個測試工作階段就失敗"),
        ("`docs` 会话会把全书构建成 HTML", "`docs` 工作階段會把全書建置成 HTML"),
        ("把仓库下载到本地", "把儲存庫下載到本機"),
        # the glossary's Taiwan forms
        ("自动转义和捕获组", "自動跳脫和擷取群組"),
        ("开放重定向", "開放式重新導向"),
        ("外部身份认证", "外部身分驗證"),
        ("客户端的 SQL 语句", "用戶端的 SQL 陳述式"),
        ("回到顶部", "回到頁首"),
        # Taiwan's quotation marks, outside code, link targets and URLs
        ("他说“好”", "他說「好」"),
        ("“外层‘内层’外层”", "「外層『內層』外層」"),
        ("“一层“二层”一层”", "「一層『二層』一層」"),  # the depth decides, not the mark
        ("只有右引号”", "只有右引號」"),  # unbalanced: mark by mark
        ('ASCII "引号" 不变，Tornado’s 也不变', 'ASCII "引號" 不變，Tornado’s 也不變'),
        (
            "代码 `print(“x”)` 与 [“链接”](ch01.md#“锚”) 原样",
            "程式碼 `print(“x”)` 與 [「連結」](ch01.md#“锚”) 原樣",
        ),
        ("见 https://example.com/a‘b 。", "見 https://example.com/a‘b 。"),
    ],
)
def test_words_the_editors_review_and_quotation_marks_convert_as_taiwan_writes(
    converter, source, expected
):
    assert converter.convert(source) == expected


def test_the_converted_catalogs_have_no_mainland_quotation_marks_and_no_inside_里():
    text = "\n".join(
        zh_convert_protected().sub(" ", message.string) for _po, message in messages("zh_TW")
    )
    assert "“" not in text and "”" not in text and "「" in text
    assert re.findall("(?<!公)里(?!程)", text) == []


def zh_convert_protected():
    from tools import zh_convert

    return zh_convert.PROTECTED


# The editor's review (zh_TW at 94f9bfa): each mainland word it found, as OpenCC writes it.
REVIEWED_MAINLAND = [
    "最多隻",
    "天后",
    "程式程式碼",
    "擴充套件",
    "許可權",
    "例項",
    "協議",
    "證書",
    "頭部",
    "事務",
    "域名",
    "負載均衡",
    "宕機",
    "導航",
    "克隆",
    "斜槓",
    "下劃線",
    "短橫線",
    "花括號",
    "尖括號",
    "常量",
    "棧",
    "進位制",
    "子類",
    "父類",
    "基類",
    "類屬性",
    "生成器",
    "只讀",
    "控制台",
    "版本庫",
    "帖子",
    "演示",
    "教程",
    "構建",
    "自定義",
    "識別符號",
    "提示符",
    "回滾",
    "文本",
    "重啟",
    "握手",
    "叫號屏",
    "資訊屏",
    "斷開",
    "重連",
    "返回值",
    "監聽地址",
    "迴環地址",
    "虛擬地址",
    "郵箱",
    "許可",
    "報錯",
    "併發",
    "列印",
    "落盤",
    "搞反",
    "公網",
    "內網",
    "外網",
    "直連",
    "模板",
    "轉義",
    "捕獲組",
    "身份",
    "重定向",
    "客戶端",
    "匹配",
    "語句",
    "回到頂部",
    "會話",
]


def test_the_check_knows_every_mainland_word_of_the_review():
    from tools import zh_convert

    listed = zh_convert.mainland_words("zh_TW")
    assert [word for word in REVIEWED_MAINLAND if word not in listed] == []


def test_the_check_finds_an_inside_里_and_mainland_quotation_marks():
    from tools import zh_convert

    assert zh_convert.character_problems("模板里说“好”") == [
        "里 meaning inside (Taiwan: 裡)",
        "mainland quotation marks (Taiwan: 「」 and 『』)",
    ]
    assert zh_convert.character_problems("5 公里的「里程」，don’t") == []


def test_the_check_reads_a_mainland_word_but_not_inside_its_taiwan_form(monkeypatch, tmp_path):
    from tools import zh_convert

    po = tmp_path / "sphinx.po"
    po.write_text('msgid "a"\nmsgstr "子類別與子類"\n', "utf-8")
    monkeypatch.setattr(zh_convert.bookconfig, "catalogs", lambda code: [])
    monkeypatch.setattr(zh_convert.bookconfig, "interface_catalog", lambda code: po)
    monkeypatch.setattr(zh_convert, "ROOT", tmp_path)
    found = zh_convert.check("zh_TW")
    # the msgstr's line (2), as the catalog lint reports, not the msgid's
    assert found == ["sphinx.po:2: 子類 is mainland usage (Taiwan: 子類別)"]
    po.write_text('msgid "a"\nmsgstr "子類別"\n', "utf-8")
    assert zh_convert.check("zh_TW") == []


def test_a_reviewed_interface_catalog_keeps_the_reviewers_wording(converter, monkeypatch, tmp_path):
    """With "interface" in `reviewed`, a reviewer's msgstr stays; a message the catalog lacks is
    converted and marked fuzzy. Without it, the catalog is converted from the source again."""
    from tools import zh_convert

    source = bookconfig.interface_catalog("zh_CN")
    target = tmp_path / "sphinx.po"
    reviewed_text = source.read_text("utf-8").replace(
        'msgstr "回到顶部"', 'msgstr "回到本頁最上方"'
    )
    assert reviewed_text != source.read_text("utf-8")
    head, _sep, _rest = reviewed_text.partition('msgid "Page not found"')
    target.write_text(head, "utf-8")  # the reviewed catalog lacks "Page not found" and later
    paths = {"zh_CN": source, "zh_TW": target}
    monkeypatch.setattr(zh_convert.bookconfig, "interface_catalog", lambda code: paths[code])
    zh_convert.convert_interface("zh_TW", converter, reviewed=True)
    with target.open("rb") as f:
        catalog = {m.id: m for m in read_po(f)}
    assert catalog["Back to top"].string == "回到本頁最上方"
    assert not catalog["Back to top"].fuzzy
    assert catalog["Page not found"].string and catalog["Page not found"].fuzzy
    zh_convert.convert_interface("zh_TW", converter)
    with target.open("rb") as f:
        catalog = {m.id: m for m in read_po(f)}
    assert catalog["Back to top"].string == "回到頁首"


def test_no_mainland_word_is_left_in_unreviewed_pages():
    from tools import zh_convert

    assert zh_convert.check("zh_TW") == []


def test_the_check_names_the_catalog_line_of_a_mainland_word(monkeypatch):
    from tools import zh_convert

    monkeypatch.setattr(zh_convert, "mainland_words", lambda code: {"伺服器": "example"})
    found = zh_convert.check("zh_TW")
    assert found and re.fullmatch(
        r"docs/locales/zh_TW/LC_MESSAGES/\S+\.po:\d+: 伺服器 is mainland usage \(Taiwan: example\)",
        found[0],
    )
    assert zh_convert.check_all() == 1
    path, line = found[0].split(":")[:2]  # the msgstr's line, as the catalog lint reports
    text = (ROOT / path).read_text("utf-8").splitlines()[int(line) - 1]
    assert text.startswith("msgstr") and "伺服器" in text


def test_the_mainland_words_are_not_the_targets_of_conversions():
    """A Taiwan word may contain a mainland one (子類別 and 子類: the check skips the Taiwan
    word), but no mainland word is itself a word the conversion writes."""
    targets = {entry["zh_TW"] for entry in GLOSSARY["conversion"]}
    targets |= {term["zh_TW"] for term in GLOSSARY["term"] if term.get("zh_TW")}
    assert [word for word in GLOSSARY["mainland"]["zh_TW"] if word in targets] == []


# Sphinx's SearchChinese opens docs/jieba-dict.txt through jieba and never closes it.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_zh_tw_search_segments_the_edition_words(tmp_path):
    """The zh_TW index is cut with Traditional words: 非同步 is not 非 + 同步 (its opposite)."""
    pytest.importorskip("jieba")
    from types import SimpleNamespace

    import zh_search

    app = SimpleNamespace(srcdir=str(DOCS), doctreedir=str(tmp_path))
    config = SimpleNamespace(html_search_language="zh", language="zh_TW", zh_search_dict_digest="")
    zh_search.trim_dictionary(app, config)
    try:
        search = zh_search.ChineseSearch({"dict": str(DOCS / "jieba-dict.txt")})
        words = set(search.split("事件迴圈讓非同步的處理器查詢資料庫"))
    finally:
        zh_search.ChineseSearch.main_dictionary = zh_search.ChineseSearch.edition_dictionary = None
    assert {"事件迴圈", "非同步", "處理器", "資料庫"} <= words
    assert config.zh_search_dict_digest  # a change of these words rebuilds the index


def test_no_source_word_hides_a_glossary_word(converter):
    from tools import zh_convert

    assert zh_convert.hidden_words("zh_TW", converter) == []
    listed = converter.exceptions
    # without 多进程 (one word of jieba's), the glossary's 进程 would not be placed in it
    converter.exceptions = {word: tw for word, tw in listed.items() if word != "多进程"}
    try:
        found = zh_convert.hidden_words("zh_TW", converter)
    finally:
        converter.exceptions = listed
    assert any(line.startswith("多进程 (") and "多程序: 进程 → 行程" in line for line in found)


def test_the_search_page_counts_results_in_traditional_chinese(site):
    """Sphinx 9.0's own zh_TW catalog translates the search result count as an empty string:
    the edition's interface catalog supplies it, loaded after Sphinx's translations.js."""
    sphinx_catalog = (site / "_static" / "translations.js").read_text("utf-8")
    assert '"Search finished, found one page matching the search query.": [\n            ""' in (
        sphinx_catalog
    )  # still broken upstream; if this fails, Sphinx fixed it and the override may go
    labels = (site / "_static" / "book-labels.js").read_text("utf-8")
    assert "搜尋完成：找到 ${resultCount} 個頁面。" in labels
    page = (site / "search.html").read_text("utf-8")
    assert page.index("_static/translations.js") < page.index("_static/book-labels.js")


REVIEWED_PAGE = """msgid ""
msgstr ""
"Content-Type: text/plain; charset=UTF-8\\n"
"Language: zh_TW\\n"

#, fuzzy
#| msgid "Tornado 是什么"
msgid "Tornado 究竟是什么"
msgstr "Tornado 究竟是何物"

msgid "处理器"
msgstr "處理器（審校過）"

msgid "新的段落"
msgstr ""
"""


def test_a_reviewed_page_keeps_its_fuzzy_translations_and_previous_msgids(converter, tmp_path):
    """After a source change the update marks a reviewed page's message fuzzy with a `#|`
    previous msgid: the converter kept neither (Babel read `#|` as a comment, written back as
    `# |`, and the reviewer's msgstr was replaced by a fresh conversion)."""
    from tools import zh_convert

    po = tmp_path / "ch01.po"
    po.write_text(REVIEWED_PAGE, "utf-8")
    for _ in range(2):  # and again: nothing piles up
        zh_convert.convert_catalog(po, converter, reviewed=True)
        text = po.read_text("utf-8")
        kept = '#| msgid "Tornado 是什么"\nmsgid "Tornado 究竟是什么"\nmsgstr "Tornado 究竟是何物"'
        assert kept in text
        assert "# |" not in text
        assert 'msgstr "處理器（審校過）"' in text
        assert '#, fuzzy\nmsgid "新的段落"\nmsgstr "新的段落"' in text
    zh_convert.convert_catalog(po, converter, reviewed=False)  # not reviewed: converted afresh
    text = po.read_text("utf-8")
    assert "#|" not in text and "#, fuzzy" not in text and 'msgstr "Tornado 究竟是什麼"' in text


def test_interface_in_reviewed_reaches_the_interface_conversion(monkeypatch):
    """`reviewed = ["interface"]` was discarded before it was read: the reviewer's interface
    wording was converted over."""
    from tools import zh_convert

    seen = {}
    entry = {**bookconfig.editions()["zh_TW"], "reviewed": ["interface"]}
    monkeypatch.setattr(zh_convert.bookconfig, "editions", lambda: {"zh_TW": entry})
    monkeypatch.setattr(zh_convert, "Converter", lambda config: None)
    monkeypatch.setattr(zh_convert, "convert_catalog", lambda po, conv, reviewed: None)
    monkeypatch.setattr(
        zh_convert, "convert_interface", lambda code, conv, reviewed: seen.update(ui=reviewed)
    )
    assert zh_convert.main("zh_TW") == 0
    assert seen == {"ui": True}


def test_a_glossary_word_that_begins_a_longer_one_is_still_a_word():
    """jieba lists every prefix of a word it knows, with a count of 0: such a prefix must
    still be added when the glossary names it (氕氘氚氙 comes first and makes 氕氘 a prefix)."""
    pytest.importorskip("jieba")
    from tools import zh_convert

    cutter = zh_convert.tokenizer(["氕氘氚氙", "氕氘"])
    assert cutter.FREQ["氕氘"] > 0
    assert cutter.lcut("氕氘是")[0] == "氕氘"
