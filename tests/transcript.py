"""Terminal transcripts: `examples/**/*.console` files that the book shows and the tests replay.

A transcript is a list of `$ command` lines, each followed by the output it prints. `curl`
commands talk to `localhost:8000`; while replaying, the example the file is named after
(`hello.console` and `hello.errors.console` belong to `hello.py`) runs on a free port instead.
`python` means the interpreter running the tests. A `Date:` header matches any date, and
`Server: TornadoServer/6.6.1` any Tornado version, so that `nox -s matrix` can replay the book's
transcripts on every Tornado it tests (tests/test_version_matrix.py checks that the files show
the pinned version).
A program listed in UPSTREAMS calls another example that the book has the reader start first in
another terminal; that one runs on a free port too, and the program is given its `--upstream`.
The book starts such an upstream on port 8001, so its own transcripts `curl localhost:8001`.

To (re)write the outputs after changing an example: python -m tests.transcript FILE...
"""

import contextlib
import re
import subprocess
import sys
from pathlib import Path

from conftest import EXAMPLES, ROOT, run_example

PROMPT = "$ "
BOOK_PORT = 8000
VOLATILE = re.compile(r"^(Date): .*$", re.MULTILINE)
UPSTREAMS = {"porting/departures.py": "porting/rail.py"}
UPSTREAM_PORT = 8001
SERVER_VERSION = re.compile(r"^(Server: TornadoServer)/\S+$", re.MULTILINE)


def parse(path):
    """[(command, expected output)] of one transcript file."""
    steps = []
    for line in Path(path).read_text(encoding="utf-8").splitlines(keepends=True):
        if line.startswith(PROMPT):
            steps.append([line[len(PROMPT) :].strip(), ""])
        elif steps:
            steps[-1][1] += line
        elif line.strip():
            raise ValueError(f"{path}: output before the first '{PROMPT}' line: {line!r}")
    return [tuple(step) for step in steps]


def program_for(path):
    path = Path(path)
    return path.with_name(path.name.split(".")[0] + ".py").relative_to(EXAMPLES).as_posix()


def needs_server(steps):
    return any(command.startswith("curl ") for command, _ in steps)


@contextlib.contextmanager
def serving(program):
    """Run the example, and first the upstream service it calls, if it has one."""
    with contextlib.ExitStack() as stack:
        args = []
        if program in UPSTREAMS:
            upstream = stack.enter_context(run_example(UPSTREAMS[program]))
            args.append(f"--upstream=http://127.0.0.1:{upstream.port}")
        yield stack.enter_context(run_example(program, *args))


def book_port(program):
    return UPSTREAM_PORT if program in UPSTREAMS.values() else BOOK_PORT


def run(command, port, book=BOOK_PORT):
    command = command.replace(f"localhost:{book}", f"localhost:{port}")
    if command.startswith("python "):
        command = f'"{sys.executable}" {command[len("python ") :]}'
    done = subprocess.run(
        command, shell=True, cwd=ROOT, capture_output=True, text=True, timeout=30, check=False
    )
    return normalize(done.stdout + done.stderr, port, book)


def normalize(output, port=BOOK_PORT, book=BOOK_PORT):
    output = output.replace("\r\n", "\n").replace(f"localhost:{port}", f"localhost:{book}")
    return "\n".join(line.rstrip() for line in output.rstrip().splitlines())


def comparable(output):
    return SERVER_VERSION.sub(r"\1/*", VOLATILE.sub(r"\1: *", normalize(output)))


def replay(path):
    """Yield (command, expected, actual) for every step, running the example if curl needs it."""
    steps = parse(path)
    if needs_server(steps):
        program = program_for(path)
        with serving(program) as server:
            for command, expected in steps:
                yield command, expected, run(command, server.port, book_port(program))
    else:
        for command, expected in steps:
            yield command, expected, run(command, BOOK_PORT)


def update(path):
    text = "".join(f"{PROMPT}{command}\n{actual}\n" for command, _, actual in replay(path))
    Path(path).write_text(text, encoding="utf-8")


if __name__ == "__main__":
    for name in sys.argv[1:]:
        update(Path(name).resolve())
        print(f"updated {name}")
