"""Chapter 8 fixtures: the chapter's own config files, run for real on loopback ports.

Config templates in examples/ch08 have `${NAME}` placeholders; `render` fills them in (as
`envsubst` would for a reader) and refuses to leave one behind. nginx, redis-server and
supervisord run from temporary directories, in the foreground, and are stopped at teardown.
"""

import contextlib
import os
import re
import signal
import ssl
import subprocess
import sys
from pathlib import Path

from examples.ch08 import live
from tests.support import EXAMPLES, ROOT, require_binary, stop, wait_for_port

CH08 = EXAMPLES / "ch08"
PLACEHOLDER = re.compile(r"\$\{(\w+)\}")


def render(template, target, **values):
    """Copy a config template with every ${NAME} replaced; every placeholder must be given."""
    text = (CH08 / template).read_text(encoding="utf-8")
    missing = set(PLACEHOLDER.findall(text)) - values.keys()
    assert not missing, f"{template}: no value for {sorted(missing)}"
    text = PLACEHOLDER.sub(lambda m: str(values[m[1]]), text)
    Path(target).write_text(text, encoding="utf-8")
    return Path(target)


def start(command, log, **kwargs):
    with open(log, "wb") as out:
        return subprocess.Popen(command, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, **kwargs)


@contextlib.contextmanager
def processes(program, ports, *args, directory):
    """`python examples/ch08/<program> --port=P ARGS` for every P, started together."""
    running = []
    try:
        for port in ports:
            log = Path(directory) / f"{Path(program).stem}-{port}.log"
            command = [sys.executable, str(CH08.relative_to(ROOT) / program), f"--port={port}"]
            running.append((start([*command, *args], log), port, log))
        for process, port, log in running:
            wait_for_port(port, process, log)
        yield running
    finally:
        for process, _, _ in running:
            stop(process)


@contextlib.contextmanager
def nginx(template, directory, **values):
    """nginx with a rendered chapter config, prefix `directory`, in the foreground."""
    binary = require_binary("nginx")
    prefix = Path(directory)
    conf = render(template, prefix / "nginx.conf", **values)
    globals_ = "daemon off;" + (" user root;" if os.geteuid() == 0 else "")
    checked = subprocess.run(
        [binary, "-t", "-p", f"{prefix}/", "-c", conf, "-e", "stderr", "-g", globals_],
        capture_output=True,
        text=True,
    )
    assert checked.returncode == 0, checked.stderr
    log = prefix / "nginx.out"
    process = start([binary, "-p", f"{prefix}/", "-c", conf, "-e", "stderr", "-g", globals_], log)
    try:
        for key, port in values.items():
            if key.startswith("LISTEN") or key.startswith("TLS"):
                wait_for_port(port, process, log)
        yield process
    finally:
        stop(process, signal.SIGQUIT)


@contextlib.contextmanager
def redis_server(port, directory):
    """redis-server with the chapter's redis.conf, on `port` instead of 6379; stopped at exit."""
    binary = require_binary("redis-server")
    command = [binary, str(CH08 / "redis.conf"), "--port", str(port)]
    log = Path(directory) / f"redis-{port}.log"
    with open(log, "ab") as out:  # appended to: a test may start it again on the same port
        process = subprocess.Popen(command, cwd=directory, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_for_port(port, process, log)
        yield process
    finally:
        stop(process)


def get(conn, path, headers=None):
    """GET `path` over an unused HTTP(S)Connection, then close it: (status, headers, body)."""
    try:
        conn.request("GET", path, headers=headers or {})
        with conn.getresponse() as resp:
            return resp.status, resp.headers, resp.read()
    finally:
        conn.close()


def trusting(cert):
    """A client-side SSL context that trusts exactly this certificate."""
    return ssl.create_default_context(cafile=cert)


def printed_url(log):
    """The address a program's banner tells the reader to open (`Listening on URL`)."""
    found = re.search(r"^Listening on (\S+)$", Path(log).read_text(), re.MULTILINE)
    assert found, f"no 'Listening on' line in {log}"
    return found[1]


@contextlib.asynccontextmanager
async def live_app(url):
    """A Hub and make_app(hub), both started and closed in the loop that serves them."""
    hub = live.Hub(url)
    await hub.start()
    try:
        yield live.make_app(hub)
    finally:
        await hub.close()
