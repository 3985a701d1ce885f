"""Chapter 8, measured: throughput and latency through nginx with 1, 2 and 4 Tornado processes.

    python bench/deploy_load.py                        # 1, 2 and 4 processes, 10 s each
    python bench/deploy_load.py --processes 1 4 --duration 5 --connections 100
    python bench/deploy_load.py --json bench/results/deploy_load.json

For each N: start N copies of examples/ch08/whoami.py on free loopback ports (access logging
off), put nginx in front of them with the chapter's own examples/ch08/nginx.conf (rendered into
a temporary directory, upstream lines for N processes), and load `GET /whoami` through nginx
for --duration seconds with --connections keep-alive connections. A first row loads one
process directly, without nginx, for comparison. The load comes from `wrk` (Debian: apt-get
install wrk) when it is installed, else from a small asyncio client in this file (which
reconnects when nginx ends a connection after its keepalive_requests, 1000); the second line
printed says which. Figures from the two clients are not comparable. Every request must
succeed: any error or non-200 answer fails the run. Only 127.0.0.1 is contacted; every server
is stopped at the end.
"""

import argparse
import asyncio
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CH08 = ROOT / "examples" / "ch08"
PATH = "/whoami"
PLACEHOLDER = re.compile(r"\$\{(\w+)\}")


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port, process, deadline=15.0):
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if process.poll() is not None:
            sys.exit(f"error: {process.args[0]} exited with {process.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    sys.exit(f"error: nothing listened on port {port} within {deadline} s")


def stop(process):
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def render_nginx(directory, listen, ports):
    """nginx.conf with the template's four upstream lines cut down to these ports."""
    text = (CH08 / "nginx.conf").read_text(encoding="utf-8")
    values = {"LISTEN_PORT": listen, "APP_DIR": CH08}
    values |= {f"PORT_{i}": ports[(i - 1) % len(ports)] for i in range(1, 5)}
    text = PLACEHOLDER.sub(lambda m: str(values[m[1]]), text)
    seen, lines = set(), []
    for line in text.splitlines(keepends=True):
        if line.strip().startswith("server 127.0.0.1:"):
            if line in seen:
                continue
            seen.add(line)
        lines.append(line)
    conf = Path(directory) / "nginx.conf"
    conf.write_text("".join(lines), encoding="utf-8")
    return conf


def start_nginx(directory, listen, ports):
    binary = shutil.which("nginx")
    if binary is None:
        sys.exit("error: nginx is not installed (Debian: apt-get install nginx)")
    conf = render_nginx(directory, listen, ports)
    globals_ = "daemon off;" + (" user root;" if os.geteuid() == 0 else "")
    process = subprocess.Popen(
        [binary, "-p", f"{directory}/", "-c", str(conf), "-e", "stderr", "-g", globals_],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_for_port(listen, process)
    return process


def start_tornado(count):
    ports = [free_port() for _ in range(count)]
    command = [sys.executable, str(CH08 / "whoami.py"), "--logging=warning"]
    running = [
        subprocess.Popen([*command, f"--port={port}"], cwd=ROOT, stdout=subprocess.DEVNULL)
        for port in ports
    ]
    for process, port in zip(running, ports, strict=True):
        wait_for_port(port, process)
    return running, ports


def load_with_wrk(port, duration, connections):
    url = f"http://127.0.0.1:{port}{PATH}"
    command = ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency", url]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    failed = (sum(int(n) for n in errors.groups()) if errors else 0) + (
        int(non_2xx[1]) if non_2xx else 0
    )
    return {
        "requests": int(re.search(r"(\d+) requests in", out)[1]),
        "per_second": float(re.search(r"Requests/sec:\s+([\d.]+)", out)[1]),
        "p50_ms": wrk_ms(re.search(r"50%\s+([\d.]+\w+)", out)[1]),
        "p99_ms": wrk_ms(re.search(r"99%\s+([\d.]+\w+)", out)[1]),
        "errors": failed,
    }


def wrk_ms(text):
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(number) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60000}[unit]


async def load_with_asyncio(port, duration, connections):
    request = f"GET {PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode()
    latencies, errors = [], 0
    end = time.monotonic() + duration

    async def one_connection():
        nonlocal errors
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while time.monotonic() < end:
                started = time.monotonic()
                writer.write(request)
                head = await reader.readuntil(b"\r\n\r\n")
                length = int(re.search(rb"Content-Length: (\d+)", head, re.I)[1])
                await reader.readexactly(length)
                if not head.startswith(b"HTTP/1.1 200 "):
                    errors += 1
                latencies.append(time.monotonic() - started)
                if re.search(rb"\r\nConnection: close\r\n", head, re.I):
                    # nginx ends a client connection after keepalive_requests (1000): reconnect
                    writer.close()
                    reader, writer = await asyncio.open_connection("127.0.0.1", port)
        except (OSError, asyncio.IncompleteReadError):
            errors += 1
        finally:
            writer.close()

    await asyncio.gather(*(one_connection() for _ in range(connections)))
    latencies.sort()
    if not latencies:  # every connection failed at once
        return {"requests": 0, "per_second": 0.0, "p50_ms": 0.0, "p99_ms": 0.0, "errors": errors}
    return {
        "requests": len(latencies),
        "per_second": len(latencies) / duration,
        "p50_ms": latencies[len(latencies) // 2] * 1000,
        "p99_ms": latencies[int(len(latencies) * 0.99)] * 1000,
        "errors": errors,
    }


def load(port, args):
    if shutil.which("wrk"):
        return load_with_wrk(port, args.duration, args.connections)
    return asyncio.run(load_with_asyncio(port, args.duration, args.connections))


def measure(setup, count, args):
    running, ports = start_tornado(count)
    try:
        if setup == "direct":
            return load(ports[0], args)
        with tempfile.TemporaryDirectory(prefix="book-nginx-") as directory:
            listen = free_port()
            nginx = start_nginx(directory, listen, ports)
            try:
                return load(listen, args)
            finally:
                stop(nginx)
    finally:
        for process in running:
            stop(process)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--duration", type=int, default=10, help="seconds per row (1-60)")
    parser.add_argument("--connections", type=int, default=50, help="open at once (1-1000)")
    parser.add_argument("--json", type=Path, help="also write the rows here")
    args = parser.parse_args()
    if not 1 <= args.duration <= 60 or not 1 <= args.connections <= 1000:
        parser.error("--duration must be 1-60 and --connections 1-1000")
    if any(not 1 <= n <= 4 for n in args.processes):
        parser.error("--processes must be from 1 to 4 (nginx.conf has four upstream lines)")
    client = "wrk" if shutil.which("wrk") else "asyncio client"
    print(f"GET {PATH}, {args.connections} connections, {args.duration} s per row")
    if client == "wrk":
        print("load from wrk")
    else:
        print("load from the asyncio client in bench/deploy_load.py (wrk is not installed)")
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"{os.cpu_count()} CPUs, Python {sys.version.split()[0]}, load average {load}\n")
    print("| setup | processes | requests/s | p50 (ms) | p99 (ms) | errors |")
    print("|---|---:|---:|---:|---:|---:|")
    rows = []
    for setup, count in [("direct", 1)] + [("nginx", n) for n in args.processes]:
        row = {"setup": setup, "processes": count, **measure(setup, count, args)}
        rows.append(row)
        print(
            f"| {setup} | {count} | {row['per_second']:,.0f} | {row['p50_ms']:.1f} | "
            f"{row['p99_ms']:.1f} | {row['errors']} |",
            flush=True,
        )
    if args.json:
        args.json.write_text(json.dumps({"client": client, "rows": rows}, indent=2) + "\n")
    if any(row["errors"] for row in rows):
        sys.exit("error: some requests failed")
    print("\nevery request answered 200")


if __name__ == "__main__":
    main()
