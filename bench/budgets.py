"""The book's budgets, measured: build times, test-suite time and page weight. Prints figures.

    python bench/budgets.py [--skip-tests]        # nox -s bench runs it in the docs venv

It copies docs/ and examples/ to a scratch directory so nothing in the work tree changes, then
times, for every edition: a cold build, a no-op rebuild and the rebuild after one page changes
(what `nox -s serve` does on save). It times the test suite as `nox -s tests` runs it, and
weighs each built page: its HTML plus the CSS and JavaScript it loads, fonts excluded, as
files and as transferred when deploy/nginx-site.conf serves the site (gzip, precompressed files
written by deploy/precompress.py; the bodies' bytes, headers excluded) if nginx is installed.
Then Lighthouse (tests/browser/lighthouse.py; `npm ci --prefix tests/browser` installs it) scores
each page's Performance on its default mobile profile, three times, and prints the median, the
site served by deploy/nginx-site.conf (without nginx, by the small gzip server `serve_gzipped`).
Figures only, no pass/fail: compare them with the budgets in CONTRIBUTING.md.
"""

import argparse
import contextlib
import functools
import gzip
import html.parser
import http.client
import http.server
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "docs" / "_ext"))
import bookconfig  # noqa: E402

sys.path.insert(0, str(ROOT / "deploy"))
import precompress  # noqa: E402

NGINX_CONF = ROOT / "deploy" / "nginx-site.conf"
sys.path.insert(0, str(ROOT / "tests" / "browser"))
import lighthouse  # noqa: E402

EDITIONS = bookconfig.built()
EDITED_PAGE = "ch01.md"


def timed(command, cwd):
    started = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
    if done.returncode:  # show why, not just that it failed
        sys.exit(f"{' '.join(command)} failed:\n{done.stdout[-6000:]}{done.stderr[-3000:]}")
    return time.perf_counter() - started


class Assets(html.parser.HTMLParser):
    """The stylesheets and scripts a page loads."""

    def __init__(self):
        super().__init__()
        self.files = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "link" and attrs.get("rel") == "stylesheet" and attrs.get("href"):
            self.files.append(attrs["href"])
        elif tag == "script" and attrs.get("src"):
            self.files.append(attrs["src"])


def assets(page):
    parser = Assets()
    parser.feed(page.read_text("utf-8"))
    return parser.files


def page_weight(page):
    total = page.stat().st_size
    for href in assets(page):
        asset = (page.parent / href.split("?")[0]).resolve()
        if asset.is_file():
            total += asset.stat().st_size
    return total


@contextlib.contextmanager
def nginx(site, prefix):
    """deploy/nginx-site.conf serving `site` on a free loopback port; yields the port, or None
    without nginx."""
    binary = shutil.which("nginx")
    if binary is None:
        yield None
        return
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    conf = Path(prefix) / "nginx.conf"
    values = {"LISTEN_PORT": port, "SITE_DIR": site}  # its ${...} placeholders
    text = re.sub(r"\$\{(\w+)\}", lambda m: str(values[m[1]]), NGINX_CONF.read_text("utf-8"))
    conf.write_text(text, "utf-8")
    globals_ = "daemon off;" + (" user root;" if os.geteuid() == 0 else "")
    command = [binary, "-p", f"{prefix}/", "-c", str(conf), "-e", "stderr", "-g", globals_]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        for _ in range(200):
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.1):
                break
            if process.poll() is not None:
                sys.exit(f"nginx did not start: {process.stderr.read().decode()}")
            time.sleep(0.05)
        yield port
    finally:
        process.terminate()
        process.wait()


def served_weight(port, path, page):
    """Bytes of the page and its CSS and JS as nginx sends them to a browser asking for gzip."""
    total = 0
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        for url in [path, *(urllib.parse.urljoin(path, href) for href in assets(page))]:
            connection.request("GET", url, headers={"Accept-Encoding": "gzip"})
            response = connection.getresponse()
            body = response.read()
            if response.status == 200:
                total += len(body)
    finally:
        connection.close()
    return total


class GzipHandler(http.server.SimpleHTTPRequestHandler):
    """Python's file server, gzipping text (HTML, CSS, JavaScript, SVG) when the browser accepts
    it, as nginx's `gzip on` does: Lighthouse then measures what a reader's phone downloads."""

    COMPRESSED = (".html", ".css", ".js", ".svg", ".json", ".txt", ".xml")

    def do_GET(self):
        path = Path(self.translate_path(self.path))
        accepts = "gzip" in self.headers.get("Accept-Encoding", "")
        if not (accepts and path.is_file() and path.suffix in self.COMPRESSED):
            return super().do_GET()
        body = gzip.compress(path.read_bytes(), compresslevel=6)
        self.send_response(200)
        self.send_header("Content-Type", self.guess_type(str(path)))
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        return None

    def log_message(self, *args):
        pass


@contextlib.contextmanager
def serve_gzipped(directory):
    """`directory` over HTTP on 127.0.0.1 with gzip; yields its base URL."""
    handler = functools.partial(GzipHandler, directory=str(directory))
    with http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler) as httpd:
        thread = threading.Thread(target=httpd.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{httpd.server_address[1]}"
        finally:
            httpd.shutdown()
            thread.join()


def print_performance(site, pages, nginx_port=None, runs=3):
    """Lighthouse's mobile Performance score of each page (median of `runs`), with the First
    Contentful Paint, Largest Contentful Paint and Total Blocking Time of the median run (the
    time is what a loaded machine inflates: its long tasks are timed, then slowed down 4x).
    `pages` are paths under `site`, served by deploy/nginx-site.conf on `nginx_port`, or without
    nginx by a small gzip server."""
    why = lighthouse.missing()
    if why:
        print(f"\nLighthouse Performance not measured: {why}")
        return
    print()
    print(f"| page | Performance, mobile (median of {runs}) | FCP | LCP | TBT |")
    print("|---|---:|---:|---:|---:|")
    server = (
        contextlib.nullcontext(f"http://127.0.0.1:{nginx_port}")
        if nginx_port
        else serve_gzipped(site)
    )
    with server as url, lighthouse.chromium() as port:
        for page in pages:
            audit = functools.partial(lighthouse.audit, f"{url}/{page}", port, ["performance"])
            reports = [audit() for _ in range(runs)]
            reports.sort(key=lambda report: report["categories"]["performance"]["score"] or 0)
            median = reports[len(reports) // 2]
            score = lighthouse.scores(median)["performance"]
            fcp, lcp, tbt = (
                median["audits"][key]["numericValue"] / 1000
                for key in (
                    "first-contentful-paint",
                    "largest-contentful-paint",
                    "total-blocking-time",
                )
            )
            print(f"| {page} | {score} | {fcp:.1f} s | {lcp:.1f} s | {tbt:.2f} s |", flush=True)


def performance_pages(site):
    """The pages the weights table lists, as paths under `site` (one folder per edition)."""
    return [
        f"{lang}/{page.name}"
        for lang in EDITIONS
        for page in sorted((site / lang).glob("*.html"))
        if page.name not in {"genindex.html", "search.html", "404.html"}
    ]


def build_times(scratch, sphinx):
    rows = []
    for lang in EDITIONS:
        out = scratch / "_out" / lang
        strict = ["-W", "-n", "--keep-going"]
        command = [sphinx, "-q", *strict, "-j", "auto", "-b", "html", f"--define=language={lang}"]
        command += ["docs", str(out)]
        cold = timed(command, scratch)
        noop = timed(command, scratch)
        page = scratch / "docs" / EDITED_PAGE
        page.write_text(page.read_text("utf-8") + "\n", "utf-8")
        one = timed(command, scratch)
        rows.append((lang, cold, noop, one, out))
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-tests", action="store_true", help="do not time the test suite")
    parser.add_argument(
        "--skip-lighthouse",
        action="store_true",
        help="do not score the pages' Performance with Lighthouse",
    )
    args = parser.parse_args()
    sphinx = shutil.which("sphinx-build", path=str(Path(sys.executable).parent))
    with tempfile.TemporaryDirectory() as tmp:
        scratch = Path(tmp)
        shutil.copytree(ROOT / "docs", scratch / "docs", ignore=shutil.ignore_patterns("_build"))
        shutil.copytree(ROOT / "examples", scratch / "examples")
        rows = build_times(scratch, sphinx)
        print("| edition | cold build | no-op rebuild | one page edited |")
        print("|---|---:|---:|---:|")
        for lang, cold, noop, one, _ in rows:
            print(f"| {lang} | {cold:.1f} s | {noop:.1f} s | {one:.1f} s |")
        print()
        site = scratch / "_out"
        precompress.precompress(site)  # as `nox -s docs` does
        with nginx(site, scratch) as port:
            print("| page | weight (HTML + CSS + JS, no fonts) | served by nginx, gzip |")
            print("|---|---:|---:|")
            for lang, *_, out in rows:
                for page in sorted(out.glob("*.html")):
                    if page.name in {"genindex.html", "search.html", "404.html"}:
                        continue
                    path = f"/{lang}/{page.name}"
                    served = "nginx not installed"
                    if port is not None:
                        served = f"{served_weight(port, path, page) / 1024:.0f} KiB"
                    print(f"| {lang}/{page.name} | {page_weight(page) / 1024:.0f} KiB | {served} |")
            if not args.skip_lighthouse:
                print_performance(site, performance_pages(site), nginx_port=port)
    if not args.skip_tests:
        seconds = timed(["nox", "-s", "tests"], ROOT)
        print(f"\ntest suite (`nox -s tests`, venv reused): {seconds:.0f} s")


if __name__ == "__main__":
    main()
