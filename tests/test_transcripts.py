"""Every transcript the book shows, replayed against the example it belongs to."""

import pytest

from conftest import EXAMPLES, require_binary
from tests.transcript import comparable, replay

TRANSCRIPTS = sorted(EXAMPLES.rglob("*.console"))


@pytest.mark.parametrize("path", TRANSCRIPTS, ids=lambda p: p.relative_to(EXAMPLES).as_posix())
def test_transcript(path):
    require_binary("curl")
    for command, expected, actual in replay(path):
        assert comparable(actual) == comparable(expected), f"$ {command}"
