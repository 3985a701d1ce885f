"""The book's invariants, checked over every page and every example."""

import ast
import re

import pytest

from conftest import BOTH_WAYS, EXAMPLES, ROOT

DOCS = ROOT / "docs"
PAGES = sorted(
    p for p in DOCS.rglob("*.md") if "_build" not in p.parts and "locales" not in p.parts
)
EXAMPLE_FILES = sorted(
    p
    for p in EXAMPLES.rglob("*")
    if p.is_file() and p.name != "__init__.py" and "__pycache__" not in p.parts
)
EXAMPLE_MODULES = [p for p in EXAMPLE_FILES if p.suffix == ".py"]
FENCE = re.compile(r"^(?P<mark>`{3,}|:{3,})\s*\{(?P<name>[\w-]+)\}\s*(?P<arg>.*)$")
OPTION = re.compile(r"^:(?P<key>[\w-]+):\s*(?P<value>.*)$")
CODE_FENCE = re.compile(r"^(`{3,}|~{3,})\s*(?P<info>[^`]*)$")
PYTHONISH = {"python", "py", "python3", "pycon", "ipython"}


def directives(page):
    """(name, argument, options, line number) of every fenced directive on a MyST page."""
    lines = page.read_text(encoding="utf-8").splitlines()
    found = []
    for number, line in enumerate(lines, 1):
        match = FENCE.match(line.strip())
        if not match:
            continue
        options = {}
        for following in lines[number:]:
            option = OPTION.match(following.strip())
            if not option:
                break
            options[option["key"]] = option["value"]
        found.append((match["name"], match["arg"].strip(), options, number))
    return found


def includes():
    """(page, target path, options, line) of every literalinclude in the book."""
    return [
        (page, (page.parent / arg).resolve(), options, line)
        for page in PAGES
        for name, arg, options, line in directives(page)
        if name == "literalinclude"
    ]


def where(page, line):
    return f"{page.relative_to(ROOT)}:{line}"


def test_every_example_file_is_shown_in_the_book():
    shown = {target for _, target, _, _ in includes()}
    missing = [str(p.relative_to(ROOT)) for p in EXAMPLE_FILES if p not in shown]
    assert not missing, f"not literalincluded by any page: {missing}"


def test_every_include_exists():
    broken = [f"{where(page, line)} -> {t}" for page, t, _, line in includes() if not t.is_file()]
    assert not broken


def test_every_include_is_an_example():
    outside = [where(page, line) for page, t, _, line in includes() if EXAMPLES not in t.parents]
    assert not outside, f"literalinclude outside examples/: {outside}"


def test_no_excerpt_by_line_numbers():
    by_number = [
        where(page, line)
        for page, _, options, line in includes()
        if {"lines", "emphasize-lines", "lineno-start"} & options.keys()
    ]
    assert not by_number, f"use :pyobject: or ANCHOR markers instead: {by_number}"


def test_start_and_end_markers_are_anchors():
    for page, target, options, line in includes():
        for key in ("start-after", "end-before"):
            if key in options:
                assert re.fullmatch(r"ANCHOR(_END)?: [\w-]+", options[key]), where(page, line)
                assert options[key] in target.read_text(encoding="utf-8"), where(page, line)


def test_transcripts_are_shown_as_console():
    for page, target, options, line in includes():
        if target.suffix == ".console":
            assert options.get("language") == "console", where(page, line)


def test_no_inline_python_in_the_book():
    inline = []
    for page in PAGES:
        for number, line in enumerate(page.read_text(encoding="utf-8").splitlines(), 1):
            match = CODE_FENCE.match(line.strip())
            if not match:
                continue
            info = match["info"].strip()
            words = re.sub(r"[{}]", " ", info).split()
            if words[:1] in (["code-block"], ["code"], ["sourcecode"]):
                words = words[1:]
            if words and words[0].lower() in PYTHONISH:
                inline.append(where(page, number))
    assert not inline, f"include Python from examples/ instead: {inline}"


def test_modern_notes_name_a_tornado_version():
    notes = [
        (page, arg, line) for page in PAGES for n, arg, _, line in directives(page) if n == "modern"
    ]
    for page, version, line in notes:
        assert re.fullmatch(r"\d+\.\d+(\.\d+)?", version), where(page, line)


def test_every_example_module_is_imported_by_a_test():
    imported = set()
    for test in (ROOT / "tests").glob("*.py"):
        for node in ast.walk(ast.parse(test.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("examples."):
                imported |= {f"{node.module}.{alias.name}" for alias in node.names}
    modules = {".".join(p.relative_to(ROOT).with_suffix("").parts) for p in EXAMPLE_MODULES}
    assert not modules - imported, f"no test imports {sorted(modules - imported)}"


def run_both_ways(test_module):
    """(tests that can run an example both ways, tests marked reader) of a test module.

    A test can when it takes `server` or `mode`, or a fixture of the module that does.
    """
    functions = {
        node.name: node
        for node in ast.parse(test_module.read_text(encoding="utf-8")).body
        if isinstance(node, ast.FunctionDef)
    }
    can = set(BOTH_WAYS)
    while True:
        more = {name for name, f in functions.items() if can & {a.arg for a in f.args.args}}
        if more <= can:
            break
        can |= more
    tests = {name for name in can if name.startswith("test_")}
    marked = {
        name
        for name, f in functions.items()
        if "pytest.mark.reader" in map(ast.unparse, f.decorator_list)
    }
    return tests, marked


def test_examples_also_run_as_a_reader_runs_them():
    """Each test module runs its example from a terminal, in at least two `reader` tests."""
    problems = []
    for test_module in sorted((ROOT / "tests").glob("test_*.py")):
        tests, marked = run_both_ways(test_module)
        if marked - tests:
            problems.append(f"{test_module.name}: {sorted(marked - tests)} never serve an example")
        if tests and len(marked) < min(2, len(tests)):
            problems.append(f"{test_module.name}: mark two tests @pytest.mark.reader")
    assert not problems


@pytest.mark.parametrize(
    "module", EXAMPLE_MODULES, ids=lambda p: p.relative_to(EXAMPLES).as_posix()
)
def test_examples_follow_the_book_layout(module):
    """Tornado programs: make_app(), async def main(), and asyncio.run() only behind __main__.

    Every program, Tornado or not (the standard-library server compared with Tornado in
    chapter 5), runs nothing at import time.
    """
    tree = ast.parse(module.read_text(encoding="utf-8"))
    top_level_calls = [
        ast.unparse(n)
        for n in tree.body
        if isinstance(n, ast.Expr) and isinstance(n.value, ast.Call)
    ]
    assert not top_level_calls, "nothing may run at import time"
    if "import tornado.web" not in module.read_text(encoding="utf-8"):
        return
    functions = {
        n.name: n for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)
    }
    assert "make_app" in functions
    assert isinstance(functions.get("main"), ast.AsyncFunctionDef)
    guard = [n for n in tree.body if isinstance(n, ast.If) and "__main__" in ast.unparse(n.test)]
    assert len(guard) == 1 and "asyncio.run(main(" in ast.unparse(guard[0])


def test_transcripts_belong_to_an_example():
    for transcript in EXAMPLES.rglob("*.console"):
        program = transcript.with_name(transcript.name.split(".")[0] + ".py")
        assert program.is_file(), f"{transcript.relative_to(ROOT)} has no {program.name}"


def test_pages_are_in_the_toctree():
    index = (DOCS / "index.md").read_text(encoding="utf-8")
    for page in PAGES:
        if page.name not in {"index.md"}:
            assert re.search(rf"^{page.stem}$", index, re.M), f"{page.name} not in index.md"
