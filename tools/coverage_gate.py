"""The last step of `nox -s tests`: the coverage report, and whether it must reach 100%.

The examples are held to 100% line and branch coverage (pyproject.toml's fail_under) under CI,
and wherever no test was skipped because a program it drives is not installed. On a machine
without nginx or redis-server, say, the tests that need them are skipped, and with them the
lines only they reach: there the report is printed, the total is not enforced, and a warning
names what was skipped instead (under CI those tests fail, so the run fails before this step).

Usage: python tools/coverage_gate.py JUNIT_XML (pytest's --junitxml report of the run)
"""

import os
import re
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree

# The reason tests.support.require_binary (and the other checks for a program) give when skipping.
MISSING = re.compile(r"\b(?:is|are) not installed \(Debian: apt-get install [^)]+\)")


def skipped_for_programs(junit):
    """The distinct reasons of the tests skipped because a program is not installed."""
    if not Path(junit).is_file():
        return []
    report = ElementTree.parse(junit)  # noqa: S314 (pytest's own report)
    reasons = (s.get("message", "") for s in report.iter("skipped"))
    return sorted({r for r in reasons if MISSING.search(r)})


def enforced(reasons, in_ci):
    """Whether the total must reach fail_under: under CI, or when nothing was skipped."""
    return in_ci or not reasons


def main(junit, in_ci):
    reasons = skipped_for_programs(junit)
    report = [sys.executable, "-m", "coverage", "report"]
    if enforced(reasons, in_ci):
        return subprocess.run(report, check=False).returncode
    code = subprocess.run([*report, "--fail-under=0"], check=False).returncode
    lines = "\n".join(f"  - {r}" for r in reasons)
    print(
        "WARNING: 100% coverage of examples/ was not enforced: tests were skipped because "
        f"programs they drive are not installed:\n{lines}\n"
        "Install them (CONTRIBUTING.md lists the packages) to check coverage; under CI "
        "these tests fail instead.",
        file=sys.stderr,
    )
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], bool(os.environ.get("CI"))))
