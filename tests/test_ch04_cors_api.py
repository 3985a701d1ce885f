import json

import pytest
import tornado.web

from examples.ch04 import cors_api
from tests.support import body_limit, example_relpath, run_example, serve_in_thread, start_error

EXAMPLE = cors_api
APP = "https://app.example.com"
EVIL = "https://evil.example"
JSON = {"Content-Type": "application/json"}
CORS = [
    "Access-Control-Allow-Origin",
    "Access-Control-Allow-Credentials",
    "Access-Control-Expose-Headers",
]


@pytest.fixture
def api(mode):
    """The API as the book starts it: pages from APP may call it, with their cookies."""
    if mode == "in-process":
        app = cors_api.make_app([APP], credentials=True)
        with serve_in_thread(app, **body_limit(cors_api)) as srv:
            yield srv
    else:
        options = (f"--origins={APP}", "--credentials")
        with run_example(example_relpath(cors_api), *options) as srv:
            yield srv


def call(srv, method, path, origin=None, data=None, headers=None):
    headers = {**({"Origin": origin} if origin else {}), **(headers or {})}
    body = None if data is None else json.dumps(data).encode()
    return srv.fetch(path, method=method, body=body, headers=headers)


def preflight(srv, path, method, request_headers=None, origin=APP):
    headers = {"Access-Control-Request-Method": method}
    if request_headers is not None:
        headers["Access-Control-Request-Headers"] = request_headers
    return call(srv, "OPTIONS", path, origin, headers=headers)


def error(resp):
    assert resp.headers["Content-Type"] == "application/json; charset=UTF-8"
    return json.loads(resp.body)["error"]


@pytest.mark.reader
def test_a_listed_origin_may_read_the_answer(api):
    resp = call(api, "GET", "/words/latency", APP)
    assert resp.status == 200
    assert json.loads(resp.body)["definition"] == cors_api.SAMPLES["latency"]
    assert resp.headers["Access-Control-Allow-Origin"] == APP
    assert resp.headers["Access-Control-Allow-Credentials"] == "true"
    assert resp.headers["Vary"] == "Origin"


@pytest.mark.parametrize("origin", [EVIL, None, "null", APP.upper(), APP + "/", "*"])
def test_any_other_origin_gets_the_answer_but_no_permission_to_read_it(api, origin):
    resp = call(api, "GET", "/words/latency", origin)
    assert resp.status == 200
    assert not [name for name in CORS if name in resp.headers]
    assert resp.headers["Vary"] == "Origin"  # so a cache never gives this answer to APP


def test_without_credentials_the_origin_is_allowed_but_not_its_cookies():
    with serve_in_thread(cors_api.make_app([APP])) as srv:
        resp = call(srv, "GET", "/words", APP)
    assert resp.headers["Access-Control-Allow-Origin"] == APP
    assert "Access-Control-Allow-Credentials" not in resp.headers


def test_no_origins_listed_means_no_page_elsewhere_may_read():
    with serve_in_thread(cors_api.make_app()) as srv:
        resp = call(srv, "GET", "/words", APP)
    assert resp.status == 200
    assert "Access-Control-Allow-Origin" not in resp.headers


@pytest.mark.reader
def test_a_preflight_for_an_allowed_method_and_header_is_answered(api):
    resp = preflight(api, "/words/latency", "PUT", "Content-Type")
    assert (resp.status, resp.body) == (204, b"")
    assert resp.headers["Access-Control-Allow-Origin"] == APP
    assert resp.headers["Access-Control-Allow-Methods"] == "GET, PUT"
    assert resp.headers["Access-Control-Allow-Headers"] == "content-type"
    assert resp.headers["Access-Control-Max-Age"] == str(cors_api.PREFLIGHT_MAX_AGE)
    assert resp.headers["Allow"] == "GET, PUT, OPTIONS"
    assert preflight(api, "/words", "POST", "content-type").status == 204
    assert preflight(api, "/words", "GET").status == 204  # no headers asked for
    assert preflight(api, "/words", "GET", " , ").status == 204


@pytest.mark.parametrize(
    ("path", "method", "asked", "origin", "message"),
    [
        ("/words/latency", "PUT", "content-type", EVIL, f"origin {EVIL} may not call this API"),
        ("/words/latency", "DELETE", None, APP, "method DELETE is not allowed here"),
        ("/words/latency", "POST", None, APP, "method POST is not allowed here"),
        ("/words", "PUT", None, APP, "method PUT is not allowed here"),
        ("/words", "POST", "content-type, x-secret", APP, "request header x-secret is not allowed"),
        ("/words", "POST", "authorization", APP, "request header authorization is not allowed"),
    ],
)
def test_a_preflight_outside_the_rules_gets_403_and_a_reason(
    api, path, method, asked, origin, message
):
    resp = preflight(api, path, method, asked, origin)
    assert (resp.status, error(resp)) == (403, message)
    assert "Access-Control-Allow-Methods" not in resp.headers
    assert "Allow" not in resp.headers  # set before the check, gone with send_error's clear()
    assert resp.headers.get("Access-Control-Allow-Origin") == (APP if origin == APP else None)


@pytest.mark.parametrize("origin", [None, APP])
def test_an_options_request_that_is_not_a_preflight_lists_the_methods(api, origin):
    resp = call(api, "OPTIONS", "/words", origin)
    assert (resp.status, resp.headers["Allow"]) == (204, "GET, POST, OPTIONS")
    assert "Access-Control-Allow-Methods" not in resp.headers


def test_without_an_options_method_tornado_answers_405():
    class Plain(tornado.web.RequestHandler):
        def get(self):
            self.write("hello")

    with serve_in_thread(tornado.web.Application([("/", Plain)])) as srv:
        assert preflight(srv, "/", "GET").status == 405


@pytest.mark.parametrize(
    ("method", "path", "data", "headers", "status", "message"),
    [
        ("GET", "/words/gopher", None, {}, 404, "no such word: gopher"),
        ("GET", "/nowhere", None, {}, 404, "no such resource: /nowhere"),
        ("DELETE", "/words/latency", None, {}, 405, "Method Not Allowed"),
        ("PUT", "/words/latency", {"definition": "x"}, {}, 415, "send JSON with"),
        ("PUT", "/words/gopher", {"definition": "A protocol."}, JSON, 404, "no such word"),
    ],
)
def test_errors_keep_the_cors_headers(api, method, path, data, headers, status, message):
    resp = call(api, method, path, APP, data, headers)
    assert resp.status == status
    assert error(resp).startswith(message)
    assert resp.headers["Access-Control-Allow-Origin"] == APP
    assert resp.headers["Access-Control-Allow-Credentials"] == "true"
    assert resp.headers["Vary"] == "Origin"


def test_headers_set_outside_set_default_headers_are_lost_on_an_error():
    class Careless(tornado.web.RequestHandler):
        def prepare(self):
            self.set_header("Access-Control-Allow-Origin", APP)

        def get(self, word):
            if word != "latency":
                raise tornado.web.HTTPError(404)
            self.write(word)

    with serve_in_thread(tornado.web.Application([("/words/(.*)", Careless)])) as srv:
        found = srv.fetch("/words/latency", headers={"Origin": APP})
        missing = srv.fetch("/words/gopher", headers={"Origin": APP})
    assert found.headers["Access-Control-Allow-Origin"] == APP
    assert missing.status == 404
    assert "Access-Control-Allow-Origin" not in missing.headers  # send_error() called clear()


@pytest.mark.reader
def test_a_body_over_the_limit_gets_the_servers_bare_400_without_cors_headers(api):
    answer = api.post_head("/words", cors_api.MAX_BODY_SIZE + 1)
    assert answer == b"HTTP/1.1 400 Bad Request\r\n\r\n"  # no handler ran: no headers at all


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'{"definition": "x"', "the body is not valid JSON"),
        (b"\xff\xfe", "the body is not valid JSON"),
        (b"[" * 10_000, "the body is not valid JSON"),
        (b'["definition"]', "the body must be a JSON object"),
        (b"{}", "definition must be a string that is not empty"),
        (b'{"definition": 1}', "definition must be a string that is not empty"),
        (b'{"definition": "  "}', "definition must be a string that is not empty"),
        (json.dumps({"definition": "x" * 501}).encode(), "definition is longer than 500"),
        (b'{"definition": "a\\u0000b"}', "definition must not contain control characters"),
        (b'{"definition": "a\\ud800b"}', "definition must not contain control characters"),
    ],
)
def test_bad_json_gets_400_with_a_reason_and_the_cors_headers(api, body, message):
    resp = api.fetch("/words/latency", "PUT", body, {"Origin": APP, **JSON})
    assert resp.status == 400
    assert error(resp).startswith(message)
    assert resp.headers["Access-Control-Allow-Origin"] == APP
    assert (
        json.loads(call(api, "GET", "/words/latency").body)["definition"]
        == (cors_api.SAMPLES["latency"])
    )


@pytest.mark.reader
def test_a_listed_origin_adds_and_corrects_words(api):
    cross_site = {"Sec-Fetch-Site": "cross-site", **JSON}
    entry = {"word": "jitter", "definition": "How much the latency varies."}
    resp = call(api, "POST", "/words", APP, entry, cross_site)
    assert (resp.status, json.loads(resp.body)) == (201, entry)
    assert resp.headers["Location"] == "/words/jitter"
    assert resp.headers["Access-Control-Expose-Headers"] == "Location"
    resp = call(api, "PUT", "/words/jitter", APP, {"definition": "Shaky latency."}, cross_site)
    assert json.loads(resp.body) == {"word": "jitter", "definition": "Shaky latency."}
    resp = call(api, "POST", "/words", APP, entry, cross_site)
    assert (resp.status, error(resp)) == (409, "jitter is already in the dictionary")
    words = json.loads(call(api, "GET", "/words").body)["words"]
    assert words == sorted([*cors_api.SAMPLES, "jitter"])


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": EVIL, "Sec-Fetch-Site": "cross-site", "Content-Type": "text/plain"},
        {"Origin": EVIL, "Content-Type": "text/plain"},  # an older browser: no Sec-Fetch-Site
        {"Origin": EVIL, "Sec-Fetch-Site": "cross-site", **JSON},
        {"Origin": "https://shop.app.example.com", "Sec-Fetch-Site": "same-site", **JSON},
    ],
)
def test_a_write_from_an_unlisted_origin_arrives_and_is_refused(api, headers):
    body = json.dumps({"word": "free", "definition": "Click here."}).encode()
    resp = api.fetch("/words", "POST", body, headers)
    assert resp.status == 403
    assert "not allowed" in error(resp)
    assert "Access-Control-Allow-Origin" not in resp.headers
    assert call(api, "GET", "/words/free").status == 404


def test_a_simple_post_from_a_listed_origin_is_not_json(api):
    headers = {"Origin": APP, "Sec-Fetch-Site": "cross-site", "Content-Type": "text/plain"}
    resp = api.fetch("/words", "POST", b'{"word": "a", "definition": "b"}', headers)
    assert (resp.status, error(resp)) == (415, "send JSON with Content-Type: application/json")


def test_the_dictionary_has_a_size_limit(monkeypatch):
    monkeypatch.setattr(cors_api, "MAX_WORDS", len(cors_api.SAMPLES))
    with serve_in_thread(cors_api.make_app()) as srv:
        resp = call(srv, "POST", "/words", None, {"word": "w", "definition": "d"}, JSON)
    assert (resp.status, error(resp)) == (409, "the dictionary is full (3 words)")


def test_the_app_starts_with_the_samples_each_time():
    first, second = cors_api.make_app(), cors_api.make_app()
    with serve_in_thread(first) as srv:
        call(srv, "POST", "/words", None, {"word": "w", "definition": "d"}, JSON)
    with serve_in_thread(second) as srv:
        assert call(srv, "GET", "/words/w").status == 404


@pytest.mark.parametrize(
    ("option", "message"),
    [
        ("--origins=*", "not an origin: '*'"),
        ("--origins=https://app.example.com/", "not an origin: 'https://app.example.com/'"),
        ("--origins=https://App.example.com", "in lower case"),
        ("--origins=null", "never *"),
        ("--port=0", "port must be between 1 and 65535, not 0"),
        ("--port=http", "invalid literal for int()"),
        ("--origin=https://app.example.com", "Unrecognized command line option: 'origin'"),
    ],
)
def test_a_bad_option_stops_it_with_one_line(option, message):
    assert message in start_error(cors_api, option)


def test_several_origins_may_be_listed():
    cors_api.check_origins(["https://app.example.com", "http://localhost:8001"])
    local = ["http://localhost:8001", "http://127.0.0.1:8001", "http://localhost"]
    cors_api.check_origins(["https://app.example.com", *local], credentials=True)


@pytest.mark.parametrize(
    "origin", ["http://app.example.com", "http://localhost.evil.example", "http://127.0.0.10"]
)
def test_with_credentials_an_http_origin_must_be_this_machine(origin):
    message = f"error: with --credentials, list https:// origins only, not {origin}"
    assert start_error(cors_api, f"--origins={origin}", "--credentials") == message
    cors_api.check_origins([origin])  # without cookies, the answers are no one's secret


@pytest.mark.parametrize("word", [".", ".."])
def test_dot_names_are_not_words(api, word):
    entry = {"word": word, "definition": "Leads the Location elsewhere."}
    resp = call(api, "POST", "/words", APP, entry, {"Sec-Fetch-Site": "cross-site", **JSON})
    assert (resp.status, error(resp)) == (400, f"{word} cannot be a word here")
    assert word not in json.loads(call(api, "GET", "/words").body)["words"]


def test_a_bug_is_a_500_that_says_little_and_keeps_the_cors_headers(monkeypatch):
    def broken(self, word):
        raise RuntimeError("a detail for the log, not for the client")

    monkeypatch.setattr(cors_api.WordHandler, "get", broken)
    with serve_in_thread(cors_api.make_app([APP])) as srv:
        resp = call(srv, "GET", "/words/latency", APP)
    assert (resp.status, error(resp)) == (500, "something went wrong on our side")
    assert resp.headers["Access-Control-Allow-Origin"] == APP
