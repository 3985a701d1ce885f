"""Every transcript the book shows, replayed: against the example it belongs to, or as setup
steps in a scratch directory (tests/transcript.py has the rules)."""

import pytest

from conftest import EXAMPLES, require_binary
from tests.transcript import matches, replay

TRANSCRIPTS = sorted(EXAMPLES.rglob("*.console"))


@pytest.mark.parametrize("path", TRANSCRIPTS, ids=lambda p: p.relative_to(EXAMPLES).as_posix())
def test_transcript(path):
    require_binary("curl")
    require_binary("bash")
    for command, expected, actual in replay(path):
        assert matches(expected, actual), f"$ {command}\n--- shown:\n{expected}\n--- got:\n{actual}"
