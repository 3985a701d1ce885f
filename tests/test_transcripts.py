"""Every page's command blocks replayed in the order the page shows them, as a reader types them
on a fresh clone (tests/transcript.py has the rules): nothing is started for a block that the
page did not start before it, and a server runs until the page says {ctrl-c}`...`."""

import pytest

from conftest import EXAMPLES, ROOT, require_binary
from tests.transcript import matches, page_transcripts, replay, replay_page

PAGES = sorted(p for p in (ROOT / "docs").glob("*.md") if page_transcripts(p))
# Pages whose blocks only work one file at a time (each with its program started for it); the
# set only shrinks: a page listed here that replays in order fails the test too.
NOT_YET_IN_ORDER = {"ch04", "ch06", "ch07", "ch08", "porting"}


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.stem)
def test_page_replays_in_order(page):
    require_binary("curl")
    require_binary("bash")
    failures = [
        f"{path.relative_to(ROOT)}\n$ {command}\n--- shown:\n{expected}\n--- got:\n{actual}"
        for path, command, expected, actual in replay_page(page)
        if not matches(expected, actual)
    ]
    if page.stem in NOT_YET_IN_ORDER:
        assert failures, f"{page.stem} replays in order now: remove it from NOT_YET_IN_ORDER"
        pytest.xfail(f"{len(failures)} commands do not give what is shown when typed in order")
    assert not failures, "\n\n".join(failures)


# Until its page replays in order, each of its transcripts is replayed on its own.
ON_THEIR_OWN = sorted(
    path for page in PAGES if page.stem in NOT_YET_IN_ORDER for _, path in page_transcripts(page)
)


@pytest.mark.parametrize("path", ON_THEIR_OWN, ids=lambda p: p.relative_to(EXAMPLES).as_posix())
def test_transcript_on_its_own(path):
    require_binary("curl")
    require_binary("bash")
    for command, expected, actual in replay(path):
        assert matches(expected, actual), f"$ {command}\n--- shown:\n{expected}\n--- got:\n{actual}"
