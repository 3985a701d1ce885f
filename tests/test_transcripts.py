"""Every page's command blocks replayed in the order the page shows them, as a reader types them
on a fresh clone (tests/transcript.py has the rules): nothing is started for a block that the
page did not start before it, and a server runs until the page says {ctrl-c}`...`."""

import pytest

from conftest import ROOT, require_binary
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
