"""Appendix A proven both ways: the transcripts that pass against the ported programs pass, as
printed, against the old programs they were ported from, each run on the Python and the Tornado
of its era (docs/matrix.toml [legacy]; `nox -s legacy` builds them in LEGACY_ENVS first).

The page is replayed in order as a reader types it, with each old program run wherever the
page runs its port. An era may set `python_options` (used instead of the options shown: Tornado
5.1 warns about itself under the book's -W error::DeprecationWarning) and
`headers_in_any_order` (Tornado 3.1 on Python 2 sends headers in a dict's order). Where an old
program answers differently, and the appendix says how, DIFFERENT holds what it prints instead.
"""

import re
import subprocess

import bookconfig
import pytest

from tests.support import EXAMPLES, LEGACY, ROOT, require
from tests.transcript import matches, replay_page

ERAS = bookconfig.legacy()
LEGACY_ENVS = ROOT / ".nox" / "legacy-envs"
PAGE = ROOT / "docs" / "porting.md"
PORTS = {  # an era: {a ported program: the old program it was ported from}
    "callbacks": {
        "porting/departures.py": "porting/legacy/departures_callbacks.py",
        "porting/tea_timer.py": "porting/legacy/tea_timer_callbacks.py",
        "porting/tea_prices.py": "porting/legacy/tea_prices_callbacks.py",
        "porting/tests/test_tea_prices.py": "porting/legacy/test_prices_callbacks.py",
        "ch08/forked.py": "porting/legacy/forked_callbacks.py",
    },
    "coroutines": {
        "porting/departures.py": "porting/legacy/departures_coroutines.py",
        "porting/tea_timer.py": "porting/legacy/tea_timer_coroutines.py",
        "porting/tea_prices.py": "porting/legacy/tea_prices_coroutines.py",
        "porting/tests/test_tea_prices.py": "porting/legacy/test_prices_coroutines.py",
    },
}
TRANSCRIPTS = [  # every transcript of the page that runs a ported program, or asks its upstream
    "porting/departures.console",
    "porting/departures.load.console",
    "porting/departures.failures.console",
    "porting/tea_timer.console",
    "porting/tea_prices.console",
    "porting/tests/test_tea_prices.console",
    "porting/forked.steps.console",
]
BOARD = """\
Departures from Hangzhou East
07:40  G7502  Shanghai Hongqiao  on time
08:05  D3141  Ningbo             12 min late, expected 08:17
08:32  G1374  Beijing South      on time"""
DIFFERENT = {  # an era: {(transcript, command number): what its old program makes it print}
    "callbacks": {
        # one call after the other, and no call for delays once the timetable is 404
        ("porting/departures.load.console", 0): '{"in_flight": 0, "peak": 1, "served": 5}',
        # no timeout: two calls of 5 s each, then the board, where the port answers 504
        ("porting/departures.failures.console", 2): "HTTP/1.1 200 OK\n...\n\n" + BOARD,
    },
    "coroutines": {},
}
RESPONSE = re.compile(r"^(HTTP/1\.[01] \d{3}.*\n)((?:.+\n)*)", re.MULTILINE)
VERSIONS = "import sys, tornado; print('%d.%d %s' % (sys.version_info[:2] + (tornado.version,)))"


def interpreter(era):
    """The Python of an era's environment, checked to run its Tornado; skip (fail under CI)."""
    python = LEGACY_ENVS / era / "bin" / "python"
    wanted = f"Python {ERAS[era]['python']} with Tornado {ERAS[era]['tornado']}"
    found = ""
    if python.exists():
        done = subprocess.run([python, "-c", VERSIONS], capture_output=True, text=True, timeout=60)
        found = "Python {} with Tornado {}".format(*done.stdout.split()) if done.stdout else ""
    if found != wanted:
        message = (
            f"{era}: no {wanted} in {python} (nox -s legacy makes it where it finds "
            f"Python {ERAS[era]['python']}: pyenv install {ERAS[era]['python']})"
        )
        require(False, message)
    return str(python)


def headers_sorted(text):
    """Every response's header lines in sorted order."""
    return RESPONSE.sub(lambda m: m[1] + "".join(sorted(m[2].splitlines(True))), text + "\n")


@pytest.mark.parametrize("era", sorted(ERAS))
def test_old_programs_pass_the_transcripts_of_their_ports(era):
    python, options = interpreter(era), ERAS[era].get("python_options")
    legacy = {new: (python, old, options) for new, old in PORTS[era].items()}
    compare = headers_sorted if ERAS[era].get("headers_in_any_order") else str
    compared = {EXAMPLES / name for name in TRANSCRIPTS}
    seen, failures, number = set(), [], {}
    for path, command, expected, actual in replay_page(PAGE, legacy=legacy):
        if path not in compared:
            continue
        seen.add(path)
        name = path.relative_to(EXAMPLES).as_posix()
        number[name] = number.get(name, -1) + 1
        expected = DIFFERENT[era].get((name, number[name]), expected)
        if not matches(compare(expected), compare(actual)):
            shown = f"$ {command}\n--- expected:\n{expected}\n--- got:\n{actual}"
            failures.append(f"{name}\n{shown}")
    assert seen == compared, "not on the page: " + ", ".join(map(str, compared - seen))
    assert not failures, "\n\n".join(failures)


def test_every_old_program_is_paired_with_its_port():
    paired = {old for olds in PORTS.values() for old in olds.values()}
    found = {p.relative_to(EXAMPLES).as_posix() for p in LEGACY.glob("*.py")}
    found.discard("porting/legacy/__init__.py")
    assert found == paired
    assert set(PORTS) == set(DIFFERENT) == set(ERAS)


def test_headers_are_compared_in_any_order():
    shown = "HTTP/1.1 404 Not Found\nServer: X\nDate: *\n\nbody"
    moved = "HTTP/1.1 404 Not Found\nDate: *\nServer: X\n\nbody"
    other = "HTTP/1.1 404 Not Found\nDate: *\nServer: Y\n\nbody"
    assert headers_sorted(shown) == headers_sorted(moved) != headers_sorted(other)
