"""The book's invariants, checked over every page and every example."""

import ast
import difflib
import itertools
import re

import pytest

from tests.book_support import directives
from tests.support import BOTH_WAYS, EXAMPLES, LEGACY, ROOT

DOCS = ROOT / "docs"
PAGES = sorted(
    p for p in DOCS.rglob("*.md") if "_build" not in p.parts and "locales" not in p.parts
)
EXAMPLE_FILES = sorted(
    p
    for p in EXAMPLES.rglob("*")
    if p.is_file() and p.name != "__init__.py" and "__pycache__" not in p.parts
)
# Not Appendix A's old programs: the test interpreter cannot import them; tests/legacy runs each
# on its era's Python and Tornado, against the transcripts of its port.
EXAMPLE_MODULES = [p for p in EXAMPLE_FILES if p.suffix == ".py" and LEGACY not in p.parents]
CODE_FENCE = re.compile(r"^(`{3,}|~{3,})\s*(?P<info>[^`]*)$")
PYTHONISH = {"python", "py", "python3", "pycon", "ipython"}


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


def test_every_anchor_line_is_dropped_from_the_book():
    """docs/_ext/listings.py drops marker lines it recognises; any other would show on the page."""
    from listings import ANCHOR_LINE as anchor_line

    kept = [
        f"{path.relative_to(ROOT)}: {line.strip()}"
        for path in EXAMPLE_FILES
        for line in path.read_text(encoding="utf-8").splitlines(keepends=True)
        if re.search(r"\bANCHOR(_END)?: ", line) and not anchor_line.fullmatch(line)
    ]
    assert not kept, kept


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


MODERN_NOTE = re.compile(r"^```\{modern\} (?P<version>\S+)\n(?P<body>.*?)^```$", re.M | re.S)


def test_modern_notes_are_not_repeated():
    """A note told once is linked afterwards: two of one version must not say the same thing."""
    notes = []
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        for m in MODERN_NOTE.finditer(text):
            notes.append((m["version"], where(page, text.count("\n", 0, m.start()) + 1), m["body"]))
    assert len(notes) > 40
    alike = [
        (a[1], b[1])
        for a, b in itertools.combinations(notes, 2)
        if a[0] == b[0] and difflib.SequenceMatcher(None, a[2], b[2], autojunk=False).ratio() > 0.5
    ]
    assert not alike, f"keep the full note once and link it from the others: {alike}"


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
    """`<program>[.<topic>].console` belongs to `<program>.py`; `*.steps.console` to no one."""
    for transcript in EXAMPLES.rglob("*.console"):
        if transcript.name.endswith(".steps.console"):
            continue
        program = transcript.with_name(transcript.name.split(".")[0] + ".py")
        assert program.is_file(), f"{transcript.relative_to(ROOT)} has no {program.name}"


def test_pages_are_in_the_toctree():
    index = (DOCS / "index.md").read_text(encoding="utf-8")
    for page in PAGES:
        if page.name not in {"index.md"}:
            assert re.search(rf"^{page.stem}$", index, re.M), f"{page.name} not in index.md"


# Rule 4: every command a reader is told to type is in a file a test executes.
SHELL_LANGUAGES = {"console", "shell", "bash", "sh", "shell-session", "zsh", "powershell", "bat"}
COMMAND_NAMES = {
    "python",
    "python3",
    "curl",
    "nox",
    "pip",
    "pip3",
    "uv",
    "export",
    "sudo",
    "su",
    "runuser",
    "createdb",
    "createuser",
    "psql",
    "initdb",
    "pg_ctl",
    "pg_ctlcluster",
    "redis-server",
    "redis-cli",
    "nginx",
    "openssl",
    "envsubst",
    "systemctl",
    "service",
    "supervisorctl",
    "supervisord",
    "mkdir",
    "cd",
    "source",
    ".",
    "apt-get",
    "apt",
    "git",
    "kill",
}
INLINE_CODE = re.compile(r"(?<!`)`([^`\n]+)`(?!`)")


def is_command_line(span):
    """A command name with arguments: two or more, or one that is a path, URL or setting.

    A bare name (`curl`), or a name and one option or word (`curl -I`, `pip install`), is a
    mention; `python examples/ch01/hello.py` or `nox -s docs` is a command to type.
    """
    words = span.split()
    if not words or words[0] not in COMMAND_NAMES:
        return False
    return len(words) >= 3 or (len(words) == 2 and re.search(r"[/.=:]", words[1]) is not None)


def untested_commands(page):
    """(line, what) of every command block written on the page and command line in its prose."""
    found, open_fences = [], []  # (fence mark, whether its body is code) of each open fence
    for number, line in enumerate(page.read_text(encoding="utf-8").splitlines(), 1):
        match = CODE_FENCE.match(line.strip())
        info = match["info"].strip() if match else ""
        if match and not info and open_fences and match.group(1).startswith(open_fences[-1][0]):
            open_fences.pop()
            continue
        if open_fences and open_fences[-1][1]:
            continue
        if match:
            words = re.sub(r"[{}]", " ", info).split()
            if words[:1] in (["code-block"], ["code"], ["sourcecode"]):
                words = words[1:]
            if words and words[0].lower() in SHELL_LANGUAGES:
                found.append((number, f"a {words[0]} block written on the page"))
            # A directive's body is prose (a modern note), a code block's is not.
            open_fences.append((match.group(1), not info.startswith("{")))
            continue
        spans = INLINE_CODE.findall(line)
        found += [(number, f"`{s}` in prose") for s in spans if is_command_line(s)]
    return found


def test_every_command_is_in_a_tested_file():
    """Command blocks are literalincludes of transcripts; prose names commands, never spells
    out a command line (CONTRIBUTING.md, "终端会话")."""
    problems = [
        f"{where(page, line)}: {what}" for page in PAGES for line, what in untested_commands(page)
    ]
    assert not problems, "move these commands into a transcript and include it"


def test_command_lines_in_prose_are_found():
    assert is_command_line("python examples/ch01/hello.py --port=8000")
    assert is_command_line("nox -s docs")
    assert is_command_line("sudo -u postgres createdb book")
    assert is_command_line(". .venv/bin/activate")
    assert not is_command_line("curl")
    assert not is_command_line("curl -I")
    assert not is_command_line("pip install")
    assert not is_command_line("Listening on http://localhost:8000/")
