"""support.free_port: the loopback ports the tests' servers listen on."""

import random

import pytest

from tests import support


@pytest.fixture(autouse=True)
def ports_are_free(monkeypatch):
    """What is checked here is the bookkeeping, not the machine: a drawn port that another
    test's server happened to hold at that moment made a draw more than the test planned."""
    monkeypatch.setattr(support, "_is_free", lambda port: True)


def test_a_port_is_never_handed_out_twice(monkeypatch):
    """Two calls before either server had bound its port once drew the same random number, and
    nginx refused a config listening twice on it."""
    draws = iter([30001, 30001, 30002])
    monkeypatch.setattr(random, "randrange", lambda *args: next(draws))
    monkeypatch.setattr(support, "_GIVEN", set())
    assert support.free_port() == 30001
    assert support.free_port() == 30002


def test_consecutive_ports_skip_any_handed_out(monkeypatch):
    draws = iter([30010, 30010, 30012])
    monkeypatch.setattr(random, "randrange", lambda *args: next(draws))
    monkeypatch.setattr(support, "_GIVEN", {30011})
    assert support.free_port(count=2) == 30012
