"""Write a gzip copy next to every compressible file of the built site, for hosts that cannot
compress as they serve (nginx's gzip_static sends foo.css.gz for foo.css; see nginx-site.conf).

    python deploy/precompress.py docs/_build/html     # nox -s docs runs it after the build

Reproducible: gzip level 9 with no timestamp or file name, so the same site gives the same
bytes; a copy already up to date is left alone, and a copy whose file is gone is removed.
Files under MIN_SIZE are left plain: a few hundred bytes fit in the first packets anyway.
"""

import gzip
import sys
from pathlib import Path

SUFFIXES = {".html", ".css", ".js", ".map", ".svg", ".json", ".txt", ".xml"}
MIN_SIZE = 1024


def compress(data):
    return gzip.compress(data, compresslevel=9, mtime=0)


def precompress(site):
    """Write or refresh site/**/*.gz; returns (written, kept, removed) counts."""
    site = Path(site)
    written = kept = removed = 0
    for gz in site.rglob("*.gz"):
        if not gz.with_suffix("").is_file():
            gz.unlink()
            removed += 1
    for path in sorted(site.rglob("*")):
        if path.suffix not in SUFFIXES or not path.is_file() or path.stat().st_size < MIN_SIZE:
            continue
        gz = path.with_name(path.name + ".gz")
        data = compress(path.read_bytes())
        if gz.is_file() and gz.read_bytes() == data:
            kept += 1
            continue
        gz.write_bytes(data)
        written += 1
    return written, kept, removed


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python deploy/precompress.py docs/_build/html")
    written, kept, removed = precompress(sys.argv[1])
    print(f"precompressed: {written} written, {kept} up to date, {removed} stale removed")
