"""What `nox -s matrix` and `nox -s legacy` need beyond nox: interpreters, combinations, results.

nox's own `@nox.session(python=[...])` and `@nox.parametrize` do not fit these two sessions:
the combinations are chosen by arguments (`-- --oldest --newest`, `-- --tornado latest`, which
CI and .github/workflows/newest.yml pass), each combination's environment lives in
`.nox/matrix/py<X.Y>-tornado<V>` (Appendix B says so), the summary counts tests, and nox's
interpreter discovery neither finds a pyenv version that is not pyenv's global one nor skips a
missing Python (it downloads one). The noxfile keeps the sessions; this module the plain logic.
"""

import contextlib
import functools
import itertools
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import NamedTuple
from xml.etree import ElementTree

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "docs" / "_ext"))
from bookconfig import version_tuple  # noqa: E402


class Result(NamedTuple):
    """How one Python × Tornado combination ended; counts is (passed, failed, skipped) or None."""

    python: str
    tornado: str
    outcome: str
    counts: tuple[int, int, int] | None
    seconds: float


def same_release(a, b):
    """Whether two spellings name one release: "6.6" and "6.6.0" do."""
    return version_tuple(a) == version_tuple(b)


def reports_version(python, version):
    """Whether running `python` works and gives Python `version` ("3.12")."""
    if not os.access(python, os.X_OK):
        return False
    show = "import sys; print('%d.%d' % sys.version_info[:2])"
    try:
        done = subprocess.run(
            [python, "-c", show], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0 and done.stdout.strip() == version


def candidates(version, path=None, pyenv_roots=None):
    """Where Python `version` may be: pythonX.Y on PATH, then pyenv's versions, newest first."""
    name = f"python{version}"
    path = os.environ.get("PATH", "") if path is None else path
    found = [Path(d, name) for d in path.split(os.pathsep) if d]
    if pyenv_roots is None:
        pyenv_roots = {os.environ.get("PYENV_ROOT") or "", str(Path.home() / ".pyenv")} - {""}
    patch_release = re.compile(rf"{re.escape(version)}\.\d+")
    for root in sorted(pyenv_roots):
        installed = Path(root, "versions").glob(f"{version}.*/bin/{name}")
        installed = [p for p in installed if patch_release.fullmatch(p.parents[1].name)]
        found += sorted(installed, key=lambda p: version_tuple(p.parents[1].name), reverse=True)
    return found


@functools.cache
def find_python(version, uv="uv"):
    """An interpreter for Python `version` ("3.12"), or None: from PATH, pyenv, or uv.

    Every candidate is run before it is chosen: a pyenv shim for a version other than pyenv's
    global one is on PATH but only prints an error, so being found is not enough.
    """
    for candidate in candidates(version):
        if reports_version(candidate, version):
            return str(candidate)
    find = [uv, "python", "find", "--no-project", version]  # uv-managed Pythons
    with contextlib.suppress(OSError, subprocess.TimeoutExpired):
        done = subprocess.run(find, capture_output=True, text=True, timeout=60, check=False)
        if done.returncode == 0 and reports_version(done.stdout.strip(), version):
            return done.stdout.strip()
    return None


def pick_combinations(pythons, tornados, *, oldest=False, newest=False, python=(), tornado=()):
    """The (Python, Tornado) pairs `nox -s matrix -- ...` selects, in matrix order.

    `oldest` and `newest` add the matrix's two ends; `python` and `tornado` (lists of versions)
    add their product, the matrix's own lists standing in for whichever is empty. Nothing
    selected means the whole matrix.
    """
    picked = []
    if oldest:
        picked.append((pythons[0], tornados[0]))
    if newest:
        picked.append((pythons[-1], tornados[-1]))
    if python or tornado or not picked:
        picked += itertools.product(python or pythons, tornado or tornados)
    return list(dict.fromkeys(picked))


def without_pin(constraints, package):
    """The constraints file's text without `package`'s pin: the tested version replaces it."""
    lines = constraints.splitlines(keepends=True)
    return "".join(x for x in lines if not x.lower().startswith(f"{package.lower()}=="))


def junit_counts(path):
    """(passed, failed, skipped) from pytest's JUnit XML report, or None if there is none."""
    if not Path(path).is_file():
        return None
    counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for suite in ElementTree.parse(path).iter("testsuite"):  # noqa: S314 (pytest's own report)
        for key in counts:
            counts[key] += int(suite.get(key, 0))
    failed = counts["failures"] + counts["errors"]
    return counts["tests"] - failed - counts["skipped"], failed, counts["skipped"]


def summary(results):
    """The table `nox -s matrix` ends with: one line per combination, after a header."""
    lines = ["Python  Tornado  result            passed  failed  skipped  time"]
    for python, tornado, outcome, counts, seconds in results:
        passed, failed, skipped = counts or ("-", "-", "-")
        minutes, seconds = divmod(round(seconds), 60)
        lines.append(
            f"{python:<7} {tornado:<8} {outcome:<17} {passed:>6}  {failed:>6}  "
            f"{skipped:>7}  {minutes}m{seconds:02d}s"
        )
    return lines
