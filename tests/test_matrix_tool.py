"""tools/matrix.py: what `nox -s matrix` and `nox -s legacy` do beyond nox itself."""

import os
import sys

import pytest

from tools import matrix

PYTHONS = ["3.11", "3.12", "3.13"]
TORNADOS = ["6.6.0", "6.6.1"]
RUNNING = "{}.{}".format(*sys.version_info[:2])


@pytest.mark.parametrize(
    ("text", "expected"),
    [("6.6", (6, 6, 0)), ("6.6.0", (6, 6, 0)), ("v6.6.1", (6, 6, 1)), ("6.6.1\n", (6, 6, 1))],
)
def test_version_tuple_reads_every_spelling(text, expected):
    assert matrix.version_tuple(text) == expected


def test_same_release():
    assert matrix.same_release("6.6", "6.6.0")
    assert not matrix.same_release("6.6.1", "6.6.0")


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({}, [(p, t) for p in PYTHONS for t in TORNADOS]),
        ({"oldest": True, "newest": True}, [("3.11", "6.6.0"), ("3.13", "6.6.1")]),
        ({"python": ["3.12"]}, [("3.12", "6.6.0"), ("3.12", "6.6.1")]),
        ({"python": ["3.12"], "tornado": ["latest"]}, [("3.12", "latest")]),
        ({"tornado": ["pre"]}, [("3.11", "pre"), ("3.12", "pre"), ("3.13", "pre")]),
        ({"oldest": True, "python": ["3.11"], "tornado": ["6.6.0"]}, [("3.11", "6.6.0")]),
    ],
)
def test_pick_combinations(options, expected):
    assert matrix.pick_combinations(PYTHONS, TORNADOS, **options) == expected


def test_without_pin_drops_only_that_package():
    pinned = "# header\nTornado==6.6.1\n    # via x\ntornado-extra==1\nurllib3==2\n"
    assert (
        matrix.without_pin(pinned, "tornado")
        == "# header\n    # via x\ntornado-extra==1\nurllib3==2\n"
    )


def test_junit_counts_add_up_every_suite(tmp_path):
    report = tmp_path / "junit.xml"
    report.write_text(
        '<testsuites><testsuite tests="10" failures="1" errors="1" skipped="2"/>'
        '<testsuite tests="5" skipped="1"/></testsuites>'
    )
    assert matrix.junit_counts(report) == (10, 2, 3)
    assert matrix.junit_counts(tmp_path / "none.xml") is None


def test_summary_has_a_line_per_combination():
    results = [
        matrix.Result("3.11", "6.6.0", "passed", (1400, 0, 12), 185.4),
        matrix.Result("3.12", "6.6.0", "skipped: no Python", None, 0.0),
    ]
    header, passed, skipped = matrix.summary(results)
    assert header.split() == ["Python", "Tornado", "result", "passed", "failed", "skipped", "time"]
    assert passed.split() == ["3.11", "6.6.0", "passed", "1400", "0", "12", "3m05s"]
    assert skipped.split() == ["3.12", "6.6.0", "skipped:", "no", "Python", "-", "-", "-", "0m00s"]


def script(path, body):
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(0o755)
    return path


def test_reports_version_runs_the_candidate(tmp_path):
    assert matrix.reports_version(sys.executable, RUNNING)
    assert not matrix.reports_version(sys.executable, "2.7")
    shim = script(
        tmp_path / "python3.12", "echo 'pyenv: python3.12: command not found' >&2; exit 127"
    )
    assert not matrix.reports_version(shim, "3.12")
    assert not matrix.reports_version(tmp_path / "missing", "3.12")


def test_candidates_are_path_then_pyenv_newest_first(tmp_path):
    root = tmp_path / "pyenv"
    for name in ("3.12.1", "3.12.10", "3.12-dev", "3.13.0"):
        (root / "versions" / name / "bin").mkdir(parents=True)
        (root / "versions" / name / "bin" / "python3.12").touch()
    found = matrix.candidates("3.12", path=f"/a{os.pathsep}{os.pathsep}/b", pyenv_roots={root})
    versions = root / "versions"
    assert [str(p) for p in found] == [
        "/a/python3.12",
        "/b/python3.12",
        str(versions / "3.12.10" / "bin" / "python3.12"),
        str(versions / "3.12.1" / "bin" / "python3.12"),
    ]


def test_find_python_passes_over_a_shim_that_does_not_run(tmp_path, monkeypatch):
    shims, real = tmp_path / "shims", tmp_path / "real"
    shims.mkdir()
    real.mkdir()
    script(shims / f"python{RUNNING}", "exit 127")
    (real / f"python{RUNNING}").symlink_to(sys.executable)
    monkeypatch.setenv("PATH", f"{shims}{os.pathsep}{real}")
    monkeypatch.setenv("PYENV_ROOT", str(tmp_path / "no-pyenv"))
    monkeypatch.setenv("HOME", str(tmp_path))
    find = matrix.find_python.__wrapped__  # not the cached answer for this machine
    assert find(RUNNING, uv=str(tmp_path / "no-uv")) == str(real / f"python{RUNNING}")
    assert find("2.1", uv=str(tmp_path / "no-uv")) is None


def test_find_python_asks_uv_last(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.setenv("PYENV_ROOT", str(tmp_path / "no-pyenv"))
    monkeypatch.setenv("HOME", str(tmp_path))
    uv = script(tmp_path / "uv", f'test "$4" = {RUNNING} && echo {sys.executable}')
    find = matrix.find_python.__wrapped__
    assert find(RUNNING, uv=str(uv)) == sys.executable
    assert find("2.1", uv=str(uv)) is None
