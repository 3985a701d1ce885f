"""Appendix B's table and `nox -s matrix` read one matrix, and CI runs both of its ends."""

import re

import bookconfig
from bookconfig import version_tuple as version

from tests.book_support import directives
from tests.support import EXAMPLES, ROOT

MATRIX = bookconfig.matrix()
MATRIX_FILE = ROOT / "docs" / bookconfig.MATRIX_FILE
PAGE = ROOT / "docs" / "versions.md"
PINNED = re.search(
    r"^tornado==(\S+)$", (ROOT / "requirements" / "constraints.txt").read_text("utf-8"), re.M
)[1]


def test_the_page_shows_the_matrix_through_the_directive():
    assert [name for name, *_ in directives(PAGE)].count("version-matrix") == 1
    text = PAGE.read_text(encoding="utf-8")
    assert not re.search(r"^\|", text, re.M), "the table comes from docs/matrix.toml, not by hand"
    assert text.startswith("# 附录 B\u3000测试过的版本\n")


def test_the_page_names_the_oldest_supported_versions():
    text = PAGE.read_text(encoding="utf-8")
    assert f"Tornado {MATRIX['tornado'][0]}" in text
    assert f"Python {MATRIX['python'][0]}" in text


def test_both_lists_run_from_oldest_to_newest():
    for key in ("python", "tornado"):
        versions = [version(v) for v in MATRIX[key]]
        assert versions == sorted(set(versions)), f"{key} in {MATRIX_FILE.name}"


def test_the_oldest_python_is_the_one_the_project_requires():
    assert bookconfig.pyproject()["project"]["requires-python"] == f">={MATRIX['python'][0]}"


def test_the_newest_tornado_is_the_pinned_one():
    assert version(MATRIX["tornado"][-1]) == version(PINNED)


def test_ci_runs_the_oldest_and_the_newest_combination():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert re.search(r"^nox -s matrix -- --oldest --newest\b", ci, re.M)


def test_transcripts_show_the_pinned_tornado():
    """Replays accept any `Server: TornadoServer/...`; the book shows the version it pins."""
    shown = {
        (path.relative_to(EXAMPLES).as_posix(), found)
        for path in EXAMPLES.rglob("*.console")
        for found in re.findall(r"^Server: TornadoServer/(\S+)$", path.read_text("utf-8"), re.M)
    }
    assert shown and all(found == PINNED for _, found in shown), sorted(shown)


def test_every_place_that_names_the_pinned_tornado_agrees():
    """MAINTAINING.md's bump of Tornado touches these files; a forgotten one fails here."""
    examples = (ROOT / "requirements" / "examples.txt").read_text("utf-8")
    conf = (ROOT / "docs" / "conf.py").read_text("utf-8")
    assert re.search(r"^tornado==(\S+)$", examples, re.M)[1] == PINNED
    assert bookconfig.pyproject()["project"]["dependencies"] == [f"tornado=={PINNED}"]
    assert re.search(r'^release = "(\S+)"', conf, re.M)[1] == PINNED
    assert re.search(r'^version = "(\S+)"', conf, re.M)[1] == ".".join(PINNED.split(".")[:2])
