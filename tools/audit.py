"""How deep each page of the book is: `nox -s audit` prints one line per page of docs/.

For each page: the Han characters of its prose (paragraphs, lists, tables, headings and the
bodies of notes, modern notes, optional containers and the glossary; not code, listings or
directive options), how many listings and terminal sessions it includes, and how many modern
notes it has. It checks nothing: what must hold is tested (tests/test_book.py: every example
shown, every include present, no inline Python) or checked by `nox -s translations -- --check`;
each edition's translation progress is `nox -s translations -- --stats`.

    python tools/audit.py [PAGE.md ...]
"""

import argparse
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from catalog_lint import HAN, Text, parser  # noqa: E402 (the book's MyST parser and Han class)

DOCS = Path(__file__).resolve().parents[1] / "docs"
# Directives whose body a reader reads as prose; any other directive's body is code or data.
PROSE_DIRECTIVES = {"modern", "container", "glossary", "admonition", "seealso"}
PROSE_DIRECTIVES |= {
    "note",
    "tip",
    "hint",
    "important",
    "warning",
    "caution",
    "attention",
    "danger",
}
DIRECTIVE = re.compile(r"^\{(?P<name>[\w:-]+)\}\s*(?P<arg>.*)$")
OPTION = re.compile(r"^:[\w-]+:")
COLUMNS = ["han", "listings", "sessions", "modern"]


def measure(source):
    """{"han": ..., "listings": ..., "sessions": ..., "modern": ...} for MyST `source`."""
    counts = dict.fromkeys(COLUMNS, 0)
    for token in parser().parse(source):
        if token.type == "inline":
            counts["han"] += len(HAN.findall(Text(token.content).prose))
            continue
        directive = DIRECTIVE.match(token.info.strip()) if token.type == "fence" else None
        if directive is None:
            continue
        name, arg = directive["name"], directive["arg"]
        if name == "rubric":  # a heading inside an optional container
            counts["han"] += len(HAN.findall(arg))
        elif name == "literalinclude":
            counts["sessions" if arg.strip().endswith(".console") else "listings"] += 1
        elif name in PROSE_DIRECTIVES:
            counts["modern"] += name == "modern"
            body = "\n".join(x for x in token.content.splitlines() if not OPTION.match(x))
            for key, value in measure(body).items():
                counts[key] += value
    return counts


def main(argv=None):
    parser_ = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser_.add_argument("pages", nargs="*", type=Path, help="default: every page of docs/")
    args = parser_.parse_args(argv)
    pages = args.pages or sorted(DOCS.glob("*.md"))
    print(row("page", {"han": "Han", **{key: key for key in COLUMNS[1:]}}))
    total = dict.fromkeys(COLUMNS, 0)
    for page in pages:
        counts = measure(page.read_text(encoding="utf-8"))
        for key, value in counts.items():
            total[key] += value
        print(row(page.name, counts))
    print(row("total", total))


def row(name, counts):
    return f"{name:<16} {counts['han']:>7}" + "".join(f" {counts[k]:>8}" for k in COLUMNS[1:])


if __name__ == "__main__":
    main()
