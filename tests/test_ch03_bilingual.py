import datetime
import urllib.parse

import pytest
import tornado.locale

from examples.ch03 import bilingual

EXAMPLE = bilingual
CHINESE = {"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8"}


def menu(server, query="", **headers):
    resp = server.fetch("/" + query, headers=headers)
    assert resp.status == 200
    return resp


@pytest.mark.reader
def test_accept_language_chooses_chinese(server):
    resp = server.fetch("/?cups=3", headers=CHINESE)
    assert resp.status == 200
    page = resp.html
    assert page.html["lang"] == "zh-CN"
    assert resp.headers["Content-Language"] == "zh-CN"
    assert resp.headers["Vary"] == "Accept-Language, Cookie"
    assert page.title.string == "今日茶单 · 小茶壶"
    assert [li.string for li in page.select("ul li")] == ["龙井", "白牡丹", "铁观音"]
    assert page.select_one("p.order").string == "您点了 3 杯"
    assert page.select_one("p.harvest").string == "春茶采于2026年4月2日 上午9:30。"
    # friendly_number groups digits only for en and en_US.
    assert page.select_one("p.poured").string == "开业以来已泡茶 12873 杯"
    assert page.select_one("nav strong").string == "中文"
    assert page.select_one("nav a")["href"] == "/lang?to=en_US"


@pytest.mark.reader
def test_english_is_the_default(server):
    page = server.fetch("/?cups=3").html
    assert page.html["lang"] == "en-US"
    assert page.title.string == "Our teas today · Little Kettle"
    assert page.select_one("p.order").string == "Your order: 3 cups"
    assert page.select_one("p.harvest").string == "Spring leaves picked April 2, 2026 at 9:30 am."
    assert page.select_one("p.poured").string == "Cups poured since we opened: 12,873"
    assert page.select_one("nav a")["href"] == "/lang?to=zh_CN"


@pytest.mark.parametrize(
    ("accept", "lang"),
    [
        ("en-US,en;q=0.9", "en-US"),
        ("fr-FR,fr;q=0.9", "en-US"),  # nothing we have: the default
        ("fr;q=1, zh-CN;q=0.5", "zh-CN"),  # French first, but only Chinese is on offer
        ("en;q=0.4, zh_cn;q=0.8", "zh-CN"),  # the q values decide, not the order
        ("zh-CN;q=0", "en-US"),  # q=0 means "not this one"
        ("zh", "en-US"),  # a general tag does not reach a specific catalog
        ("zh-TW", "en-US"),
        ("zz;q=abc, *;q=-1, ;;;", "en-US"),
        # Tags with a script part: three parts are skipped, zh-Hans tries zh_HANS and zh.
        ("zh-Hans-CN", "en-US"),
        ("zh-Hans", "en-US"),
        ("zh-Hans-CN, zh-CN;q=0.5", "zh-CN"),
        # Only the first parameter, and only a lowercase "q=", is read as the weight.
        ("zh-CN;Q=0", "zh-CN"),
        ("zh-CN;level=1;q=0", "zh-CN"),
        ("zh-CN;q", "zh-CN"),
    ],
)
def test_accept_language(server, accept, lang):
    assert menu(server, **{"Accept-Language": accept}).html.html["lang"] == lang


@pytest.mark.parametrize("count", [1, 2, 20])
def test_plural_forms(server, count):
    en = menu(server, f"?cups={count}").html.select_one("p.order").string
    zh = menu(server, f"?cups={count}", **CHINESE).html.select_one("p.order").string
    assert en == (f"Your order: {count} cup" if count == 1 else f"Your order: {count} cups")
    assert zh == f"您点了 {count} 杯"


@pytest.mark.reader
def test_link_sets_a_cookie_that_overrides_the_browser(server):
    resp = server.fetch("/lang?to=zh_CN")
    assert resp.status == 302
    assert resp.headers["Location"] == "/"
    cookie = resp.headers["Set-Cookie"]
    assert cookie.startswith("locale=zh_CN;")
    attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")[1:]}
    assert {"path", "samesite", "httponly", "max-age"} <= attributes
    assert "Path=/" in cookie and "SameSite=Lax" in cookie
    page = menu(server, Cookie="locale=zh_CN", **{"Accept-Language": "en-US"}).html
    assert page.html["lang"] == "zh-CN"
    page = menu(server, Cookie="locale=en_US", **CHINESE).html
    assert page.html["lang"] == "en-US"


@pytest.mark.parametrize("value", ["fr", "zh", "zh-CN", "", "en_US%00", "x" * 5000, '"zh_CN'])
def test_a_cookie_we_cannot_honour_is_ignored(server, value):
    # Only an exact code we have counts; anything else leaves the choice to Accept-Language.
    page = menu(server, Cookie=f"locale={value}", **CHINESE).html
    assert page.html["lang"] == "zh-CN"
    page = menu(server, Cookie=f"locale={value}").html
    assert page.html["lang"] == "en-US"


@pytest.mark.parametrize("to", ["", "fr", "zh", "zh-CN", "en_us", "<b>"])
def test_switching_to_an_unknown_language_is_400(server, to):
    resp = server.fetch("/lang?" + urllib.parse.urlencode({"to": to}))
    assert resp.status == 400
    assert resp.text == "unknown language; use zh_CN or en_US\n"
    assert "Set-Cookie" not in resp.headers
    resp = server.fetch("/lang?" + urllib.parse.urlencode({"to": to}), headers=CHINESE)
    assert resp.text == "不支持这种语言，请用 zh_CN 或 en_US\n"


def test_name_is_escaped_in_both_languages(server):
    name = '"><script>alert(1)</script>'
    query = "?" + urllib.parse.urlencode({"name": name})
    for headers, text in [({}, f"Welcome, {name}!"), (CHINESE, f"欢迎光临，{name}！")]:
        resp = menu(server, query, **headers)
        assert resp.html.select_one("p.welcome").string == text
        assert resp.html.find("script") is None
        assert b"<script>" not in resp.body


def test_no_name_no_welcome(server):
    assert menu(server).html.select_one("p.welcome") is None


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("?cups=0", "cups must be a whole number from 1 to 20\n"),
        ("?cups=21", "cups must be a whole number from 1 to 20\n"),
        ("?cups=two", "cups must be a whole number from 1 to 20\n"),
        ("?name=" + "x" * 41, "a name has at most 40 characters\n"),
    ],
)
def test_bad_input_is_400_with_a_message(server, query, message):
    resp = server.fetch("/" + query)
    assert resp.status == 400
    assert resp.headers["Content-Type"] == "text/plain; charset=UTF-8"
    assert resp.text == message
    assert resp.headers["Vary"] == "Accept-Language, Cookie"


@pytest.mark.parametrize("cups", ["1_0", "३", "+3", "٣", "3.0", "", "9" * 5000])
def test_cups_takes_ascii_digits_only(server, cups):
    # int() alone accepts the first four: 10, Devanagari 3, 3 and Arabic-Indic 3.
    resp = server.fetch("/?" + urllib.parse.urlencode({"cups": cups}))
    assert resp.status == 400
    assert resp.text == "cups must be a whole number from 1 to 20\n"


def test_tornados_own_messages_stay_english(server):
    # write_error translates only what our catalog holds.
    resp = server.fetch("/?name=%ff", headers=CHINESE)
    assert resp.status == 400
    assert resp.text.startswith("Invalid unicode in name: ")
    resp = server.fetch("/", method="POST", body=b"", headers=CHINESE)
    assert resp.status == 405
    assert "Method Not Allowed" in resp.text
    assert "Allow" not in resp.headers


def test_bad_input_is_explained_in_chinese_too(server):
    resp = server.fetch("/?cups=99", headers=CHINESE)
    assert resp.status == 400
    assert resp.text == "杯数必须是 1 到 20 之间的整数\n"


def test_non_utf8_name_is_400(server):
    resp = server.fetch("/?name=%ff")
    assert resp.status == 400
    assert "Invalid unicode" in resp.text


def test_other_methods_get_tornados_405(server):
    resp = server.fetch("/", method="POST", body=b"")
    assert resp.status == 405
    assert "text/html" in resp.headers["Content-Type"]


def test_format_date_relative_and_absolute(server):
    # What the prose says format_date prints, for both catalogs (loaded by make_app()).
    now = datetime.datetime.now(datetime.UTC)
    en, zh = tornado.locale.get("en_US"), tornado.locale.get("zh_CN")
    three_minutes = now - datetime.timedelta(minutes=3, seconds=10)
    assert en.format_date(three_minutes) == "3 minutes ago"
    # Strings our catalog lacks come out in English: Tornado ships no translated sentences,
    # only each language's name in that language.
    assert zh.format_date(three_minutes) == "3 minutes ago"
    assert zh.name == "中文(简体)"
    picked = en.format_date(bilingual.HARVEST, gmt_offset=bilingual.HANGZHOU, full_format=True)
    assert picked == "April 2, 2026 at 9:30 am"
    # gmt_offset counts minutes behind UTC: +480 would mean eight hours WEST of Greenwich.
    wrong = en.format_date(bilingual.HARVEST, gmt_offset=480, full_format=True)
    assert wrong == "April 1, 2026 at 5:30 pm"
    assert zh.friendly_number(1234567) == "1234567"
    assert en.friendly_number(1234567) == "1,234,567"


def test_what_the_prose_says_about_locale_objects(server, caplog):
    en, zh = tornado.locale.get("en_US"), tornado.locale.get("zh_CN")
    # Locale objects are cached: loading another catalog later does not reach them.
    assert tornado.locale.get("zh_CN") is zh
    # shorter=True drops the time, except within 24 hours with relative=False.
    now = datetime.datetime.now(datetime.UTC)
    assert en.format_date(now - datetime.timedelta(hours=3), shorter=True) == "3 hours ago"
    three_hours = en.format_date(now - datetime.timedelta(hours=3), relative=False, shorter=True)
    assert three_hours.endswith((" am", " pm"))
    three_days = now - datetime.timedelta(days=3)
    assert en.format_date(three_days, shorter=True) == en._weekdays[three_days.weekday()]
    # A CSV catalog has no contexts: every pgettext call logs a warning, except for en_US,
    # which has no catalog at all.
    with caplog.at_level("WARNING", logger="tornado.general"):
        assert zh.pgettext("direction", "Longjing") == "龙井"
        assert zh.pgettext("direction", "Longjing") == "龙井"
        assert en.pgettext("direction", "Longjing") == "Longjing"
    warnings = [r.getMessage() for r in caplog.records]
    assert warnings == ["pgettext is not supported by CSVLocale"] * 2
