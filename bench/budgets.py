"""The book's budgets, measured: build times, test-suite time and page weight. Prints figures.

    python bench/budgets.py [--skip-tests]        # nox -s bench runs it in the docs venv

It copies docs/ and examples/ to a scratch directory so nothing in the work tree changes, then
times, for every edition: a cold build, a no-op rebuild and the rebuild after one page changes
(what `nox -s serve` does on save). It times the test suite as `nox -s tests` runs it, and
weighs each built page: its HTML plus the CSS and JavaScript it loads, fonts excluded.
Figures only, no pass/fail: compare them with the budgets in CONTRIBUTING.md.
"""

import argparse
import html.parser
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "docs" / "_ext"))
import editions  # noqa: E402

EDITIONS = editions.built()
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


def page_weight(page):
    parser = Assets()
    parser.feed(page.read_text("utf-8"))
    total = page.stat().st_size
    for href in parser.files:
        asset = (page.parent / href.split("?")[0]).resolve()
        if asset.is_file():
            total += asset.stat().st_size
    return total


def build_times(scratch, sphinx):
    rows = []
    for lang in EDITIONS:
        out = scratch / "_out" / lang
        command = [sphinx, "-q", "-W", "-n", "--keep-going", "-j", "auto", "-b", "html",
                   f"--define=language={lang}", "docs", str(out)]  # fmt: skip
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
        print("| page | weight (HTML + CSS + JS, no fonts) |")
        print("|---|---:|")
        for lang, *_, out in rows:
            for page in sorted(out.glob("*.html")):
                if page.name in {"genindex.html", "search.html", "404.html"}:
                    continue
                print(f"| {lang}/{page.name} | {page_weight(page) / 1024:.0f} KiB |")
    if not args.skip_tests:
        seconds = timed(["nox", "-s", "tests"], ROOT)
        print(f"\ntest suite (`nox -s tests`, venv reused): {seconds:.0f} s")


if __name__ == "__main__":
    main()
