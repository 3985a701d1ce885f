"""Chapter 4's three programs from a terminal: Ctrl-C, and a database they cannot use.

Each program parses --database-url and opens its engine the same way; every test runs once for
each of them.
"""

import signal

import pytest

from examples.ch04 import dictionary, dictionary_readonly, teashop
from tests.ch04_support import BAD_URLS, URL_ERROR, outcome
from tests.support import example_relpath, run_example

PROGRAMS = [dictionary_readonly, dictionary, teashop]
HOME = {dictionary_readonly: "/words", dictionary: "/words", teashop: "/"}
by_name = pytest.mark.parametrize("program", PROGRAMS, ids=lambda m: m.__name__.split(".")[-1])


def errors(program, *args):
    """The exit status and what a run of the program printed on stderr."""
    status, _, stderr = outcome(program, *args)
    return status, stderr


@by_name
def test_ctrl_c_disposes_of_the_engine_and_stops(program, database_url):
    with run_example(example_relpath(program), f"--database-url={database_url}") as srv:
        assert srv.fetch(HOME[program]).status == 200
        srv.process.send_signal(signal.SIGINT)
        assert srv.process.wait(15) != 0
        assert srv.output().rstrip().endswith("KeyboardInterrupt")


@by_name
@pytest.mark.parametrize("url", BAD_URLS)
def test_bad_database_url_is_a_one_line_error(program, url):
    assert errors(program, f"--database-url={url}") == (1, URL_ERROR + "\n")


@by_name
def test_database_that_cannot_be_used_is_a_one_line_error(program, tmp_path):
    missing = tmp_path / "no-such-dir"
    assert errors(program, f"--database-url=sqlite:///{missing}/book.db") == (
        1,
        f"error: no such directory: {missing}\n",
    )
    garbage = tmp_path / "book.db"
    garbage.write_bytes(b"this is not a database, just some text" * 10)
    for seed in ([], ["--seed"]):
        assert errors(program, *seed, f"--database-url=sqlite:///{garbage}") == (
            1,
            "error: file is not a database\n",
        )
        status, stderr = errors(
            program, *seed, "--database-url=postgresql://postgres@127.0.0.1:1/book"
        )
        assert status == 1
        assert stderr.startswith("error: ") and "Connect call failed" in stderr
        assert len(stderr.splitlines()) == 1
