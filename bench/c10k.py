"""C10K, measured: park N idle long-poll connections on one server process, then release them.

    python bench/c10k.py                                   # both servers, 1,000 5,000 10,000
    python bench/c10k.py --server tornado --connections 1000 20000
    nox -s c10k -- --json bench/results/c10k.json --svg docs/_static/c10k.svg

For each server and each N: start the chapter-5 example (examples/ch05/waiting_room.py, or
waiting_room_threads.py for the thread-per-connection comparison) on a free loopback port;
open N connections that each send `GET /wait`; once the server reports N waiting, read its
resident memory, address space and thread count from /proc; `POST /release`; and time until
every connection holds its complete answer. Nothing is sent anywhere but 127.0.0.1, every
phase has a deadline, and every socket and server is closed at the end.
"""

import argparse
import asyncio
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROGRAMS = {
    "tornado": "examples/ch05/waiting_room.py",
    "threads": "examples/ch05/waiting_room_threads.py",
}
WAIT = b"GET /wait HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
ANSWER = b"released\n"
MAX_CONNECTIONS = 20_000  # one source address has ~28,000 ephemeral ports; stay well below
CONNECTING_AT_ONCE = 256  # keeps the listen backlog from overflowing while we ramp up
MIB = 1024 * 1024


def raise_fd_limit(wanted):
    """Raise this process's open-file limit (inherited by the server) as far as allowed."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = hard if hard == resource.RLIM_INFINITY else min(hard, max(soft, wanted))
    if target > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def proc_status(pid):
    """Resident memory and address space in bytes, and the thread count, of a process."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        fields[key] = value.split()
    return {
        "rss": int(fields["VmRSS"][0]) * 1024,
        "vsz": int(fields["VmSize"][0]) * 1024,
        "threads": int(fields["Threads"][0]),
    }


async def request(port, head):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(head)
        await writer.drain()
        data = await reader.readuntil(b"\r\n\r\n")
        length = next(
            int(line.split(b":")[1])
            for line in data.split(b"\r\n")
            if line.lower().startswith(b"content-length:")
        )
        return await reader.readexactly(length)
    finally:
        writer.close()


async def stats(port):
    return json.loads(await request(port, b"GET /stats HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"))


async def wait_for(predicate, deadline, what):
    while not await predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"gave up waiting for {what}")
        await asyncio.sleep(0.05)


async def start_server(name):
    port = await free_port()
    process = subprocess.Popen(
        [sys.executable, PROGRAMS[name], f"--port={port}", "--logging=warning"],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )

    async def up():
        try:
            await stats(port)
            return True
        except OSError:
            return False

    await wait_for(up, time.monotonic() + 15, f"{name} to start")
    return process, port


async def free_port():
    server = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    server.close()
    await server.wait_closed()
    return port


async def measure(name, count, timeout):
    process, port = await start_server(name)
    baseline = proc_status(process.pid)
    gate = asyncio.Semaphore(CONNECTING_AT_ONCE)
    connections = []

    async def connect():
        async with gate:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(WAIT)
            await writer.drain()
        connections.append((reader, writer))

    try:
        started = time.monotonic()
        await asyncio.wait_for(asyncio.gather(*(connect() for _ in range(count))), timeout)

        async def all_waiting():
            return (await stats(port))["waiting"] == count

        await wait_for(all_waiting, started + timeout, f"{count} waiting connections")
        parked = time.monotonic() - started
        loaded = proc_status(process.pid)

        async def answer(reader):
            data = await reader.readuntil(ANSWER)
            return data.startswith(b"HTTP/1.1 200") and data.endswith(ANSWER)

        answers = [asyncio.ensure_future(answer(reader)) for reader, _ in connections]
        released_at = time.monotonic()
        await request(
            port, b"POST /release HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n"
        )
        done = await asyncio.wait_for(asyncio.gather(*answers, return_exceptions=True), timeout)
        release = time.monotonic() - released_at
    finally:
        for _, writer in connections:
            writer.close()
        process.terminate()
        process.wait(30)
    answered = sum(result is True for result in done)
    return {
        "server": name,
        "connections": count,
        "answered": answered,
        "baseline_rss": baseline["rss"],
        "rss": loaded["rss"],
        "rss_per_connection": (loaded["rss"] - baseline["rss"]) / count,
        "vsz": loaded["vsz"],
        "threads": loaded["threads"],
        "seconds_to_park": parked,
        "seconds_to_release": release,
    }


def table(rows):
    lines = [
        "| server | connections | answered | RSS | RSS per connection | address space"
        " | threads | time to park | time to answer all |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['server']} | {r['connections']:,} | {r['answered']:,} | {r['rss'] / MIB:.0f} MiB"
            f" | {r['rss_per_connection'] / 1024:.1f} KiB | {r['vsz'] / MIB:,.0f} MiB"
            f" | {r['threads']:,} | {r['seconds_to_park']:.2f} s"
            f" | {r['seconds_to_release']:.2f} s |"
        )
    return "\n".join(lines)


def svg(rows):
    """Two bar charts side by side: KiB of memory per connection, seconds to answer them all."""
    counts = sorted({r["connections"] for r in rows})
    servers = sorted({r["server"] for r in rows}, key=list(PROGRAMS).index)
    colours = {"tornado": "#c2410c", "threads": "#64748b"}
    panels = [
        ("KiB per waiting connection", "rss_per_connection", 1024),
        ("seconds to answer every connection", "seconds_to_release", 1),
    ]
    width, height, panel_w, top, bottom = 760, 300, 340, 40, 250
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}"'
        ' font-family="sans-serif" font-size="12">',
        '<rect width="100%" height="100%" fill="white"/>',
    ]
    for index, (title, key, scale) in enumerate(panels):
        x0 = 30 + index * (panel_w + 40)
        peak = max(r[key] / scale for r in rows) or 1
        parts.append(f'<text x="{x0}" y="20" font-weight="bold">{title}</text>')
        parts.append(
            f'<line x1="{x0}" y1="{bottom}" x2="{x0 + panel_w}" y2="{bottom}" stroke="#999"/>'
        )
        group_w = panel_w / len(counts)
        bar_w = (group_w - 20) / len(servers)
        for g, count in enumerate(counts):
            gx = x0 + g * group_w + 10
            parts.append(
                f'<text x="{gx + (group_w - 20) / 2}" y="{bottom + 16}"'
                f' text-anchor="middle">{count:,}</text>'
            )
            for s, server in enumerate(servers):
                row = next(
                    (r for r in rows if r["server"] == server and r["connections"] == count), None
                )
                if row is None:
                    continue
                value = row[key] / scale
                h = (bottom - top) * value / peak
                bx = gx + s * bar_w
                parts.append(
                    f'<rect x="{bx:.1f}" y="{bottom - h:.1f}" width="{bar_w - 4:.1f}"'
                    f' height="{h:.1f}" fill="{colours[server]}"/>'
                )
                label_x, label_y = bx + (bar_w - 4) / 2, bottom - h - 4
                parts.append(
                    f'<text x="{label_x:.1f}" y="{label_y:.1f}" text-anchor="middle"'
                    f' font-size="10">{value:.1f}</text>'
                )
    for s, server in enumerate(servers):
        parts.append(
            f'<rect x="{30 + s * 120}" y="{height - 22}" width="12" height="12"'
            f' fill="{colours[server]}"/>'
        )
        parts.append(f'<text x="{48 + s * 120}" y="{height - 12}">{server}</text>')
    parts.append(f'<text x="{width - 10}" y="{height - 12}" text-anchor="end">connections</text>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", choices=[*PROGRAMS, "both"], default="both")
    parser.add_argument("--connections", type=int, nargs="+", default=[1000, 5000, 10000])
    parser.add_argument("--timeout", type=float, default=120, help="seconds allowed per phase")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--svg", type=Path, help="also draw them as a chart in this file")
    args = parser.parse_args()
    if not all(0 < n <= MAX_CONNECTIONS for n in args.connections):
        parser.error(f"--connections must be between 1 and {MAX_CONNECTIONS:,}")
    limit = raise_fd_limit(max(args.connections) + 100)
    if limit < max(args.connections) + 100:
        parser.error(f"the open-file limit is {limit}; it cannot hold {max(args.connections):,}")
    servers = list(PROGRAMS) if args.server == "both" else [args.server]
    rows = []
    for name in servers:
        for count in args.connections:
            print(f"{name}: {count:,} connections ...", file=sys.stderr, flush=True)
            rows.append(asyncio.run(measure(name, count, args.timeout)))
            time.sleep(1)  # let the closed sockets drain before the next run
    print(table(rows))
    if args.json:
        machine = {
            "python": sys.version.split()[0],
            "cpus": len(__import__("os").sched_getaffinity(0)),
        }
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"machine": machine, "rows": rows}, indent=2) + "\n")
    if args.svg:
        args.svg.parent.mkdir(parents=True, exist_ok=True)
        args.svg.write_text(svg(rows))
    lost = [r for r in rows if r["answered"] != r["connections"]]
    return 1 if lost else 0


if __name__ == "__main__":
    sys.exit(main())
