import hashlib
import re

import pytest

from examples.ch01 import hello
from tests.support import EXAMPLES, ROOT
from tests.transcript import COMMENT, checked, parse, repository

EXAMPLE = hello


@pytest.mark.reader
def test_default_greeting(server):
    resp = server.fetch("/")
    assert (resp.status, resp.text) == (200, "Hello, Tornado reader!\n")


@pytest.mark.reader
def test_greeting_argument(server):
    resp = server.fetch("/?greeting=Salve")
    assert resp.text == "Salve, Tornado reader!\n"


def test_unicode_greeting(server):
    resp = server.fetch("/?greeting=%E4%BD%A0%E5%A5%BD")
    assert resp.text == "你好, Tornado reader!\n"


def test_hostile_greeting_is_plain_text(server):
    resp = server.fetch("/?greeting=%3Cscript%3Ealert(1)%3C/script%3E")
    assert resp.status == 200
    assert resp.headers["Content-Type"] == "text/plain; charset=UTF-8"


def test_long_greeting_is_refused(server):
    resp = server.fetch("/?greeting=" + "a" * (hello.MAX_GREETING + 1))
    assert resp.status == 400
    assert resp.reason == f"greeting is longer than {hello.MAX_GREETING} characters"
    assert b"greeting is longer than" in resp.body


def test_post_is_not_allowed(server):
    assert server.fetch("/", method="POST", body="x").status == 405


def pip_commands(transcript):
    return [c for c, _ in parse(EXAMPLES / transcript) if c.startswith(("pip ", "python3 -m pip "))]


def test_install_steps_install_what_the_whole_book_needs():
    """Chapter 1 installs the examples' requirements, as the preface and the README do: a reader
    who followed it has SQLAlchemy for chapter 4 and redis for chapter 8."""
    line = "pip install -r requirements/examples.txt"
    assert pip_commands("ch01/install.steps.console") == [line]
    assert pip_commands("ch01/install.steps.console") == pip_commands("ch01/venv.steps.console")
    assert line in (ROOT / "README.md").read_text("utf-8")


def test_setup_steps_are_checked_not_run():
    """What changes the machine or needs the network (apt-get update and install, pip) is checked
    by the replay, never run."""
    for transcript in ("ch01/curl.steps.console", "ch01/install.steps.console"):
        commands = [c for c, _ in parse(EXAMPLES / transcript) if "apt-get" in c or "pip " in c]
        assert commands
        for command in commands:
            assert checked(command, ROOT) == "", command
    assert checked("sudo apt-get update", ROOT) == ""


@pytest.mark.reader
def test_get_has_an_etag_and_a_matching_request_gets_304(server):
    """finish() adds an Etag (the SHA-1 of the body) to a 200 GET; If-None-Match with it gets an
    empty 304. The value is the one the book's transcript shows."""
    resp = server.fetch("/")
    etag = '"' + hashlib.sha1(resp.body).hexdigest() + '"'
    assert resp.headers["Etag"] == etag == '"621dcb6f84a153e81a83111a634dc577239a9c43"'
    again = server.fetch("/", headers={"If-None-Match": etag})
    assert (again.status, again.body) == (304, b"")
    assert "Content-Type" not in again.headers
    other = server.fetch("/?greeting=Salve", headers={"If-None-Match": etag})
    assert other.status == 200 and other.headers["Etag"] != etag


def test_errors_have_no_etag(server):
    assert "Etag" not in server.fetch("/?greeting=" + "a" * 51).headers


def readme_blocks():
    """The commands of each console block of README.md, comments left out."""
    blocks = re.findall(
        r"^```console\n(.*?)^```", (ROOT / "README.md").read_text("utf-8"), re.MULTILINE | re.DOTALL
    )
    return [
        [COMMENT.sub("", line[2:]) for line in b.splitlines() if line.startswith("$ ")]
        for b in blocks
    ]


def test_readme_first_screen_is_the_preface_s_tested_steps():
    """The README's first screen: two commands, made of the preface's steps that the tests
    replay (a virtual environment for nox, since a system Python may refuse pip: PEP 668)."""
    book = [command for command, _ in parse(EXAMPLES / "ch01/book.steps.console")]
    first = readme_blocks()[0]
    assert len(first) == 2
    assert [part for command in first for part in command.split(" && ")] == book
    venv = ["python3 -m venv .venv", "source .venv/bin/activate", 'pip install "nox[uv]"']
    assert book[:3] == venv
    shown = {c for path in EXAMPLES.rglob("*.console") for c, _ in parse(path)}
    assert set(readme_blocks()[1]) <= shown  # running an example


def test_git_clone_is_checked_against_the_book_s_repository(tmp_path):
    """`git clone` is not run: its URL must be pyproject.toml's, and the scratch directory
    stands for the clone, so `cd tornado-book` after it enters it."""
    url = repository()
    assert checked(f"git clone {url}.git", tmp_path) == ""
    assert (tmp_path / "tornado-book").resolve() == tmp_path.resolve()
    assert checked(f"git clone {url} book", tmp_path) == ""
    assert (tmp_path / "book").resolve() == tmp_path.resolve()
    assert checked("git clone https://example.org/other.git", tmp_path).startswith("NOT AS")
    assert checked(f"git clone {url}.git", ROOT) == ""
    assert not (ROOT / "tornado-book").exists()  # never a link in the repository itself
