"""The C10K benchmark itself, run small: every parked connection is answered, figures are sane."""

import json
import subprocess
import sys

from tests.support import ROOT


def test_benchmark_answers_every_connection(tmp_path):
    out, chart = tmp_path / "c10k.json", tmp_path / "c10k.svg"
    done = subprocess.run(
        [
            sys.executable,
            "bench/c10k.py",
            "--connections",
            "5",
            "40",
            "--json",
            str(out),
            "--svg",
            str(chart),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
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
    done = subprocess.run(
        [sys.executable, "bench/c10k.py", "--connections", "30000"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 2
    assert "--connections must be between 1 and 20,000" in done.stderr
