"""Lighthouse (the npm package pinned in tests/browser/package-lock.json) driving Debian's Chromium.

Used by tests/browser/test_audits.py (accessibility, best practices and SEO must score 100) and by
bench/budgets.py (the median of three mobile Performance runs per page). No pytest here.

    npm ci --prefix tests/browser      # nox -s browser and nox -s bench run it

One Chromium is started per run with a DevTools port on loopback; every page is then audited by
the Lighthouse CLI connecting to that port (`--port`), with its default mobile profile, and the
JSON report is read here.
"""

import contextlib
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
CLI = HERE / "node_modules" / "lighthouse" / "cli" / "index.js"
AXE = HERE / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = "/usr/bin/chromium"
GATED = ("accessibility", "best-practices", "seo")  # must be 100 on every page
# Lighthouse starts its own headless flags; --no-sandbox because the tests may run as root.
CHROMIUM_FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def missing():
    """Why Lighthouse cannot run here, or "" when node, the npm packages and Chromium are there."""
    if not shutil.which("node"):
        return "node is not installed (Debian: apt-get install nodejs npm)"
    if not CLI.is_file() or not AXE.is_file():
        return "Lighthouse and axe-core are not installed: npm ci --prefix tests/browser"
    if not Path(os.environ.get("CHROME_PATH", CHROMIUM)).is_file():
        return "chromium is not installed (Debian: apt-get install chromium)"
    return ""


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def chromium():
    """A headless Chromium with a DevTools port on loopback; yields the port."""
    port = _free_port()
    with tempfile.TemporaryDirectory(prefix="lighthouse-") as profile:
        process = subprocess.Popen(
            [
                os.environ.get("CHROME_PATH", CHROMIUM),
                *CHROMIUM_FLAGS,
                f"--remote-debugging-port={port}",
                "--remote-debugging-address=127.0.0.1",
                f"--user-data-dir={profile}",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            for _ in range(100):  # up to 10 s for DevTools to listen
                with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port)):
                    break
                time.sleep(0.1)
            yield port
        finally:
            process.terminate()
            process.wait(timeout=30)


def audit(url, port, categories=GATED):
    """Lighthouse's JSON report of `url` (mobile profile) through the Chromium on `port`."""
    with tempfile.NamedTemporaryFile(suffix=".json") as report:
        done = subprocess.run(
            [
                "node",
                str(CLI),
                url,
                f"--port={port}",
                "--output=json",
                f"--output-path={report.name}",
                "--quiet",
                f"--only-categories={','.join(categories)}",
            ],
            capture_output=True,
            text=True,
            env={**os.environ, "CHROME_PATH": os.environ.get("CHROME_PATH", CHROMIUM)},
        )
        if done.returncode:
            raise RuntimeError(f"lighthouse {url} failed:\n{done.stderr[-3000:]}")
        result = json.loads(Path(report.name).read_text("utf-8"))
    if result.get("runtimeError"):
        raise RuntimeError(f"lighthouse {url}: {result['runtimeError']}")
    return result


def scores(report):
    """{category id: score out of 100, or None when Lighthouse could not score it}."""
    return {
        key: None if category["score"] is None else round(category["score"] * 100)
        for key, category in report["categories"].items()
    }


def failures(report, ignore=()):
    """Every scored audit short of full marks but those in `ignore` (audit ids), as
    "category: audit-id (title): where" lines."""
    lines = []
    for key, category in report["categories"].items():
        for ref in category["auditRefs"]:
            result = report["audits"][ref["id"]]
            if result["score"] is None or result["score"] >= 1 or not ref.get("weight"):
                continue
            if ref["id"] in ignore:
                continue
            items = (result.get("details") or {}).get("items") or []
            where = "; ".join(
                (item.get("node") or {}).get("snippet", "") or str(item.get("url", ""))
                for item in items[:5]
            )
            lines.append(f"{key}: {ref['id']} ({result['title']}): {where}")
    return lines
