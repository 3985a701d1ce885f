"""An example started with a bad --port, or a bad option of its own, prints a one-line error, not
a traceback."""

from pathlib import Path

import pytest

from tests.support import EXAMPLES, LEGACY, start_error

# Programs with a --port option: not the tests a chapter shows (examples/ch09/tests), which
# pytest runs, nor a script that serves nothing (ch01/coroutines.py), nor Appendix A's old
# programs, written as their era wrote them.
PROGRAMS = sorted(
    p
    for p in EXAMPLES.rglob("*.py")
    if p.name != "__init__.py"
    and "tests" not in p.relative_to(EXAMPLES).parts
    and LEGACY not in p.parents
    and 'define("port"' in p.read_text(encoding="utf-8")
)


BAD_PORTS = [
    ("--port=abc", "error: invalid literal for int() with base 10: 'abc'"),
    ("--port=0", "error: port must be between 1 and 65535, not 0"),
    ("--port=70000", "error: port must be between 1 and 65535, not 70000"),
    ("--port", "error: Option 'port' requires a value"),
    ("--prot=8001", "error: Unrecognized command line option: 'prot'"),
]
OUT_OF_RANGE, OTHERS = BAD_PORTS[1], BAD_PORTS[:1] + BAD_PORTS[2:]
# Every program's __main__ block is the same. Each program is tried with a port out of range
# (the branch its own code adds) and with one of the other bad arguments, in turn; the first
# program is tried with all of them.
CASES = [
    case
    for i, program in enumerate(PROGRAMS)
    for case in [(program, *OUT_OF_RANGE), (program, *OTHERS[i % len(OTHERS)])]
] + [(PROGRAMS[0], *case) for case in OTHERS[1:]]


@pytest.mark.parametrize(
    ("program", "argument", "message"),
    CASES,
    ids=[f"{p.relative_to(EXAMPLES).as_posix()}-{a}" for p, a, _ in CASES],
)
def test_bad_port_is_a_clear_error(program, argument, message):
    assert start_error(program.relative_to(EXAMPLES), argument) == message


# Options of a program's own, refused the same way.
OWN_OPTIONS = [
    (
        "ch06/sessions.py",
        "--database-url=mysql://x/y",
        "error: database URL must look like sqlite:///FILE or postgresql://...",
    ),
    (
        "ch06/sessions.py",
        "--database-url=nonsense",
        "error: database URL must look like sqlite:///FILE or postgresql://...",
    ),
    (
        "ch10/embedded.py",
        "--tasks=-1",
        "error: tasks must be from 0 to 1000 and step from 0 to 60 seconds",
    ),
    (
        "ch10/embedded.py",
        "--step=61",
        "error: tasks must be from 0 to 1000 and step from 0 to 60 seconds",
    ),
    ("ch10/meter.py", "--interval=0", "error: interval must be from 0.01 to 3600 seconds, not 0.0"),
    ("ch10/meter.py", "--interval=soon", "error: could not convert string to float: 'soon'"),
    (
        "ch10/housekeeping.py",
        "--report=0",
        "error: report must be from 0.01 to 86400 seconds, not 0.0",
    ),
    ("ch10/primes.py", "--workers=0", "error: workers must be from 1 to 64, not 0"),
    (
        "ch10/depot.py",
        "--depot=/tmp",
        "error: /tmp must be a folder of yours that only you can use",
    ),
    (
        "ch10/follow.py",
        "--url=http://localhost:8000/feed",
        "error: url must be a ws:// or wss:// address without a query,"
        " not 'http://localhost:8000/feed'",
    ),
    (
        "ch10/follow.py",
        "--attempts=0",
        "error: attempts must be from 1 to 100 and posts from 0 to 1000000",
    ),
    (
        "ch11/caller.py",
        "--upstream=http://localhost:8443/",
        "error: --upstream must be an https:// URL, not http://localhost:8443/",
    ),
    (
        "ch11/caller.py",
        "--proxy=8889",
        "error: --proxy is host:port, such as 127.0.0.1:8889, not '8889'",
    ),
    (
        "ch11/mtls.py",
        "--keyfile=key.pem",
        "error: --certfile, --keyfile and --client-ca are all required",
    ),
]


@pytest.mark.parametrize(("program", "argument", "message"), OWN_OPTIONS)
def test_a_bad_option_of_its_own_is_a_clear_error(program, argument, message):
    assert start_error(Path(program), argument) == message
