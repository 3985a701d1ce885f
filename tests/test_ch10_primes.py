import concurrent.futures
import contextlib
import json
import multiprocessing
import signal
import socket
import threading
from concurrent.futures.process import BrokenProcessPool

import pytest

from examples.ch10 import primes
from tests.support import (
    body_limit,
    ctrl_c,
    example_relpath,
    run_example,
    serve_in_thread,
    wait_until,
)

EXAMPLE = primes


@contextlib.contextmanager
def worker_pool(workers=1):
    """The pool main() makes: spawned worker processes that ignore Ctrl+C."""
    spawn = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(
        workers, mp_context=spawn, initializer=primes.ignore_ctrl_c
    ) as pool:
        yield pool


@pytest.fixture
def served(mode):
    """primes as main() serves it with one worker: imported, or from a terminal."""
    if mode == "in-process":
        with worker_pool() as pool:
            app = primes.make_app(pool, workers=1)
            with serve_in_thread(app, **body_limit(primes)) as srv:
                yield srv
    else:
        with run_example(example_relpath(primes), "--workers=1") as srv:
            yield srv


class HeldPool(concurrent.futures.Executor):
    """An executor whose work finishes when the test says so: to hold requests in the queue."""

    def __init__(self):
        self.futures = []
        self.submitted = threading.Semaphore(0)

    def submit(self, fn, *args):
        future = concurrent.futures.Future()
        self.futures.append((future, fn, args))
        self.submitted.release()
        return future


def get(srv, path, into):
    into.append(srv.fetch(path))


@pytest.mark.reader
def test_counts_in_a_worker_process(served):
    resp = served.fetch("/count?below=100000")
    assert resp.status == 200
    assert json.loads(resp.body) == {"below": 100000, "primes": 9592}
    assert json.loads(served.fetch("/count?below=2").body) == {"below": 2, "primes": 0}
    assert json.loads(served.fetch("/stats").body) == {"pending": 0, "limit": 2}


@pytest.mark.reader
@pytest.mark.parametrize("below", ["", "0", "1", "2000001", "lots", "1e5", "-5", "%00", "9" * 8])
def test_a_bad_number_is_400(served, below):
    resp = served.fetch(f"/count?below={below}")
    assert resp.status == 400
    assert json.loads(resp.body) == {"error": "below must be a whole number from 2 to 2,000,000"}


@pytest.mark.reader
def test_a_request_body_is_refused_before_it_is_read(served):
    answer = served.post_head("/count?below=10", primes.MAX_BODY_SIZE + 1)
    assert answer.startswith(b"HTTP/1.1 400 Bad Request\r\n")
    assert served.fetch("/count?below=10").status == 200


def finish(pool, n):
    """Let the pool's n-th job end with its real result, once it has been handed to the pool."""
    assert pool.submitted.acquire(timeout=10)
    future, fn, args = pool.futures[n]
    future.set_result(fn(*args))


def test_counts_beyond_the_limit_are_refused_with_503():
    pool = HeldPool()
    with serve_in_thread(primes.make_app(pool, workers=1)) as srv:
        answers = []
        waiting = [threading.Thread(target=get, args=(srv, "/count?below=10", answers))]
        waiting.append(threading.Thread(target=get, args=(srv, "/count?below=100", answers)))
        waiting[0].start()
        assert pool.submitted.acquire(timeout=10)  # the first count has the worker
        waiting[1].start()
        assert wait_until(lambda: json.loads(srv.fetch("/stats").body)["pending"] == 2)
        assert len(pool.futures) == 1  # the second waits for the worker, not in the pool
        assert json.loads(srv.fetch("/stats").body) == {"pending": 2, "limit": 2}
        busy = srv.fetch("/count?below=1000")
        assert busy.status == 503
        assert busy.headers["Retry-After"] == "1"
        assert json.loads(busy.body) == {"error": "busy: 2 counts are waiting; try again"}
        pool.futures[0][0].set_result(4)
        finish(pool, 1)
        for thread in waiting:
            thread.join(10)
        assert sorted(json.loads(resp.body)["primes"] for resp in answers) == [4, 25]
        assert json.loads(srv.fetch("/stats").body) == {"pending": 0, "limit": 2}


def test_a_broken_pool_is_503_not_500():
    pool = HeldPool()
    with serve_in_thread(primes.make_app(pool)) as srv:
        answers = []
        thread = threading.Thread(target=get, args=(srv, "/count?below=10", answers))
        thread.start()
        assert pool.submitted.acquire(timeout=10)
        pool.futures[0][0].set_exception(BrokenProcessPool("a worker was killed"))
        thread.join(10)
        assert answers[0].status == 503
        assert json.loads(answers[0].body) == {
            "error": "the counting processes have died; try again later"
        }
        assert json.loads(srv.fetch("/stats").body)["pending"] == 0


def test_a_waiting_count_whose_client_left_is_dropped():
    pool = HeldPool()
    with serve_in_thread(primes.make_app(pool, workers=1)) as srv:
        answers = []
        running = threading.Thread(target=get, args=(srv, "/count?below=10", answers))
        running.start()
        assert pool.submitted.acquire(timeout=10)
        with socket.create_connection(("127.0.0.1", srv.port), timeout=10) as sock:
            sock.sendall(b"GET /count?below=2000000 HTTP/1.1\r\nHost: x\r\n\r\n")
            assert wait_until(lambda: json.loads(srv.fetch("/stats").body)["pending"] == 2)
        # Its client has gone: the count that waited is dropped, its place is free at once.
        assert wait_until(lambda: json.loads(srv.fetch("/stats").body)["pending"] == 1)
        pool.futures[0][0].set_result(4)
        running.join(10)
        assert json.loads(answers[0].body) == {"below": 10, "primes": 4}
        assert len(pool.futures) == 1  # the dropped count never reached the pool
        assert json.loads(srv.fetch("/stats").body) == {"pending": 0, "limit": 2}


def test_a_client_that_leaves_before_its_count_waits_is_no_trouble():
    class Early(primes.CountHandler):
        async def get(self):
            self.on_connection_close()  # as Tornado calls it when the client leaves this soon
            await super().get()

    pool = HeldPool()
    app = primes.make_app(pool, workers=1)
    app.wildcard_router.rules[0].target = Early
    with serve_in_thread(app) as srv:
        answers = []
        thread = threading.Thread(target=get, args=(srv, "/count?below=10", answers))
        thread.start()
        finish(pool, 0)
        thread.join(10)
        assert json.loads(answers[0].body) == {"below": 10, "primes": 4}


@pytest.mark.parametrize(("below", "count"), [(2, 0), (3, 1), (10, 4), (100, 25), (7920, 1000)])
def test_count_primes(below, count):
    assert primes.count_primes(below) == count


def test_workers_ignore_ctrl_c():
    before = signal.getsignal(signal.SIGINT)
    try:
        primes.ignore_ctrl_c()
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    finally:
        signal.signal(signal.SIGINT, before)


def test_ctrl_c_stops_it_without_a_traceback():
    status, out, err = ctrl_c(example_relpath(primes), "--workers=1")
    assert status == 0
    assert out.endswith("Stopped\n")
    assert "Traceback" not in out + err
