import datetime
import json
import urllib.parse
from pathlib import Path

import pytest

from examples.ch04 import dictionary_readonly
from tests.ch04_support import outcome, query

EXAMPLE = dictionary_readonly


def get_json(server, path):
    resp = server.fetch(path)
    assert resp.headers["Content-Type"] == "application/json; charset=UTF-8"
    return resp.status, json.loads(resp.body)


@pytest.mark.reader
def test_lists_the_sample_words_in_order(server):
    assert get_json(server, "/words") == (200, {"words": sorted(dictionary_readonly.SAMPLES)})


@pytest.mark.parametrize("word", ["dns", "websocket"])
def test_looks_up_a_word(server, word):
    expected = {
        "word": word,
        "definition": dictionary_readonly.SAMPLES[word],
        "added": "2026-11-02",
    }
    assert get_json(server, f"/words/{word}") == (200, expected)


@pytest.mark.reader
def test_dates_are_iso_text_on_both_databases(server, database_url):
    """SQLite keeps the date as text, PostgreSQL gives a datetime.date: the JSON is the same."""
    stored = query(dictionary_readonly, database_url, "SELECT added FROM words WHERE word = 'dns'")
    assert str(stored[0][0]) == "2026-11-02"
    assert json.loads(server.fetch("/words/dns").body)["added"] == "2026-11-02"


HAN = "A Han character; </script><!--<script> & \u2028 stay text."


@pytest.mark.reader
def test_json_is_readable_utf8_that_cannot_close_a_script(server, database_url):
    query(
        dictionary_readonly,
        database_url,
        "INSERT INTO words VALUES ('汉', :definition, '2026-11-03')",
        definition=HAN,
    )
    body = server.fetch("/words/" + urllib.parse.quote("汉")).body
    assert body.decode("utf-8") == (
        '{"word": "汉", "definition": "A Han character; \\u003c/script\\u003e'
        '\\u003c!--\\u003cscript\\u003e \\u0026 \\u2028 stay text.", "added": "2026-11-03"}'
    )
    assert json.loads(body)["definition"] == HAN
    assert "例子.测试".encode() in server.fetch("/words/dns").body
    assert server.fetch("/words/%E6%B1%89%3C%2F").body.decode() == (
        '{"error": "no such word: 汉\\u003c/"}'
    )


def test_missing_word_is_404_with_a_json_error(server):
    resp = server.fetch("/words/gopher")
    assert (resp.status, resp.reason) == (404, "Not Found")
    assert json.loads(resp.body) == {"error": "no such word: gopher"}


@pytest.mark.parametrize(
    "word",
    ["'; DROP TABLE words; --", '" OR 1=1 --', "' OR '1'='1", "<script>alert(1)</script>", "延迟"],
)
def test_hostile_lookups_find_nothing_and_drop_nothing(server, word, database_url):
    status, body = get_json(server, "/words/" + urllib.parse.quote(word, safe=""))
    assert (status, body) == (404, {"error": f"no such word: {word}"})
    count = query(dictionary_readonly, database_url, "SELECT count(*) FROM words")
    assert count == [(len(dictionary_readonly.SAMPLES),)]


@pytest.mark.reader
@pytest.mark.parametrize("path", ["/words/%00", "/words/a%00b", "/words/%01", "/words/%C2%85"])
def test_a_word_with_a_control_character_is_404_before_the_database(server, path):
    """PostgreSQL text cannot hold a NUL: asking it would be a 500."""
    word = urllib.parse.unquote(path.removeprefix("/words/"))
    assert get_json(server, path) == (404, {"error": f"no such word: {word}"})


@pytest.mark.reader
def test_words_added_in_the_database_show_up(server, database_url):
    query(
        dictionary_readonly,
        database_url,
        "INSERT INTO words (word, definition) VALUES (:word, :definition)",
        word="延迟",
        definition="Latency 🐢 </script>",
    )
    status, body = get_json(server, "/words/" + urllib.parse.quote("延迟"))
    datetime.date.fromisoformat(body.pop("added"))  # the day it was added, by default today
    assert (status, body) == (200, {"word": "延迟", "definition": "Latency 🐢 </script>"})
    assert "延迟" in get_json(server, "/words")[1]["words"]


def test_unknown_paths_and_methods_are_json_errors(server):
    assert get_json(server, "/nothing/here") == (404, {"error": "no such resource: /nothing/here"})
    resp = server.fetch("/words/dns", method="POST", body="{}")
    assert (resp.status, json.loads(resp.body)) == (405, {"error": "Method Not Allowed"})
    resp = server.fetch("/words/%FF")
    assert resp.status == 400 and "Invalid unicode" in json.loads(resp.body)["error"]


def test_database_failure_is_500_without_details(server, database_url):
    query(dictionary_readonly, database_url, "DROP TABLE words")
    for path in ("/words", "/words/dns"):
        status, body = get_json(server, path)
        assert (status, body) == (500, {"error": "something went wrong on our side"})


def test_seed_command_replaces_the_words(database_url):
    assert outcome(dictionary_readonly, "--seed", f"--database-url={database_url}") == (
        0,
        "loaded 8 sample words\n",
        "",
    )
    query(dictionary_readonly, database_url, "DELETE FROM words WHERE word = 'dns'")
    query(
        dictionary_readonly,
        database_url,
        "INSERT INTO words (word, definition) VALUES ('gopher', 'A protocol.')",
    )
    assert outcome(dictionary_readonly, "--seed", f"--database-url={database_url}")[0] == 0
    rows = query(dictionary_readonly, database_url, "SELECT word FROM words ORDER BY word")
    assert rows == [(word,) for word in sorted(dictionary_readonly.SAMPLES)]


def test_seed_replaces_a_table_of_an_older_shape(database_url):
    """A words table left by an earlier version of the program, without `added`, is replaced."""
    query(dictionary_readonly, database_url, "CREATE TABLE words (word TEXT PRIMARY KEY, x TEXT)")
    query(dictionary_readonly, database_url, "INSERT INTO words VALUES ('gopher', 'old')")
    assert outcome(dictionary_readonly, "--seed", f"--database-url={database_url}") == (
        0,
        "loaded 8 sample words\n",
        "",
    )
    rows = query(dictionary_readonly, database_url, "SELECT word, definition, added FROM words")
    assert sorted(row[0] for row in rows) == sorted(dictionary_readonly.SAMPLES)
    assert {str(row[2]) for row in rows} == {"2026-11-02"}


def test_the_first_database_program_stays_short():
    """A newcomer reads it whole before any handler is explained: keep it under 156 lines."""
    assert len(Path(dictionary_readonly.__file__).read_text(encoding="utf-8").splitlines()) < 156
