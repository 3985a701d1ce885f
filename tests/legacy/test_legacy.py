"""Appendix A proven both ways: the transcripts that pass against the ported programs pass, as
printed, against the old programs they were ported from, each run on the Python and the Tornado
of its era (docs/matrix.toml [legacy]; `nox -s legacy` builds them in LEGACY_ENVS first).

The page is replayed in order as a reader types it, with each old program started wherever
the page starts its port. Two things are not compared: the order of response headers (Tornado
3.1 on Python 2 sends them in a dict's order) and Python's -W options (an old Tornado imports
what later Pythons deprecate, so the old program starts without them).
"""

import re
import subprocess
import tomllib

import pytest

from conftest import EXAMPLES, IN_CI, LEGACY, ROOT
from tests.transcript import matches, replay_page

ERAS = tomllib.loads((ROOT / "docs" / "matrix.toml").read_text("utf-8"))["legacy"]
LEGACY_ENVS = ROOT / ".nox" / "legacy-envs"
PAGE = ROOT / "docs" / "porting.md"
PORTS = {  # an era: {a ported program: the old program it was ported from}
    "callbacks": {
        "porting/departures.py": "porting/legacy/departures_callbacks.py",
        "porting/tea_timer.py": "porting/legacy/tea_timer_callbacks.py",
        "porting/tea_prices.py": "porting/legacy/tea_prices_callbacks.py",
    },
    "coroutines": {
        "porting/departures.py": "porting/legacy/departures_coroutines.py",
        "porting/tea_timer.py": "porting/legacy/tea_timer_coroutines.py",
        "porting/tea_prices.py": "porting/legacy/tea_prices_coroutines.py",
    },
}
SAME = {  # an era: the transcripts its old programs pass as they are printed
    # The callback era sends the two calls one after the other (the upstream's peak is 1, not
    # 2: departures.load) and sets no timeout (departures.failures).
    "callbacks": [
        "porting/departures.console",
        "porting/tea_timer.console",
        "porting/tea_prices.console",
    ],
    "coroutines": [
        "porting/departures.console",
        "porting/departures.failures.console",
        "porting/tea_timer.console",
        "porting/tea_prices.console",
    ],
}
RESPONSE = re.compile(r"^(HTTP/1\.[01] \d{3}.*\n)((?:.+\n)*)", re.MULTILINE)
VERSIONS = "import sys, tornado; print('%d.%d %s' % (sys.version_info[:2] + (tornado.version,)))"


def interpreter(era):
    """The Python of an era's environment, checked to run its Tornado; skip (fail under CI)."""
    python = LEGACY_ENVS / era / "bin" / "python"
    wanted = f"{ERAS[era]['python']} {ERAS[era]['tornado']}"
    found = ""
    if python.exists():
        done = subprocess.run([python, "-c", VERSIONS], capture_output=True, text=True, timeout=60)
        found = done.stdout.strip()
    if found != wanted:
        message = f"no Python {wanted.replace(' ', ' + Tornado ')} in {python}: run nox -s legacy"
        pytest.fail(message) if IN_CI else pytest.skip(message)
    return str(python)


def headers_sorted(text):
    """Every response's header lines in sorted order."""
    return RESPONSE.sub(lambda m: m[1] + "".join(sorted(m[2].splitlines(True))), text + "\n")


@pytest.mark.parametrize("era", sorted(ERAS))
def test_old_programs_pass_the_transcripts_of_their_ports(era):
    python = interpreter(era)
    legacy = {new: (python, old) for new, old in PORTS[era].items()}
    compared = {EXAMPLES / name for name in SAME[era]}
    seen, failures = set(), []
    for path, command, expected, actual in replay_page(PAGE, legacy=legacy):
        if path in compared:
            seen.add(path)
            if not matches(headers_sorted(expected), headers_sorted(actual)):
                shown = f"$ {command}\n--- shown:\n{expected}\n--- got:\n{actual}"
                failures.append(f"{path.name}\n{shown}")
    assert seen == compared, "not on the page: " + ", ".join(map(str, compared - seen))
    assert not failures, "\n\n".join(failures)


def test_every_old_program_is_paired_with_its_port():
    paired = {old for olds in PORTS.values() for old in olds.values()}
    found = {p.relative_to(EXAMPLES).as_posix() for p in LEGACY.glob("*.py")}
    assert found == paired
    assert set(PORTS) == set(SAME) == set(ERAS)


def test_headers_are_compared_in_any_order():
    shown = "HTTP/1.1 404 Not Found\nServer: X\nDate: *\n\nbody"
    moved = "HTTP/1.1 404 Not Found\nDate: *\nServer: X\n\nbody"
    other = "HTTP/1.1 404 Not Found\nDate: *\nServer: Y\n\nbody"
    assert headers_sorted(shown) == headers_sorted(moved) != headers_sorted(other)
