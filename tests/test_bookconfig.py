"""docs/_ext/bookconfig.py: the one module that reads the book's configuration files."""

import re
import subprocess
import sys

import bookconfig
import pytest

from tests.support import ROOT

# Everything of the project's own Python but the examples (a reader's program reads its own files).
OWN_PYTHON = [
    ROOT / "noxfile.py",
    *(
        path
        for folder in ("tools", "docs/_ext", "deploy", "bench", "tests")
        for path in (ROOT / folder).rglob("*.py")
    ),
]
# Run as `python -m tests.transcript`, without the tests' path to docs/_ext: it reads
# pyproject.toml's repository URL itself.
READS_TOML_ITSELF = {"docs/_ext/bookconfig.py", "tests/transcript.py"}


def test_only_bookconfig_parses_the_books_toml_files():
    parsing = sorted(
        path.relative_to(ROOT).as_posix()
        for path in OWN_PYTHON
        if re.search(r"^\s*(import tomllib|from tomllib import)", path.read_text("utf-8"), re.M)
    )
    assert set(parsing) <= READS_TOML_ITSELF, parsing


def test_it_needs_only_the_standard_library():
    """noxfile.py, tools/ and bench/ run without Sphinx: bookconfig needs the standard library."""
    code = (
        "import sys; sys.path[:0] = ['docs/_ext']; import bookconfig; bookconfig.editions();"
        " bookconfig.matrix(); print(sorted(m for m in sys.modules if m.split('.')[0] in"
        " ('sphinx', 'docutils', 'babel')))"
    )
    done = subprocess.run(
        [sys.executable, "-I", "-c", code], cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def write(docs, editions="", matrix=""):
    docs.mkdir(exist_ok=True)
    (docs / "editions.toml").write_text(editions, "utf-8")
    (docs / "matrix.toml").write_text(matrix, "utf-8")
    return docs


SOURCE_ONLY = '[editions.zh_CN]\nname = "简体中文"\nstatus = "source"\n'


def test_an_edition_gets_the_defaults_of_the_file_header(tmp_path):
    docs = write(tmp_path, SOURCE_ONLY + '[editions.pt_BR]\nname = "Português"\n')
    entry = bookconfig.editions(docs)["pt_BR"]
    assert entry["status"] == "in-progress" and not entry["publish"]
    assert entry["search"] == "pt" and entry["browser"] == ["pt-BR"] and not entry["cjk"]
    assert bookconfig.built(docs) == ["zh_CN", "pt_BR"]
    assert bookconfig.offered(docs) == ["zh_CN"]
    assert bookconfig.translations(docs) == ["pt_BR"]


@pytest.mark.parametrize(
    "text, problem",
    [
        ('[editions.zh_CN]\nstatus = "source"\n', "needs a name"),
        (SOURCE_ONLY + '[editions.en]\nname = "English"\nstatus = "done"\n', "status must be"),
        ('[editions.en]\nname = "English"\nstatus = "source"\n', "and only it"),
    ],
)
def test_a_mistake_in_editions_toml_is_named(tmp_path, text, problem):
    with pytest.raises(ValueError, match=problem):
        bookconfig.editions(write(tmp_path, text))


def test_drafts_are_paths(tmp_path):
    docs = write(tmp_path, SOURCE_ONLY + '[drafts]\npages = ["ch10.md"]\n')
    assert bookconfig.drafts(docs) == {bookconfig.Path("ch10.md")}
    assert bookconfig.drafts(write(tmp_path, SOURCE_ONLY)) == set()


def test_the_matrix_and_the_legacy_eras(tmp_path):
    matrix = '[matrix]\npython = ["3.11"]\ntornado = ["6.6.0"]\n[legacy.old]\npython = "2.7"\n'
    docs = write(tmp_path, SOURCE_ONLY, matrix)
    assert bookconfig.matrix(docs) == {"python": ["3.11"], "tornado": ["6.6.0"]}
    assert bookconfig.legacy(docs) == {"old": {"python": "2.7"}}


@pytest.mark.parametrize(
    "text, expected", [("6.6", (6, 6, 0)), ("6.6.1", (6, 6, 1)), ("v6.6.0", (6, 6, 0))]
)
def test_version_tuple(text, expected):
    assert bookconfig.version_tuple(text) == expected


def test_the_glossary_and_pyproject():
    assert bookconfig.glossary()["term"]
    assert bookconfig.pyproject()["project"]["requires-python"].startswith(">=")


def test_html_lang():
    assert bookconfig.html_lang("zh_TW") == "zh-TW"
