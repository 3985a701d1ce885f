import asyncio
import json
import logging
import signal
import urllib.parse

import pytest

from examples.ch10 import housekeeping
from tests.support import example_relpath, run_example, serve_in_thread, stop

EXAMPLE = housekeeping


class Clock:
    """A clock the test moves by hand."""

    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def post(server, **fields):
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    return server.fetch("/notes", "POST", urllib.parse.urlencode(fields), form)


async def until(predicate):
    for _ in range(1000):
        if predicate():
            return True
        await asyncio.sleep(0.01)
    return False


@pytest.mark.reader
def test_a_note_is_kept_and_read_back_as_text(server):
    resp = post(server, text="<b>buy tea</b>", ttl="60")
    assert resp.status == 201
    answer = json.loads(resp.body)
    assert answer["ttl"] == 60
    note = server.fetch(f"/notes/{answer['id']}")
    assert note.headers["Content-Type"] == "text/plain; charset=UTF-8"
    assert note.text == "<b>buy tea</b>\n"
    assert note.headers["X-Content-Type-Options"] == "nosniff"
    assert json.loads(server.fetch("/stats").body) == {"notes": 1, "swept": 0}


@pytest.mark.reader
def test_a_body_over_the_limit_is_refused(server):
    assert server.post_head("/notes", housekeeping.MAX_BODY_SIZE + 1).startswith(b"HTTP/1.1 4")


def test_a_body_over_the_handlers_limit_is_413_with_a_message(server):
    resp = post(server, text="x" * 5000)
    assert resp.status == 413
    assert json.loads(resp.body) == {"error": "the body must be at most 4096 bytes"}


def test_the_ttl_defaults_to_a_minute(server):
    assert json.loads(post(server, text="x").body)["ttl"] == 60


def test_note_ids_cannot_be_guessed(server):
    ids = [json.loads(post(server, text="x").body)["id"] for _ in range(3)]
    assert len(set(ids)) == 3
    assert all(len(note_id) >= 22 for note_id in ids)  # 16 random bytes
    assert server.fetch("/notes/1").status == 404


@pytest.mark.parametrize("path", ["/notes", "/notes/x", "/stats"])
def test_a_foreign_host_is_refused(server, path):
    # DNS rebinding: a page on attacker.example, whose name now resolves to 127.0.0.1
    resp = server.fetch(path, headers={"Host": "attacker.example"})
    assert resp.status == 403
    assert json.loads(resp.body) == {"error": "this server answers only to localhost and 127.0.0.1"}


def test_a_cross_site_post_is_403(server):
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "Origin": "https://evil.example",
    }
    resp = server.fetch("/notes", "POST", "text=x", headers)
    assert resp.status == 403
    assert json.loads(resp.body) == {"error": "Origin 'https://evil.example' not allowed"}


def test_when_full_a_note_is_503_with_retry_after():
    notes = housekeeping.Notes(limit=2)
    with serve_in_thread(housekeeping.make_app(notes)) as srv:
        assert [post(srv, text="x").status for _ in range(3)] == [201, 201, 503]
        resp = post(srv, text="x")
    assert resp.headers["Retry-After"] == "60"
    assert json.loads(resp.body) == {"error": "2 notes are kept; try again later"}


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"text": ""}, "text must be 1 to 500 characters"),
        ({"text": "x" * 501}, "text must be 1 to 500 characters"),
        ({"text": "paid\rnot paid"}, "text may hold line breaks, but no other control characters"),
        ({"text": "\u202etxt.exe"}, "text may hold line breaks, but no other control characters"),
        ({"text": "a\x7fb"}, "text may hold line breaks, but no other control characters"),
        ({"text": "x", "ttl": "0"}, "ttl must be a whole number of seconds from 1 to 3600"),
        ({"text": "x", "ttl": "3601"}, "ttl must be a whole number of seconds from 1 to 3600"),
        ({"text": "x", "ttl": "1.5"}, "ttl must be a whole number of seconds from 1 to 3600"),
        ({"text": "x", "ttl": "-1"}, "ttl must be a whole number of seconds from 1 to 3600"),
    ],
)
def test_bad_notes_are_400(server, fields, error):
    resp = post(server, **fields)
    assert resp.status == 400
    assert json.loads(resp.body) == {"error": error}


def test_an_unknown_note_is_404(server):
    resp = server.fetch("/notes/000042")
    assert resp.status == 404
    assert json.loads(resp.body) == {"error": "no such note: it never existed or has expired"}


def test_notes_expire_and_are_swept():
    clock = Clock()
    notes = housekeeping.Notes(clock)
    first, second = notes.add("a", 10), notes.add("b", 20)
    clock.now += 10
    assert notes.get(first) is None  # expired, though not yet swept
    assert notes.get(second) == "b"
    notes.sweep()
    assert list(notes.kept) == [second] and notes.swept == 1


def test_the_jobs_run_until_stopped(caplog):
    async def scenario():
        clock = Clock()
        notes = housekeeping.Notes(clock)
        notes.add("a", 5)
        jobs = housekeeping.Housekeeping(notes, sweep_every=0.01, report_every=0.01)
        jobs.start()
        clock.now += 5
        swept = await until(lambda: notes.swept == 1)
        reported = await until(lambda: "0 note(s) kept, 1 swept so far" in caplog.text)
        await jobs.stop()
        return swept, reported, jobs.sweeper.is_running(), jobs.reporter.cancelled()

    with caplog.at_level(logging.INFO, logger="tornado.application"):
        assert asyncio.run(scenario()) == (True, True, False, True)


def test_a_failing_job_is_logged_and_the_loop_goes_on(caplog):
    runs = []

    def flaky():
        runs.append(len(runs))
        if len(runs) == 1:
            raise RuntimeError("the disk is full")

    async def scenario():
        task = asyncio.create_task(housekeeping.repeat(0.01, flaky))
        done = await until(lambda: len(runs) >= 3)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        return done

    assert asyncio.run(scenario())
    assert "background job flaky failed" in caplog.text
    assert "RuntimeError: the disk is full" in caplog.text


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_stops_the_jobs_and_the_server(signum):
    with run_example(example_relpath(housekeeping), "--report=0.05") as srv:

        async def reported():
            return await until(lambda: "note(s) kept" in srv.output())

        assert asyncio.run(reported())
        assert stop(srv.process, signum) == 0
        assert srv.output().endswith("Stopped\n")


def test_an_error_without_a_message_keeps_tornados_page(server):
    resp = server.fetch("/notes", method="PUT", body="")
    assert resp.status == 405
    assert b"405: Method Not Allowed" in resp.body
