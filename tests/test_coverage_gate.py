"""`nox -s tests` holds examples/ to 100% coverage under CI and whenever no test was skipped for
a missing program; otherwise it prints the report and a warning naming what was skipped."""

import os
import subprocess
import sys

import pytest

from tests import support
from tests.support import ROOT
from tools import coverage_gate

GATE = ROOT / "tools" / "coverage_gate.py"


def junit(*skips):
    cases = "".join(
        f'<testcase name="t{i}"><skipped type="pytest.skip" message="{m}">x</skipped></testcase>'
        for i, m in enumerate(skips)
    )
    suite = f'<testsuite name="pytest">{cases}</testsuite>'
    return f'<?xml version="1.0"?><testsuites>{suite}</testsuites>'


def skip_reason(monkeypatch):
    """What require_binary says outside CI when a program is missing."""
    monkeypatch.setattr(support, "IN_CI", False)
    with pytest.raises(pytest.skip.Exception) as skipped:
        support.require_binary("no-such-program", package="no-such-package")
    return skipped.value.msg


def test_only_skips_for_a_missing_program_count(tmp_path, monkeypatch):
    reason = skip_reason(monkeypatch)
    assert reason == "no-such-program is not installed (Debian: apt-get install no-such-package)"
    page = "nginx, redis-server are not installed (Debian: apt-get install nginx redis-server)"
    report = tmp_path / "junit.xml"
    report.write_text(junit(reason, reason, page, "set CLUB_TEST_POSTGRESQL=... to run it"))
    assert coverage_gate.skipped_for_programs(report) == sorted([reason, page])
    report.write_text(junit("set CLUB_TEST_POSTGRESQL=... to run it"))
    assert coverage_gate.skipped_for_programs(report) == []
    assert coverage_gate.skipped_for_programs(tmp_path / "absent.xml") == []


@pytest.mark.parametrize(
    ("reasons", "in_ci", "enforced"),
    [
        ([], False, True),
        ([], True, True),
        (["nginx is not installed (...)"], True, True),
        (["nginx is not installed (...)"], False, False),
    ],
)
def test_coverage_is_enforced_under_ci_or_when_nothing_was_skipped(reasons, in_ci, enforced):
    assert coverage_gate.enforced(reasons, in_ci) is enforced


@pytest.fixture
def half_covered(tmp_path):
    """A directory with 50% coverage data and pyproject.toml's fail_under = 100, as the book's."""
    (tmp_path / "pyproject.toml").write_text(
        "[tool.coverage.run]\nbranch = true\n[tool.coverage.report]\nfail_under = 100\n"
    )
    (tmp_path / "half.py").write_text("import sys\nif len(sys.argv) > 5:\n    print('many')\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("COVERAGE")}
    subprocess.run(
        [sys.executable, "-m", "coverage", "run", "half.py"], cwd=tmp_path, env=env, check=True
    )
    return tmp_path, env


def gate(directory, env, skips, ci):
    (directory / "junit.xml").write_text(junit(*skips))
    env = {**env, "CI": "1"} if ci else {k: v for k, v in env.items() if k != "CI"}
    return subprocess.run(
        [sys.executable, GATE, "junit.xml"],
        cwd=directory,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_the_report_fails_under_100_percent_unless_a_program_was_missing_outside_ci(half_covered):
    directory, env = half_covered
    missing = "nginx is not installed (Debian: apt-get install nginx)"
    done = gate(directory, env, [], ci=False)
    assert done.returncode == 2 and "half.py" in done.stdout, done
    assert gate(directory, env, [missing], ci=True).returncode == 2
    done = gate(directory, env, [missing], ci=False)
    assert done.returncode == 0 and "half.py" in done.stdout, done
    assert "100% coverage of examples/ was not enforced" in done.stderr
    assert f"  - {missing}" in done.stderr
