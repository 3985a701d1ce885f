"""Write a gzip copy next to every compressible file of the built site, for hosts that cannot
compress as they serve (nginx's gzip_static sends foo.css.gz for foo.css; see nginx-site.conf).

    python deploy/precompress.py docs/_build/html     # nox -s docs runs it after the build

Compressed by Zopfli (Google's gzip-compatible compressor, the `zopfli` package): 4-6 % smaller
than gzip -9 on the book's pages, which is what brings the longest chapters under the page-weight
budget (CONTRIBUTING, 基准测试); it is slow, so a copy that already holds the file's bytes is left
alone. Reproducible: no timestamp or file name, so the same site gives the same bytes. A copy
whose file is gone is removed.
Files under MIN_SIZE are left plain: a few hundred bytes fit in the first packets anyway.
"""

import concurrent.futures
import gzip
import sys
import zlib
from pathlib import Path

import zopfli.gzip

SUFFIXES = {".html", ".css", ".js", ".map", ".svg", ".json", ".txt", ".xml"}
MIN_SIZE = 1024


def compress(data):
    return zopfli.gzip.compress(data)


def holds(gz, data):
    """Whether the copy `gz` decompresses to `data` (so it need not be compressed again)."""
    try:
        return gzip.decompress(gz.read_bytes()) == data
    except (OSError, EOFError, zlib.error):
        return False


def precompress(site):
    """Write or refresh site/**/*.gz; returns (written, kept, removed) counts.

    Every edition carries the same theme files, so each distinct content is compressed once,
    the contents in parallel on every core."""
    site = Path(site)
    removed = 0
    for gz in site.rglob("*.gz"):
        if not gz.with_suffix("").is_file():
            gz.unlink()
            removed += 1
    stale = {}  # content -> the copies to write
    kept = 0
    for path in sorted(site.rglob("*")):
        if path.suffix not in SUFFIXES or not path.is_file() or path.stat().st_size < MIN_SIZE:
            continue
        gz = path.with_name(path.name + ".gz")
        data = path.read_bytes()
        if gz.is_file() and holds(gz, data):
            kept += 1
        else:
            stale.setdefault(data, []).append(gz)
    with concurrent.futures.ProcessPoolExecutor() as pool:
        for copies, compressed in zip(stale.values(), pool.map(compress, stale), strict=True):
            for gz in copies:
                gz.write_bytes(compressed)
    return sum(map(len, stale.values())), kept, removed


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python deploy/precompress.py docs/_build/html")
    written, kept, removed = precompress(sys.argv[1])
    print(f"precompressed: {written} written, {kept} up to date, {removed} stale removed")
