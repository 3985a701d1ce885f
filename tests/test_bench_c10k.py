"""The C10K benchmark itself, run small: every parked connection is answered, figures are sane."""

import json

from tests.support import run_python


def test_benchmark_answers_every_connection(tmp_path):
    out, chart = tmp_path / "c10k.json", tmp_path / "c10k.svg"
    args = ["--connections", "5", "40", "--json", out, "--svg", chart]
    done = run_python("bench/c10k.py", *args, timeout=120)
    assert done.returncode == 0, done.stderr
    rows = json.loads(out.read_text())["rows"]
    assert [(r["server"], r["connections"]) for r in rows] == [
        ("tornado", 5),
        ("tornado", 40),
        ("threads", 5),
        ("threads", 40),
    ]
    assert all(r["answered"] == r["connections"] for r in rows)
    assert all(r["threads"] == 1 for r in rows if r["server"] == "tornado")
    assert all(r["threads"] > r["connections"] for r in rows if r["server"] == "threads")
    assert "| tornado | 40 | 40 |" in done.stdout
    assert chart.read_text().startswith("<svg")


def test_benchmark_refuses_counts_it_cannot_hold():
    done = run_python("bench/c10k.py", "--connections", "30000", timeout=30)
    assert done.returncode == 2
    assert "--connections must be between 1 and 20,000" in done.stderr
