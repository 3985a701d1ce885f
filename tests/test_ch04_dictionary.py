import asyncio
import collections
import json
import re
import subprocess
import sys
import urllib.parse

import pytest
from tornado.httpclient import AsyncHTTPClient

from examples.ch04 import dictionary
from tests.ch04_support import outcome, query
from tests.support import ROOT, example_relpath

EXAMPLE = dictionary
JSON = {"Content-Type": "application/json"}
SAMPLES = len(dictionary.SAMPLES)


def call(server, method, path, data=None, headers=JSON):
    """(status, decoded JSON body, response) of one request with a JSON body."""
    body = None if data is None else json.dumps(data).encode()
    resp = server.fetch(path, method=method, body=body, headers=headers)
    assert resp.headers["Content-Type"] == "application/json; charset=UTF-8"
    return resp.status, json.loads(resp.body), resp


def word_path(word):
    return "/words/" + urllib.parse.quote(word, safe="")


def count_words(database_url):
    return query(dictionary, database_url, "SELECT count(*) FROM words")[0][0]


@pytest.mark.reader
def test_lookups_are_counted(server):
    for hits in (1, 2, 3):
        status, body, _ = call(server, "GET", "/words/latency")
        assert (status, body["hits"]) == (200, hits)
    assert body == {"word": "latency", "definition": dictionary.SAMPLES["latency"], "hits": 3}
    assert call(server, "GET", "/words")[:2] == (200, {"words": sorted(dictionary.SAMPLES)})


def test_missing_word_is_404(server):
    assert call(server, "GET", "/words/gopher")[:2] == (404, {"error": "no such word: gopher"})
    status, body, _ = call(server, "PUT", "/words/gopher", {"definition": "A protocol."})
    assert (status, body) == (404, {"error": "no such word: gopher"})


@pytest.mark.reader
def test_add_then_look_up_then_correct(server, database_url):
    entry = {"word": "round trip", "definition": "There and back again."}
    status, body, resp = call(server, "POST", "/words", entry)
    assert (status, body) == (201, {**entry, "hits": 0})
    assert resp.headers["Location"] == "/words/round%20trip"
    status, body, _ = call(server, "GET", resp.headers["Location"])
    assert (status, body) == (200, {**entry, "hits": 1})
    status, body, _ = call(server, "PUT", "/words/round%20trip", {"definition": "Out and home."})
    assert (status, body) == (200, {"word": "round trip", "definition": "Out and home.", "hits": 1})
    assert count_words(database_url) == SAMPLES + 1


def test_duplicate_is_409_and_changes_nothing(server, database_url):
    status, body, _ = call(server, "POST", "/words", {"word": "dns", "definition": "Oops."})
    assert (status, body) == (409, {"error": "dns is already in the dictionary"})
    assert call(server, "GET", "/words/dns")[1]["definition"] == dictionary.SAMPLES["dns"]
    assert count_words(database_url) == SAMPLES


HOSTILE = [
    "'; DROP TABLE words; --",
    '" OR 1=1 --',
    "Robert'); DELETE FROM words WHERE ('1'='1",
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "延迟：消息从发出到收到所用的时间",
    "👩‍💻 🐍 🇨🇳",
    "a/b?c=d#e %2F %00",
    "\\x00 is not a NUL; backslash-zero stays text",
]


def test_hostile_text_is_stored_and_returned_exactly(server, database_url):
    for added, text in enumerate(HOSTILE, 1):
        word = text[: dictionary.LIMITS["word"]]
        status, body, resp = call(server, "POST", "/words", {"word": word, "definition": text})
        assert (status, body) == (201, {"word": word, "definition": text, "hits": 0}), text
        assert not re.search(rb"[<>&]", resp.body)  # write_json writes them as \u escapes
        assert re.findall(rb"\\u[0-9a-f]{4}", resp.body) == [
            b"\\u%04x" % ord(char) for char in word + text if char in "<>&"
        ], text  # and every other character as itself, in UTF-8
        status, body, _ = call(server, "GET", resp.headers["Location"])
        assert (status, body) == (200, {"word": word, "definition": text, "hits": 1}), text
        assert word in call(server, "GET", "/words")[1]["words"]
        assert count_words(database_url) == SAMPLES + added
        rows = query(
            dictionary, database_url, "SELECT definition FROM words WHERE word = :w", w=word
        )
        assert rows == [(text,)]


def test_longest_allowed_fields_are_kept_whole(server):
    entry = {"word": "字" * 40, "definition": "🐢" * 500}
    status, body, resp = call(server, "POST", "/words", entry)
    assert (status, body) == (201, {**entry, "hits": 0})
    assert call(server, "GET", resp.headers["Location"])[1]["definition"] == "🐢" * 500


BAD_BODIES = [
    (b'{"word": "a", "definition": "b"}', {}, 415, "send JSON with Content-Type: application/json"),
    (
        b"word=a&definition=b",
        {"Content-Type": "application/x-www-form-urlencoded"},
        415,
        "send JSON with Content-Type: application/json",
    ),
    (b"", JSON, 400, "the body is not valid JSON"),
    (b'{"word": "a", "definition": "b"', JSON, 400, "the body is not valid JSON"),
    (b'{"word": "\xff", "definition": "b"}', JSON, 400, "the body is not valid JSON"),
    (b"[" * 10000, JSON, 400, "the body is not valid JSON"),
    (b'["a", "b"]', JSON, 400, "the body must be a JSON object"),
    (b'"a"', JSON, 400, "the body must be a JSON object"),
    (b'{"definition": "b"}', JSON, 400, "missing field: word"),
    (b'{"word": "a"}', JSON, 400, "missing field: definition"),
    (b'{"word": 42, "definition": "b"}', JSON, 400, "word must be a string"),
    (b'{"word": "a", "definition": null}', JSON, 400, "definition must be a string"),
    (b'{"word": "a", "definition": ["b"]}', JSON, 400, "definition must be a string"),
    (b'{"word": " ", "definition": "b"}', JSON, 400, "word must not be empty"),
    (b'{"word": "a", "definition": ""}', JSON, 400, "definition must not be empty"),
    (
        b'{"word": "' + b"w" * 41 + b'", "definition": "b"}',
        JSON,
        400,
        "word is longer than 40 characters",
    ),
    (
        b'{"word": "a", "definition": "' + b"d" * 501 + b'"}',
        JSON,
        400,
        "definition is longer than 500 characters",
    ),
    (
        b'{"word": "a\\u0000", "definition": "b"}',
        JSON,
        400,
        "word must not contain control characters",
    ),
    (
        b'{"word": "a", "definition": "line\\nbreak"}',
        JSON,
        400,
        "definition must not contain control characters",
    ),
    (b'{"word": "\\ud800", "definition": "b"}', JSON, 400, "word must not contain lone surrogates"),
    (
        b'{"word": "a", "definition": "\\udfff\\ud800"}',
        JSON,
        400,
        "definition must not contain lone surrogates",
    ),
]


def test_bad_bodies_are_refused_with_a_message(server, database_url):
    for body, headers, status, message in BAD_BODIES:
        resp = server.fetch("/words", method="POST", body=body, headers=headers)
        assert (resp.status, json.loads(resp.body)) == (status, {"error": message}), body[:40]
    assert count_words(database_url) == SAMPLES


def test_bad_put_body_changes_nothing(server):
    status, body, _ = call(server, "PUT", "/words/dns", {"definition": "x" * 501})
    assert (status, body) == (400, {"error": "definition is longer than 500 characters"})
    status, body, _ = call(server, "PUT", "/words/dns", {"definition": "\ud800 half a pair"})
    assert (status, body) == (400, {"error": "definition must not contain lone surrogates"})
    assert call(server, "GET", "/words/dns")[1]["definition"] == dictionary.SAMPLES["dns"]


@pytest.mark.parametrize("word", ["\x00", "a\x00b", "\x01", "\x85"])
def test_a_word_with_a_control_character_is_404_before_the_database(server, word):
    """PostgreSQL text cannot hold a NUL: asking it would be a 500."""
    missing = (404, {"error": f"no such word: {word}"})
    assert call(server, "GET", word_path(word))[:2] == missing
    assert call(server, "PUT", word_path(word), {"definition": "A NUL."})[:2] == missing


def test_unknown_paths_and_methods_are_json_errors(server):
    assert call(server, "GET", "/nothing")[:2] == (404, {"error": "no such resource: /nothing"})
    status, body, _ = call(server, "DELETE", "/words/dns")
    assert (status, body) == (405, {"error": "Method Not Allowed"})


def test_database_failure_is_500_without_details(server, database_url):
    query(dictionary, database_url, "DROP TABLE words")
    assert call(server, "GET", "/words/dns")[:2] == (
        500,
        {"error": "something went wrong on our side"},
    )


def fetch_all(server, requests):
    """Send every (method, path, body) request at once; the responses, in order."""

    async def run():
        client = AsyncHTTPClient(force_instance=True, max_clients=len(requests))
        try:
            return await asyncio.gather(
                *(
                    client.fetch(
                        f"http://127.0.0.1:{server.port}{path}",
                        method=method,
                        body=body,
                        headers=JSON,
                        raise_error=False,
                        request_timeout=60,
                    )
                    for method, path, body in requests
                )
            )
        finally:
            client.close()

    return asyncio.run(run())


@pytest.mark.reader
def test_concurrent_lookups_are_all_counted(server, database_url):
    responses = fetch_all(server, [("GET", "/words/tls", None)] * 100)
    assert [resp.code for resp in responses] == [200] * 100
    hits = sorted(json.loads(resp.body)["hits"] for resp in responses)
    assert hits == list(range(1, 101))  # every request saw its own count: no update was lost
    rows = query(dictionary, database_url, "SELECT hits FROM words WHERE word = 'tls'")
    assert rows == [(100,)]


def test_concurrent_adds_of_one_word_make_one_entry(server, database_url):
    body = json.dumps({"word": "jitter", "definition": "Latency that keeps changing."})
    responses = fetch_all(server, [("POST", "/words", body)] * 50)
    assert collections.Counter(resp.code for resp in responses) == {201: 1, 409: 49}
    assert count_words(database_url) == SAMPLES + 1


def test_seed_command_resets_words_and_counts(database_url):
    command = (dictionary, "--seed", f"--database-url={database_url}")
    assert outcome(*command) == (0, "loaded 8 sample words\n", "")
    query(dictionary, database_url, "UPDATE words SET hits = 7")
    query(dictionary, database_url, "INSERT INTO words (word, definition) VALUES ('x', 'y')")
    assert outcome(*command)[0] == 0
    rows = query(dictionary, database_url, "SELECT word, definition, hits FROM words ORDER BY word")
    assert rows == [(word, dictionary.SAMPLES[word], 0) for word in sorted(dictionary.SAMPLES)]


def test_seed_replaces_a_table_of_another_shape(database_url):
    """The read-only dictionary's words table, with `added` and no `hits`, is replaced."""
    query(dictionary, database_url, "CREATE TABLE words (word TEXT PRIMARY KEY, added TEXT)")
    assert outcome(dictionary, "--seed", f"--database-url={database_url}")[0] == 0
    rows = query(dictionary, database_url, "SELECT word, definition, hits FROM words ORDER BY word")
    assert rows == [(word, dictionary.SAMPLES[word], 0) for word in sorted(dictionary.SAMPLES)]


@pytest.mark.parametrize("version", ["3.34.1", "3.7.17"])
def test_sqlite_without_returning_is_refused(monkeypatch, tmp_path, version):
    monkeypatch.setattr(dictionary.sqlite3, "sqlite_version", version)
    message = f"SQLite {version} is too old: RETURNING needs SQLite 3.35 or later"
    with pytest.raises(ValueError, match=message):
        dictionary.create_engine(f"sqlite:///{tmp_path / 'words.db'}")


@pytest.mark.parametrize("version", ["3.35.0", "3.40.1", "3.100.0"])
def test_sqlite_with_returning_is_accepted(monkeypatch, tmp_path, version):
    monkeypatch.setattr(dictionary.sqlite3, "sqlite_version", version)
    engine = dictionary.create_engine(f"sqlite:///{tmp_path / 'words.db'}")
    asyncio.run(engine.dispose())


def test_old_sqlite_does_not_matter_for_postgresql(monkeypatch):
    monkeypatch.setattr(dictionary.sqlite3, "sqlite_version", "3.34.1")
    engine = dictionary.create_engine("postgresql://postgres@127.0.0.1:1/words")
    asyncio.run(engine.dispose())


def test_old_sqlite_is_a_one_line_error_at_start_up(tmp_path):
    # The program as a reader starts it, on a Python whose sqlite3 reports an older library.
    script = (
        "import runpy, sqlite3, sys\n"
        "sqlite3.sqlite_version = '3.31.1'\n"
        "sys.argv = sys.argv[1:]\n"
        "runpy.run_path(sys.argv[0], run_name='__main__')\n"
    )
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            script,
            f"examples/{example_relpath(dictionary)}",
            "--seed",
            f"--database-url=sqlite:///{tmp_path / 'words.db'}",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    message = "error: SQLite 3.31.1 is too old: RETURNING needs SQLite 3.35 or later\n"
    assert (done.returncode, done.stdout, done.stderr) == (1, "", message)
    assert not (tmp_path / "words.db").exists()
