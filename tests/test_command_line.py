"""An example started with a bad --port prints a one-line error, not a traceback."""

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
