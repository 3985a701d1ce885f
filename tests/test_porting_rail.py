"""Appendix A's rail service. What it shares with chapter 5's weather service (a 503 when it
fails, requests that overlap, a bad --delay) is tested once for both in test_ch05_upstream.py."""

import json

import pytest

from examples.porting import rail
from tests.ch05_support import load

EXAMPLE = rail


@pytest.mark.reader
def test_timetable(server):
    resp = server.fetch("/timetable/suzhou")
    assert resp.status == 200
    assert resp.headers["Content-Type"] == "application/json; charset=UTF-8"
    assert json.loads(resp.body) == {
        "station": "Suzhou",
        "trains": [["09:10", "G7013", "Nanjing South"], ["09:48", "D2281", "Wuhan"]],
    }
    assert load(server) == {"in_flight": 0, "peak": 1, "served": 1}


@pytest.mark.reader
def test_delays(server):
    assert json.loads(server.fetch("/delays/hangzhou").body) == {"D3141": 12}
    assert json.loads(server.fetch("/delays/suzhou").body) == {}


@pytest.mark.parametrize("kind", ["timetable", "delays"])
def test_unknown_station_is_404_json(server, kind):
    resp = server.fetch(f"/{kind}/lhasa")
    assert resp.status == 404
    assert json.loads(resp.body) == {"error": "no such station"}


def test_only_known_paths_and_lowercase_names_are_routed(server):
    assert server.fetch("/timetable/Suzhou").status == 404
    assert server.fetch("/arrivals/suzhou").status == 404
    assert load(server)["served"] == 0
