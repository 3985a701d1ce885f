"""Every page's command blocks replayed in the order the page shows them, as a reader types them
on a fresh clone (tests/transcript.py has the rules): nothing is started for a block that the
page did not start before it, and a server runs until the page says {ctrl-c}`...`."""

import contextlib

import pytest

from conftest import ROOT, require_binary
from tests import transcript
from tests.transcript import matches, page_transcripts, replay_page

PAGES = sorted(p for p in (ROOT / "docs").glob("*.md") if page_transcripts(p))


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.stem)
def test_page_replays_in_order(page):
    require_binary("curl")
    require_binary("bash")
    failures = [
        f"{path.relative_to(ROOT)}\n$ {command}\n--- shown:\n{expected}\n--- got:\n{actual}"
        for path, command, expected, actual in replay_page(page)
        if not matches(expected, actual)
    ]
    assert not failures, "\n\n".join(failures)


def test_ports_handed_out_for_one_page_never_collide(monkeypatch):
    """Ports chosen before their servers start are still free: later choices must skip them."""
    # Free on the machine each time, but 19998-20001 and 20012 overlap ports already handed out.
    offers = iter([20000, 19998, 20010, 20012, 20020])
    monkeypatch.setattr(transcript, "free_port", lambda count=1: next(offers))
    assert transcript.free_ports([8001, 8002, 8003, 8004, 6379, 8080]) == {
        6379: 20000, 8001: 20010, 8002: 20011, 8003: 20012, 8004: 20013, 8080: 20020
    }  # fmt: skip


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
