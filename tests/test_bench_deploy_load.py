"""bench/deploy_load.py, run small: its own client through real nginx, and the whole run."""

import asyncio
import importlib.util
import json
import shutil

from tests.support import ROOT, free_port, require_binary, run_python

spec = importlib.util.spec_from_file_location("deploy_load", ROOT / "bench" / "deploy_load.py")
deploy_load = importlib.util.module_from_spec(spec)
spec.loader.exec_module(deploy_load)
KEEPALIVE_REQUESTS = 1000  # nginx's default: then it answers with Connection: close


def test_the_asyncio_client_reconnects_when_nginx_ends_a_connection(tmp_path):
    """One connection past nginx's keepalive_requests: a new connection, not an error."""
    require_binary("nginx")
    running, ports = deploy_load.start_tornado(1)
    try:
        listen = free_port()
        nginx = deploy_load.start_nginx(tmp_path, listen, ports)
        try:
            for duration in (2, 4, 8, 16, 32):  # until the one connection has carried enough
                row = asyncio.run(deploy_load.load_with_asyncio(listen, duration, 1))
                assert row["errors"] == 0, row
                if row["requests"] > KEEPALIVE_REQUESTS:
                    break
        finally:
            deploy_load.stop(nginx)
    finally:
        for process in running:
            deploy_load.stop(process)
    assert row["requests"] > KEEPALIVE_REQUESTS, row


def test_a_short_run_says_which_client_loaded_it(tmp_path):
    require_binary("nginx")
    out = tmp_path / "rows.json"
    args = ["--processes", "1", "2", "--duration", "1", "--connections", "4", "--json", out]
    done = run_python("bench/deploy_load.py", *args, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    client = "wrk" if shutil.which("wrk") else "asyncio client"
    lines = done.stdout.splitlines()
    assert lines[1].startswith("load from wrk" if client == "wrk" else "load from the asyncio")
    assert lines[-1] == "every request answered 200"
    result = json.loads(out.read_text())
    assert result["client"] == client
    assert [(r["setup"], r["processes"]) for r in result["rows"]] == [
        ("direct", 1),
        ("nginx", 1),
        ("nginx", 2),
    ]
    assert all(r["requests"] > 0 and r["errors"] == 0 for r in result["rows"])


def test_counts_it_cannot_run_are_refused():
    done = run_python("bench/deploy_load.py", "--processes", "5", timeout=30)
    assert done.returncode == 2
    assert "--processes must be from 1 to 4" in done.stderr
