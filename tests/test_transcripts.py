"""Every page's command blocks replayed in the order the page shows them, as a reader types them
on a fresh clone (tests/transcript.py has the rules): nothing is started for a block that the
page did not start before it, and a server runs until the page says {ctrl-c}`...`."""

import contextlib
import os
import shutil
import sys
from pathlib import Path

import pytest

from tests import transcript
from tests.support import ROOT, require
from tests.transcript import matches, page_transcripts, replay_page

PAGES = sorted(p for p in (ROOT / "docs").glob("*.md") if page_transcripts(p))
# Debian packages of the programs the transcripts run whose package has another name
PACKAGES = {
    "redis-cli": "redis-tools",
    "envsubst": "gettext-base",
    "psql": "postgresql-client",
    "createdb": "postgresql-client",
    "dropdb": "postgresql-client",
    "pgrep": "procps",
    "systemd-analyze": "systemd",
    "runuser": "util-linux",
}


def missing_programs(page, path=None):
    """The programs the page's transcripts run that are not installed, with their packages:
    bash runs them all; the test's Python, and what its environment has installed
    (supervisord), come first on PATH, as for the reader with a virtual environment."""
    path = path if path is not None else os.environ.get("PATH", "")
    path = os.pathsep.join([str(Path(sys.executable).parent), path])
    return {
        program: PACKAGES.get(program, program)
        for program in ["bash", *transcript.page_programs(page)]
        if not shutil.which(program, path=path)
    }


def require_programs(page):
    """Skip the page's replay (fail under CI) when a program it runs is not installed."""
    missing = missing_programs(page)
    if missing:
        packages = " ".join(dict.fromkeys(missing.values()))
        verb = "is" if len(missing) == 1 else "are"
        message = f"{', '.join(missing)} {verb} not installed (Debian: apt-get install {packages})"
        require(False, message)


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.stem)
def test_page_replays_in_order(page):
    require_programs(page)
    failures = [
        f"{path.relative_to(ROOT)}\n$ {command}\n--- shown:\n{expected}\n--- got:\n{actual}"
        for path, command, expected, actual in replay_page(page)
        if not matches(expected, actual)
    ]
    assert not failures, "\n\n".join(failures)


# Reason phrases Python 3.13 renamed after RFC 9110 (http.client.responses, which Tornado's
# status line uses by default): a transcript showing the old one fails on 3.13, so an example
# answering one of these statuses names the new phrase itself, the same on every Python.
RENAMED = {
    413: "Request Entity Too Large",
    414: "Request-URI Too Long",
    416: "Requested Range Not Satisfiable",
    422: "Unprocessable Entity",
}


def test_no_transcript_shows_a_reason_phrase_python_3_13_renamed():
    old = {f"HTTP/1.1 {status} {reason}" for status, reason in RENAMED.items()}
    shown = [
        f"{path.relative_to(ROOT)}: {line}"
        for page in PAGES
        for _, path in page_transcripts(page)
        for _, expected in transcript.parse(path)
        for line in expected.splitlines()
        if line.strip() in old
    ]
    assert not shown


def test_ports_handed_out_for_one_page_never_collide(monkeypatch):
    """Ports chosen before their servers start are still free: later choices must skip them."""
    # Free on the machine each time, but 19998-20001 and 20012 overlap ports already handed out.
    offers = iter([20000, 19998, 20010, 20012, 20020])
    monkeypatch.setattr(transcript, "free_port", lambda count=1: next(offers))
    assert transcript.free_ports([8001, 8002, 8003, 8004, 6379, 8080]) == {
        6379: 20000,
        8001: 20010,
        8002: 20011,
        8003: 20012,
        8004: 20013,
        8080: 20020,
    }


ASYNCIO_SESSION = """\
asyncio REPL 3.11.7 (main, Jan  1 2026, 00:00:00) [GCC 12.2.0] on linux
Use "await" directly instead of "asyncio.run()".
Type "help", "copyright", "credits" or "license" for more information.
>>> import asyncio
>>> word = await asyncio.sleep(0, "latency")
>>> if word: shout = word.upper()
...
>>> shout
'LATENCY'
>>>
exiting asyncio REPL...
"""


def test_an_asyncio_repl_session_is_typed_in_and_shown_as_a_terminal_shows_it(tmp_path):
    """`python -m asyncio`: the lines after the prompts are typed in, each shown after its
    prompt; `...` ends a block, a bare `>>>` is Ctrl+D; the banner matches any Python's."""
    with contextlib.ExitStack() as stack:
        actual = transcript.Replay(stack, tmp_path).run("python -m asyncio", ASYNCIO_SESSION)
    assert matches(ASYNCIO_SESSION, actual), actual
    assert ">>> shout\n'LATENCY'\n>>>\nexiting asyncio REPL..." in actual
    assert not matches(ASYNCIO_SESSION.replace("'LATENCY'", "'latency'"), actual)


def test_a_repl_screen_puts_each_typed_line_after_its_prompt():
    printed = "banner\n>>> import asyncio\n>>> >>> ... >>> 2\n>>> \nexiting asyncio REPL...\n"
    typed = ["x = 1", "if x: x += 1", "", "x"]
    assert transcript.repl_screen(printed, typed) == (
        "banner\n>>> import asyncio\n>>> x = 1\n>>> if x: x += 1\n... \n>>> x\n2\n>>> \n"
        "exiting asyncio REPL...\n"
    )
    assert transcript.repl_inputs(ASYNCIO_SESSION) == [
        'word = await asyncio.sleep(0, "latency")',
        "if word: shout = word.upper()",
        "",
        "shout",
    ]


@pytest.mark.parametrize(
    "command",
    [
        "pip install -r requirements.txt",  # it pins another Tornado
        "pip install -r missing.txt",
        "pip install tornado==6.0",
        "sudo apt-get install no-such-package-here",
        "nox -s no-such-session",
        "NAME=value",  # an assignment the next command would not see
    ],
)
def test_a_checked_command_that_fails_its_check_matches_no_output_shown(tmp_path, command):
    """A check's refusal is not an output: `...` under the command does not hide it."""
    (tmp_path / "requirements.txt").write_text("tornado==6.0\n")
    with contextlib.ExitStack() as stack:
        actual = transcript.Replay(stack, tmp_path).run(command)
    assert actual.startswith(transcript.REFUSED), actual
    assert not matches("...", actual)
    assert not matches(actual, actual)
    with contextlib.ExitStack() as stack:
        passed = transcript.Replay(stack, ROOT).run("pip install -r requirements/examples.txt")
    assert passed == ""
    assert matches("...", passed)


def test_the_programs_a_command_runs():
    """What a page's replay needs installed: each command of a line, after sudo/runuser and
    assignments; not shell builtins, not python, nothing for a command only checked."""
    assert transcript.programs("sudo -u postgres psql -c 'SELECT 1 # x'") == ["psql"]
    assert transcript.programs("runuser -u postgres -- createdb shop") == ["createdb"]
    assert transcript.programs("(umask 077 && openssl req -x509 -out key.pem)") == ["openssl"]
    assert transcript.programs("curl -s 'http://a/?x=1&y=2' | python -m json.tool") == ["curl"]
    assert transcript.programs("export D=$(mktemp -d)") == ["mktemp"]
    assert transcript.programs("for i in 1 2; do curl -s x; done") == ["curl"]
    assert transcript.programs("nginx -g 'daemon off;' 2>&1    # terminal 2") == ["nginx"]
    assert transcript.programs("cd tornado-book") == []
    assert transcript.programs("sudo apt-get install nginx redis-server") == []  # checked
    assert transcript.programs('pip install "nox[uv]"') == []


def test_a_page_replay_needs_the_programs_its_transcripts_run(tmp_path):
    """On a machine with only Python and the shell's basics (a PATH of links to them), chapter
    8's replay is skipped, naming nginx and redis-server and their packages, not failed."""
    for name in (
        "bash",
        "grep",
        "sed",
        "rm",
        "mkdir",
        "cut",
        "sort",
        "wc",
        "seq",
        "sleep",
        "chmod",
        "stat",
        "mktemp",
        "sh",
        "cp",
    ):
        (tmp_path / name).symlink_to(shutil.which(name))
    ch08 = ROOT / "docs" / "ch08.md"
    missing = missing_programs(ch08, str(tmp_path))
    assert {"curl", "nginx", "redis-server", "openssl", "envsubst"} <= set(missing)
    assert missing["redis-cli"] == "redis-tools" and missing["envsubst"] == "gettext-base"
    assert "supervisord" not in missing  # installed with the examples' requirements
