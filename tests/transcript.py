"""Terminal transcripts: `examples/**/*.console` files that the book shows and the tests replay.

Every command block in the book is one of these files (CONTRIBUTING.md, "终端会话", has the
rules). A transcript is a list of `$ command` lines, each followed by the output it prints.

- `<program>.console`, `<program>.<topic>.console` belong to `<program>.py`. Their `curl`
  commands talk to `localhost:8000`; while replaying, the program runs on a free port instead.
  If the transcript itself starts it (`$ python examples/chNN/<program>.py --port=8000`, the
  "start" transcripts the book shows before the curl ones), that command is the one that runs.
- `<name>.steps.console` are setup steps that belong to no program. They run in a scratch
  directory that holds the repository's files (links to them), one command after another in
  bash, so `cd`, `export` and `source .venv/bin/activate` carry over to the next command.
  A plain assignment (`D=$(mktemp -d)`) would not: a command that only assigns is refused,
  so that a transcript `export`s what a later command reads (as `envsubst` needs anyway).
  A file listed in SERVICES runs with the service it needs (a throwaway PostgreSQL cluster,
  or a TMPDIR of its own for `mktemp -d`, removed afterwards; ch04's cleanup removes the files
  the page's programs left in that TMPDIR, not the machine's; in a page's replay, the photos
  ch02's upload.py keeps go to such a TMPDIR too). `service NAME stop` is checked,
  not run, as `service NAME start` is.
  A file listed in PORTS names the ports its programs listen on that are not examples' `--port`
  (nginx's, Redis's, a range of ports a config fills in): each such number in a command is
  replaced by a free port, and back in the output; a run of consecutive ports stays
  consecutive. An example started with `--port=N` for such an N listens on that free port,
  and a file listed in PORTED (a config that names those ports, such as ch07's local.toml)
  is read from a copy in which they are replaced the same way.
  The scratch directory holds no file that git ignores: a reader's own `cookie-keys.txt` in
  the repository root is neither used nor overwritten.

In every transcript:
- A command that runs an example with `--port=N` starts it "in another terminal" (Python's
  `-W`, `-X` options may come first: `python -W error::DeprecationWarning examples/...`): it runs in
  the background on a free port until the transcript ends, and its output is what it has
  printed once it listens (its banner), or, if it exits instead, everything it printed. Later
  commands that name `localhost:N` or `127.0.0.1:N` reach it there; its output shows N again.
  A program in UPSTREAMS started this way is given `--upstream` pointing at its upstream if
  the transcript started that on the port the book gives it (8001), and otherwise at a port
  where nothing listens: the reader who has not started the upstream.
- A command ending in a comment `# terminal N` is typed into terminal N, one of several the
  page asks the reader to open. Unless it starts an example, it runs in the background: the
  next command is typed once it has exited or has run for SETTLE seconds, whichever is first
  (a command that waits, such as a long poll, keeps waiting meanwhile; so does a server such
  as nginx run in the foreground). Its output is what it printed when it exited, or as soon
  as that is the output shown; the replay waits for either, at most LINGER seconds, before
  the transcript ends or terminal N gets its next command.
- `python -m asyncio` is an interactive session: its expected output holds the lines the reader
  types after the `>>> ` and `... ` prompts, which the replay feeds to it (stdin a pipe, stderr
  with the prompts merged into stdout) and puts back after each prompt, as a terminal shows them.
  The banner's first line (`asyncio REPL 3.11.7 (main, ...) [GCC ...] on linux`) matches any
  Python's, and the `>>> import asyncio` that the REPL prints itself is not typed. In a session
  a `...` line is the empty line that ends a block (like any `...`, it matches any lines: Python
  3.13's basic asyncio REPL runs a one-line block at once, cpython#140013, and cannot read a
  block of several lines, so keep blocks to one line), and a `>>>` with nothing after it is the
  reader's Ctrl+D, which ends the session with `exiting asyncio REPL...`.
- `python` and `python3` mean the interpreter running the tests, and its directory comes first
  on PATH, as a reader's activated virtual environment does (`supervisord`, `command -v python`).
- Commands that change the machine or need the network (`pip install`, `apt-get install`,
  `apt-get update`, `service ... start`, `nox ...`) are not run but checked (CHECKS): that the
  file exists, the version is the pinned one, the package is installed here, the session exists
  (`apt-get update`, that apt-get is there). They print
  nothing; show what they print as `...`. A check that finds a problem fails the replay
  whatever output is shown under the command, `...` included.
  So are the systemd commands (no systemd runs here):
  `systemctl VERB UNIT...` and `journalctl -u UNIT` name a unit this machine has or a template
  the repository ships (`tornado-book@8001` needs examples/**/tornado-book@.service), and
  `cp FILE /etc/systemd/system/` copies a unit file that exists and that systemd-analyze accepts.
  `useradd` (a service's own user) must create a `--system` user with `--no-create-home`,
  a `--shell` and a valid name.
  `git clone URL [DIR]` must name the book's repository (pyproject.toml's [project.urls]
  Repository; no network is used); the scratch directory stands for the clone, with a link DIR
  in it leading back to it, so the `cd DIR` after it works.
- A page's replay needs the programs its commands run (programs(): each command of a pipeline
  or list, after `sudo`/`runuser` and assignments; not builtins, not `python`, nothing for a
  checked command): without one it is skipped, naming it and its Debian package (failed under CI).
- A line `...` in the expected output stands for any number of lines. A `Date:` header matches
  any date, `Content-Length:` any length (the body is compared itself), and in
  `Server: TornadoServer/6.6.1` and a line that is only a version number any version,
  so that `nox -s matrix` can replay the transcripts on every Tornado it tests
  (tests/test_version_matrix.py checks that the files show the pinned version). A process id
  (`pid 4101`, `Process 4101`, `"pid": 4101`, `"published_by": 4101`) matches any process id,
  supervisorctl's `uptime 0:00:02` any uptime, and a test run's time (pytest's `3 passed in
  1.52s`, unittest's `Ran 3 tests in 0.341s`) any time. Columns padded with two or more spaces
  match however wide the padding is (a free port has more digits than the book's 8001).
  A folder that a program made with `tempfile.mkdtemp(prefix="tornado-book-...-")`
  (`/tmp/tornado-book-depot-k2x9q1ab`) matches that folder in any TMPDIR, whatever its
  eight random characters.

A program listed in UPSTREAMS calls another example that the book has the reader start first in
another terminal; that one runs on a free port too, and the program is given its `--upstream`.
The book starts such an upstream on port 8001, so its own transcripts `curl localhost:8001`.

The test replays each page's transcripts in the order the page includes them (replay_page):
nothing is started for a transcript, a server runs until the prose says {ctrl-c}`N`, and all of
them share one scratch directory, as for a reader typing the page from top to bottom. A book port
stands for the same free port all along: a program started again on it after a {ctrl-c} is the
one that a program started earlier with its `--upstream` reaches, as for the reader.

To (re)write the outputs after changing an example: python -m tests.transcript FILE... (one
transcript on its own) or python -m tests.transcript docs/PAGE.md (a page, in order)
(outputs that still match, `...` included, are kept as written).
"""

import ast
import contextlib
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path

from tests.support import EXAMPLES, ROOT, free_port, postgresql_cluster, run_example, wait_for_port

PROMPT = "$ "
BOOK_PORT = 8000
ELIDED = "..."
# What a checked command "prints" when its check finds a problem: it matches no output shown.
REFUSED = "NOT AS THE PROJECT SUPPORTS: "
STEPS = ".steps.console"
# Content-Length too: a body that names a port (an Origin echoed back) is longer by the digits
# the free port has more than the book's; the body itself is compared.
VOLATILE = re.compile(r"^(Date|Content-Length): .*$", re.MULTILINE)
UPSTREAMS = {  # a program: the example it calls, which the book starts on UPSTREAM_PORT
    "porting/departures.py": "porting/rail.py",
    "ch05/forecast.py": "ch05/upstream.py",
    "ch05/forecast_blocking.py": "ch05/upstream.py",
    "ch05/trip_board.py": "ch05/upstream.py",
    "ch09/club.py": "ch05/upstream.py",
}
UPSTREAM_PORT = 8001
SERVER_VERSION = re.compile(r"^(Server: TornadoServer)/\S+$", re.MULTILINE)
VERSION_LINE = re.compile(r"^\d+\.\d+(\.\d+)?$", re.MULTILINE)
COMMENT = re.compile(r"\s+#.*$")
PROCESS_ID = re.compile(r'(\bpid |\bPid: |"pid": |"published_by": |^Process )\d+', re.MULTILINE)
UPTIME = re.compile(r"\b(uptime )(?:\d+ days?, )?\d+:\d\d:\d\d")
DURATION = re.compile(r"\b(in )\d+(?:\.\d+)?s\b(?: \(\d+:\d\d:\d\d\))?")  # pytest's, unittest's
# A folder tempfile.mkdtemp(prefix="tornado-book-...-") made, in whatever TMPDIR the replay gives
TEMP_FOLDER = re.compile(r"(?:/[^/\s]+)+/(tornado-book-[a-z]+(?:-[a-z]+)*-)[a-z0-9_]{8}\b")
PADDING = re.compile(r"(?<=\S) {2,}(?=\S)")  # between columns: a free port is wider than 8001
START = re.compile(
    r"^python3?(?: -[WX] ?\S+)* examples/(?P<program>\S+\.py)\b.*\s--port=(?P<port>\d{1,5})(?!\S)"
)
TERMINAL = re.compile(r"\s+#\s*terminal (?P<number>\d+)\b[^#]*$")
# LINGER is generous: CI replays the pages while the rest of the suite keeps every core busy, and
# chapter 10 counts primes in the background: two counts one after the other, under coverage, on
# a loaded machine (15 s was not enough there once, nor 60 s later). A replay that matches never
# waits for it.
SETTLE, LINGER = 1.0, 180.0
# A command that only sets shell variables (`X=1`, `D=$(mktemp -d)`): the replay keeps no such
# variable for the next command, so transcripts `export` them.
ASSIGNMENTS = re.compile(r"""(?:[A-Za-z_]\w*=(?:"[^"]*"|'[^']*'|\$\([^)]*\)|[^\s;&|'"]*)\s*)+""")
POSTGRES_PORT = 5432
REPL = re.compile(r"python3? -m asyncio")
REPL_PROMPTS = (">>> ", "... ")
REPL_BANNER_END = ">>> import asyncio\n"  # printed by the asyncio REPL itself, not typed
REPL_BANNER = re.compile(r"^(asyncio REPL) \d.*$", re.MULTILINE)  # Python's version and build


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


def is_steps(path):
    return Path(path).name.endswith(STEPS)


def program_for(path):
    path = Path(path)
    return path.with_name(path.name.split(".")[0] + ".py").relative_to(EXAMPLES).as_posix()


def book_port(program):
    return UPSTREAM_PORT if program in UPSTREAMS.values() else BOOK_PORT


def starts(command):
    """The (program, book port) a command starts as a server, or None."""
    match = START.match(COMMENT.sub("", command))
    if match and 0 < int(match["port"]) < 65536:
        return match["program"], int(match["port"])
    return None


# Checked, not run -----------------------------------------------------------------------------


def pinned(name):
    """The version requirements/constraints.txt pins a package to, or None."""
    constraints = (ROOT / "requirements" / "constraints.txt").read_text(encoding="utf-8")
    found = re.search(rf"^{re.escape(name)}==(\S+)", constraints, re.MULTILINE | re.IGNORECASE)
    return found and found[1]


def check_requirements(cwd, file):
    path = Path(cwd) / file
    if not path.is_file():
        return f"{file} does not exist"
    if f"tornado=={pinned('tornado')}" not in path.read_text(encoding="utf-8"):
        return f"{file} does not pin tornado=={pinned('tornado')}"
    return None


def check_pins(cwd, specs):
    noxfile = (ROOT / "noxfile.py").read_text(encoding="utf-8")
    for spec in shlex.split(specs):
        name, _, version = spec.partition("==")
        name, _, extra = name.partition("[")
        if version and version != pinned(name):
            return f"{spec}: the project pins {name}=={pinned(name)}"
        if not version and not (name == "nox" and "import nox" in noxfile):
            return f"{spec}: not a version the project pins, nor the tool noxfile.py uses"
        if extra and extra.rstrip("]") not in noxfile:
            return f"{spec}: noxfile.py does not use {extra.rstrip(']')}"
    return None


def nox_sessions():
    sessions = set()
    for node in ast.parse((ROOT / "noxfile.py").read_text(encoding="utf-8")).body:
        for decorator in getattr(node, "decorator_list", []):
            text = ast.unparse(decorator)
            if text.startswith("nox.session"):
                named = re.search(r"name=['\"]([\w-]+)", text)
                sessions.add(named[1] if named else node.name)
    return sessions


def check_nox(cwd, args):
    words = shlex.split(args)
    split = words.index("--") if "--" in words else len(words)
    own, extra = words[:split], words[split + 1 :]
    if own in (["-l"], ["--list"]):
        return None
    if own[:1] != ["-s"] or len(own) < 2:
        return f"nox {args}: use nox -l or nox -s SESSION"
    unknown = set(own[1:]) - nox_sessions()
    if unknown:
        return f"noxfile.py has no session {sorted(unknown)}"
    noxfile = (ROOT / "noxfile.py").read_text(encoding="utf-8")
    options = [w for w in extra if w.startswith("--") and f'"{w}"' not in noxfile]
    return f"noxfile.py knows no option {options}" if options else None


def check_debian(cwd, packages):
    if not shutil.which("dpkg-query"):
        return None  # not Debian: nothing to check against
    for package in packages.split():
        done = subprocess.run(
            ["dpkg-query", "-W", "-f=${Status}", package], capture_output=True, text=True
        )
        if "installed" not in done.stdout.split():
            return f"Debian package {package} is not installed here (or has no such name)"
    return None


def check_apt_update(cwd):
    """`apt-get update` only refreshes the package lists: here, that apt-get is there (Debian)."""
    if shutil.which("dpkg-query") and not shutil.which("apt-get"):
        return "dpkg is here but apt-get is not"
    return None


def check_service(cwd, service):
    script = Path("/etc/init.d") / service
    return None if script.is_file() else f"{script} does not exist"


SYSTEMD_DIRS = [Path("/etc/systemd/system"), Path("/lib/systemd/system")]


def unit_problem(unit):
    """Why systemd could not know this unit, or None: one this machine has, or a template
    the repository ships (`tornado-book@8001` or `tornado-book@*`: tornado-book@.service)."""
    name = unit if re.search(r"\.(service|socket|timer|target)$", unit) else f"{unit}.service"
    prefix, at, instance = name.partition("@")
    if at:
        template = f"{prefix}@.service"
        installed = any((d / template).is_file() for d in SYSTEMD_DIRS)
        shipped = installed or any(EXAMPLES.rglob(template))
        return None if shipped and instance != ".service" else f"no template {template} for {unit}"
    return None if any((d / name).is_file() for d in SYSTEMD_DIRS) else f"no unit {name} here"


def check_systemctl(cwd, args):
    words = [w for w in shlex.split(args) if not w.startswith("-")]
    verbs = {"start", "stop", "restart", "reload", "status", "enable", "disable", "is-active"}
    if words == ["daemon-reload"]:
        return None
    if len(words) < 2 or words[0] not in verbs:
        return f"systemctl {args}: not a verb the book uses, or no unit"
    return next(filter(None, map(unit_problem, words[1:])), None)


def check_journalctl(cwd, args):
    words = shlex.split(args)
    units = [words[i + 1] for i, w in enumerate(words[:-1]) if w == "-u"]
    return next(filter(None, map(unit_problem, units)), None) if units else "journalctl: no -u UNIT"


def check_unit_copy(cwd, file):
    path = Path(cwd) / file
    if not path.is_file():
        return f"{file} does not exist"
    return None if any(EXAMPLES.rglob(path.name)) else f"{path.name} is not a unit the book ships"


def check_useradd(cwd, args):
    """A system user for a service (ch08): --system, no home, no shell, a valid name."""
    words = shlex.split(args)
    if not {"--system", "--no-create-home"} <= set(words) or "--shell" not in words:
        return f"useradd {args}: the book creates a --system user with no home and no shell"
    valid = re.fullmatch(r"[a-z_][a-z0-9_-]{0,31}", words[-1])
    return None if valid else f"useradd: {words[-1]!r} is not a valid user name"


def repository():
    """The URL the book is cloned from: pyproject.toml's [project.urls] Repository."""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return pyproject["project"]["urls"]["Repository"]


def check_clone(cwd, url, directory=None):
    """`git clone URL [DIR]`: the URL must be the book's own (no network is used). The scratch
    directory stands for the clone: a link DIR in it leads back to it, for the `cd DIR` after."""
    if url.removesuffix(".git") != repository().removesuffix(".git"):
        return f"{url} is not the repository pyproject.toml names ({repository()})"
    name = directory or url.removesuffix(".git").rstrip("/").rsplit("/", 1)[-1]
    link = Path(cwd) / name
    if Path(cwd).resolve() != ROOT and not link.exists():  # never a link in the repository
        link.symlink_to(".")
    return None


CHECKS = [
    (re.compile(r"(?:python3? -m )?pip install -r (?P<file>\S+)"), check_requirements),
    (re.compile(r"(?:python3? -m )?pip install (?P<specs>[^-].*)"), check_pins),
    (re.compile(r"nox (?P<args>.+)"), check_nox),
    (re.compile(r"(?:sudo )?apt-get install (?P<packages>[\w.+ -]+)"), check_debian),
    (re.compile(r"(?:sudo )?apt-get update"), check_apt_update),
    (re.compile(r"(?:sudo )?service (?P<service>[\w-]+) (?:start|stop)"), check_service),
    (re.compile(r"(?:sudo )?systemctl (?P<args>.+)"), check_systemctl),
    (re.compile(r"(?:sudo )?journalctl (?P<args>.+)"), check_journalctl),
    (re.compile(r"(?:sudo )?cp (?P<file>\S+\.service) /etc/systemd/system/?"), check_unit_copy),
    (re.compile(r"(?:sudo )?useradd (?P<args>.+)"), check_useradd),
    (re.compile(r"git clone (?P<url>\S+)(?: (?P<directory>[\w.-]+))?"), check_clone),
]


def checked(command, cwd, env=None):
    """The output of a command that is checked instead of run, or None to run it."""
    command = COMMENT.sub("", command)
    if env:  # $NAME and ${NAME} as the shell would expand them
        command = re.sub(r"\$(?:(\w+)|\{(\w+)\})", lambda m: env.get(m[1] or m[2], ""), command)
    for pattern, check in CHECKS:
        match = pattern.fullmatch(command)
        if match:
            problem = check(cwd, **match.groupdict())
            return f"{REFUSED}{problem}" if problem else ""
    return None


SEPARATORS = {"|", "||", "&&", ";", "&", "|&", "("}  # after one of these a command starts
KEYWORDS = {"do", "then", "else", "!", "{", "time"}  # ... and after one of these
SHELL = {
    "cd",
    "export",
    "source",
    ".",
    "unset",
    "echo",
    "printf",
    "umask",
    "kill",
    "exit",
    "set",
    "test",
    "[",
    "true",
    "false",
    "for",
    "while",
    "if",
    "done",
    "fi",
    "command",
}
RUN_AS = {"sudo", "runuser"}  # their options (-u USER, --) come before the program they run


def programs(command):
    """The programs a command line runs, each command of its pipelines and lists, shell
    builtins and `python` left out; a command that is checked instead of run runs none."""
    if any(pattern.fullmatch(COMMENT.sub("", command)) for pattern, _ in CHECKS):
        return []
    lexer = shlex.shlex(command, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    found, expect, words = [], True, list(lexer)
    while words:
        word = words.pop(0)
        if word in SEPARATORS or (expect and word in KEYWORDS):
            expect = True
        elif not expect or re.fullmatch(r"[A-Za-z_]\w*=.*", word):
            continue  # an argument, or an assignment before the command
        elif word in RUN_AS:
            while words and words[0].startswith("-"):
                option = words.pop(0)
                if option == "-u" and words:
                    words.pop(0)
        else:
            expect = False
            if word not in SHELL and not re.fullmatch(r"python3?", word):
                found.append(word)
    return found


def page_programs(page):
    """Every program that a page's transcripts run, in the order they first appear."""
    return list(
        dict.fromkeys(
            program
            for _, path in page_transcripts(page)
            for command, _ in parse(path)
            for program in programs(command)
        )
    )


# Services that setup steps need ---------------------------------------------------------------


@contextlib.contextmanager
def postgresql():
    """A throwaway cluster that, like Debian's, wants a password over TCP (scram-sha-256).

    The book's `127.0.0.1:5432` goes to its port; psql and createdb reach it through PGHOST and
    PGPORT; `sudo -u postgres` runs as the postgres user (without sudo: runuser as root, as is).
    """
    with postgresql_cluster(host_auth="scram-sha-256") as (port, socket_dir):
        as_postgres = "runuser -u postgres -- " if os.geteuid() == 0 else ""
        yield {
            "env": {"PGHOST": str(socket_dir), "PGPORT": str(port), "PGUSER": "postgres"},
            "replace": [
                (f"127.0.0.1:{POSTGRES_PORT}", f"127.0.0.1:{port}"),
                ("sudo -u postgres ", as_postgres),
                ("runuser -u postgres -- ", as_postgres),
            ],
        }


def unused_port(taken, count=1):
    """A free port (the first of `count` in a row) that is not one of those already handed out:
    a port handed out for a server not started yet is still free when the next is chosen."""
    while True:
        first = free_port(count)
        if taken.isdisjoint(range(first, first + count)):
            return first


def free_ports(book_ports):
    """{book port: free port} for the ports a transcript names, consecutive runs kept."""
    found, ports = {}, sorted(set(book_ports))
    while ports:
        run = 1
        while run < len(ports) and ports[run] == ports[0] + run:
            run += 1
        first = unused_port(set(found.values()), run)
        found.update({ports[i]: first + i for i in range(run)})
        ports = ports[run:]
    return found


@contextlib.contextmanager
def private_tmp():
    """A TMPDIR for steps that `mktemp -d`: removed when the transcript ends."""
    with tempfile.TemporaryDirectory(prefix="book-tmp-") as tmp:
        yield {"env": {"TMPDIR": tmp}}


SERVICES = {  # "chNN/name.console": what it runs with (a context manager: env, replace)
    "ch02/upload.console": private_tmp,  # the photos it keeps go to a TMPDIR of its own
    "ch04/postgresql.steps.console": postgresql,
    "ch04/postgresql.root.steps.console": postgresql,
    "ch04/cleanup.steps.console": private_tmp,  # removes the SQLite files the page left in TMPDIR
    "ch06/sessions.steps.console": private_tmp,  # its default SQLite file goes to that TMPDIR
    "ch08/nginx.steps.console": private_tmp,
    "ch08/nginx-tls.steps.console": private_tmp,
    "ch09/testing-postgresql.steps.console": postgresql,
    "ch10/depot.start.console": private_tmp,  # the files it keeps go to a TMPDIR of its own
}
NGINX_PORTS = (8001, 8002, 8003, 8004, 8080)  # ch08: four whoami.py, nginx's HTTP port
PORTS = {  # "chNN/name.console": the ports it names that are not an example's --port
    "ch05/fake_upstream.steps.console": (8001,),  # python -m http.server as the upstream
    "ch07/sign-in.steps.console": (8000, 9000),
    "ch08/whoami.reuse-port.console": (8000,),
    "ch08/forked.stop.console": (8000,),
    "ch08/nginx.steps.console": NGINX_PORTS,
    "ch08/nginx.run.steps.console": NGINX_PORTS,
    "ch08/nginx-tls.steps.console": (*NGINX_PORTS, 8443),
    "ch08/supervisord.steps.console": (8001, 8002, 8003, 8004),
    "ch08/rolling-restart.steps.console": NGINX_PORTS,
    "ch08/live.console": (6379,),
    "ch08/whoami.trace.console": (8000,),
    "porting/forked.steps.console": (8000,),
    "ch11/proxy.steps.console": (8889,),  # tinyproxy (the packaged service takes 8888)
}
PORTED = {"ch07/sign-in.steps.console": ("examples/ch07/local.toml",)}  # files naming PORTS
PORTED["ch11/proxy.steps.console"] = ("examples/ch11/tinyproxy.conf",)


# Replaying ------------------------------------------------------------------------------------


def swap_address_ports(text, ports):
    """`localhost:A` and `127.0.0.1:A` written with B instead, for each A: B in `ports`."""
    for old, new in ports.items():
        text = re.sub(rf"\b(localhost|127\.0\.0\.1):{old}(?!\d)", rf"\g<1>:{new}", text)
    return text


def swap_numbers(text, ports):
    """Every number A written as B instead, for each A: B in `ports` (the PORTS numbers)."""
    for old, new in ports.items():
        text = re.sub(rf"(?<![\d.]){old}(?![\d.])", str(new), text)
    return text


def normalize(output, ports=None):
    """Output with CRLF, trailing blanks and the real ports (`{real: book}`) undone."""
    output = swap_address_ports(output.replace("\r\n", "\n"), ports or {})
    return "\n".join(line.rstrip() for line in output.rstrip().splitlines())


def comparable(output):
    output = REPL_BANNER.sub(r"\1 *", VOLATILE.sub(r"\1: *", normalize(output)))
    output = PADDING.sub("  ", UPTIME.sub(r"\1*", PROCESS_ID.sub(r"\1*", output)))
    output = DURATION.sub(r"\1*s", output)
    output = TEMP_FOLDER.sub(r"/tmp/\1*", output)
    return VERSION_LINE.sub("<version>", SERVER_VERSION.sub(r"\1/*", output))


def matches(expected, actual):
    """Whether the output is the one shown; a line `...` shown stands for any lines, but not
    for a check's refusal (REFUSED): a checked command that fails its check never matches."""
    if actual.startswith(REFUSED):
        return False
    expected, actual = comparable(expected), comparable(actual)
    pattern = "".join(
        r"(?:.*\n)*?" if line == ELIDED else re.escape(line) + r"\n"
        for line in expected.splitlines()
    )
    return re.fullmatch(pattern, actual + "\n" if actual else "") is not None


def repl_inputs(expected):
    """The lines a reader types into a `python -m asyncio` session shown as `expected`."""
    lines = expected.splitlines()
    if REPL_BANNER_END.strip() in lines:
        lines = lines[lines.index(REPL_BANNER_END.strip()) + 1 :]
    typed = []
    for line in lines:
        if line.rstrip() == ">>>":  # Ctrl+D
            break
        if line.rstrip() == ELIDED or line.startswith(REPL_PROMPTS):
            typed.append(line[len(REPL_PROMPTS[0]) :])
    return typed


def repl_screen(printed, typed):
    """What a terminal shows: the REPL's output with each typed line after the prompt it
    answered (from a pipe the REPL echoes nothing; each prompt reads one line)."""
    head, banner_end, rest = printed.partition(REPL_BANNER_END)
    screen, typed = [head + banner_end] if banner_end else [], list(typed)
    rest = rest if banner_end else printed
    while rest:
        if rest[:4] in REPL_PROMPTS:
            screen.append(rest[:4] + (typed.pop(0) + "\n" if typed else ""))  # else Ctrl+D
            rest = rest[4:]
        else:
            line, newline, rest = rest.partition("\n")
            screen.append(line + newline)
    return "".join(screen)


def ignored_by_git():
    """Names in the repository root that git ignores (a reader's cookie-keys.txt, key.pem)."""
    with contextlib.suppress(OSError):
        done = subprocess.run(
            ["git", "ls-files", "--others", "--ignored", "--exclude-standard", "--directory"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )
        return {n.rstrip("/") for n in done.stdout.splitlines() if "/" not in n.rstrip("/")}
    return set()


@contextlib.contextmanager
def scratch_root():
    """A directory holding links to the repository's files, for steps that create some."""
    with tempfile.TemporaryDirectory(prefix="book-steps-") as scratch:
        os.chmod(scratch, 0o755)  # `sudo -u postgres psql` must be able to stand in it
        skipped = {".git", ".nox", ".venv"} | ignored_by_git()
        for entry in ROOT.iterdir():
            if entry.name not in skipped:
                (Path(scratch) / entry.name).symlink_to(entry)
        yield Path(scratch)


class Replay:
    """One transcript's terminals: working directory, environment, and what runs meanwhile."""

    def __init__(self, stack, cwd, env=None, replace=(), legacy=None):
        self.stack, self.cwd = stack, Path(cwd)
        self.legacy = legacy or {}  # a program: (interpreter, old program, Python options)
        self.env = {**os.environ, **(env or {})}
        self.env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]])
        self.replace = list(replace)
        self.ports = {}  # book port: the free port an example started with --port stands for
        self.numbers = {}  # book port: the free port it stands for wherever it is written (PORTS)
        self.terminals = {}  # terminal number: the Background command typed into it last
        self.running = []  # (command as shown, process, book port or None) of what runs meanwhile

    def serve(self, port, book=BOOK_PORT):
        self.ports[book] = port

    def command_for_test(self, command):
        for shown, real in self.replace:
            command = command.replace(shown, real)
        command = swap_numbers(swap_address_ports(command, self.ports), self.numbers)
        command = re.sub(r"^python3? ", f'"{sys.executable}" ', command)
        for program, (python, old, options) in self.legacy.items():
            if command.startswith('"') and program_named(command, program):
                command = as_legacy(command, program, python, old, options)
        return command

    def output(self, text):
        text = swap_numbers(text, {real: book for book, real in self.numbers.items()})
        return normalize(text, {real: book for book, real in self.ports.items()})

    def use_ports(self, names):
        """Free ports for the PORTS numbers of these transcripts, and copies of the files
        they read (PORTED) with those numbers replaced."""
        self.numbers = free_ports(port for name in names for port in PORTS.get(name, ()))
        for file in dict.fromkeys(f for name in names for f in PORTED.get(name, ())):
            copy = self.cwd / ".ported" / file
            copy.parent.mkdir(parents=True, exist_ok=True)
            copy.write_text(swap_numbers((ROOT / file).read_text(encoding="utf-8"), self.numbers))
            self.replace.append((file, f".ported/{file}"))

    def run(self, command, expected=""):
        """What the command prints: a string, or a Background whose output comes later."""
        found = checked(command, self.cwd, self.env)
        if found is not None:
            return found
        if ASSIGNMENTS.fullmatch(COMMENT.sub("", command)):
            return f"{REFUSED}only exported variables reach the next command"
        server = starts(command)
        if server:
            return self.start(command, *server, expected)
        terminal = TERMINAL.search(command)
        if terminal:
            return self.background(command, int(terminal["number"]), expected)
        if REPL.fullmatch(COMMENT.sub("", command)):
            return self.repl(command, expected)
        with tempfile.TemporaryDirectory() as scratch:
            state = Path(scratch)
            script = 'eval "$1"; status=$?; pwd > "$2"; env -0 > "$3"; exit $status'
            done = subprocess.run(
                [
                    "bash",
                    "-c",
                    script,
                    "bash",
                    self.command_for_test(command),
                    state / "cwd",
                    state / "env",
                ],
                cwd=self.cwd,
                env=self.env,
                capture_output=True,
                text=True,
                timeout=60,
            )
            if (state / "cwd").is_file():
                self.cwd = Path((state / "cwd").read_text().strip())
                pairs = (state / "env").read_text().split("\0")
                self.env = dict(p.split("=", 1) for p in pairs if "=" in p)
        return self.output(done.stdout + done.stderr)

    def repl(self, command, expected):
        """A `python -m asyncio` session: the lines shown after its prompts, typed in."""
        typed = repl_inputs(expected)
        done = subprocess.run(
            ["bash", "-c", self.command_for_test(COMMENT.sub("", command))],
            input="".join(f"{line}\n" for line in typed),
            cwd=self.cwd,
            text=True,
            timeout=60,
            env={**self.env, "PYTHONUNBUFFERED": "1", "TERM": "dumb", "PYTHON_BASIC_REPL": "1"},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        return self.output(repl_screen(done.stdout, typed))

    def launch(self, command, shown, book=None):
        """Run a shell command in the background, its output going to a file: (process, log)."""
        log = Path(self.stack.enter_context(tempfile.TemporaryDirectory())) / "output.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                ["bash", "-c", command],
                cwd=self.cwd,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.stack.callback(stop, process)
        self.running.append((shown, process, book))
        return process, log

    def taken(self):
        """The real ports handed out so far, started or not."""
        return {*self.ports.values(), *self.numbers.values()}

    def holding(self, book):
        """Whether an example started earlier still runs on this book port."""
        return any(b == book and p.poll() is None for _, p, b in self.running)

    def interrupt(self, what):
        """Ctrl+C in every terminal running a command that shows `what` (a port, a name)."""
        hits = [p for shown, p, _ in self.running if what in shown and p.poll() is None]
        for process in hits:
            stop(process)
        return hits

    def start(self, command, program, book, expected):
        """Start an example as in another terminal; what it printed once it listens."""
        # A book port used before is the same port again: the reader's second start fails with
        # "Address already in use" while the first still runs (unless both use reuse_port), and
        # once it is stopped, a program started meanwhile with --upstream reaches the new one.
        port = self.ports.get(book) or self.numbers.get(book) or unused_port(self.taken())
        real = self.command_for_test(COMMENT.sub("", command))
        real = real.replace(f"--port={book}", f"--port={port}")
        if program in UPSTREAMS and "--upstream" not in command:
            upstream = self.ports.get(UPSTREAM_PORT) or unused_port(self.taken())  # nothing there
            real = f"{real} --upstream=http://127.0.0.1:{upstream}"
        self.serve(port, book)
        process, log = self.launch(real, command, book)
        try:
            wait_for_port(port, process, log)
        except RuntimeError:  # it exited, as a program that refuses to start does: its message
            return self.output(log.read_text(errors="replace"))
        except TimeoutError as error:
            return f"{program} did not start: {error}"
        # It prints its banner just after it starts listening: wait for as many lines as shown.
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            if len(self.output(log.read_text(errors="replace")).splitlines()) >= len(
                expected.strip().splitlines()
            ):
                break
            time.sleep(0.05)
        return self.output(log.read_text(errors="replace"))

    def background(self, command, terminal, expected):
        """Type a command into another terminal: it runs while the transcript goes on."""
        if terminal in self.terminals:
            self.terminals[terminal].finish()  # a terminal runs one command at a time
        process, log = self.launch(self.command_for_test(COMMENT.sub("", command)), command)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(SETTLE)
        self.terminals[terminal] = Background(self, process, log, expected)
        return self.terminals[terminal]


class Background:
    """The output of a command typed into another terminal, read once it is what is shown."""

    def __init__(self, terminal, process, log, expected):
        self.terminal, self.process, self.log, self.expected = terminal, process, log, expected
        self.printed = None

    def finish(self):
        """What it printed once it exited, or printed what is shown (a server may run on)."""
        deadline = time.monotonic() + LINGER
        while self.printed is None:
            exited = self.process.poll() is not None
            text = self.terminal.output(self.log.read_text(errors="replace"))
            if exited or matches(self.expected, text):
                self.printed = text
            elif time.monotonic() > deadline:
                self.printed = f"{text}\n(still running after {LINGER} s)"
            else:
                time.sleep(0.05)
        return self.printed


def stop(process):
    """Ctrl+C in the other terminal: the program and anything it started."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def module_name(program):
    """`porting/tests/test_x.py` as the module `python -m unittest` takes: examples.porting..."""
    return "examples." + program.removesuffix(".py").replace("/", ".")


def program_named(command, program):
    """Whether a command runs `program`, by its path or (python -m) by its module name."""
    return (
        re.search(
            rf"(?<![\w./])(examples/{re.escape(program)}|{re.escape(module_name(program))})(?![\w.])",
            command,
        )
        is not None
    )


def as_legacy(command, program, python, old, options=None):
    """A command that runs `program` (a path or a module name), made to run the old program it
    was ported from on `python` instead; with `options`, these Python options replace the ones
    shown (an old Tornado may warn about itself where the book turns warnings into errors)."""
    if options is not None:
        command = re.sub(r'^("[^"]+")(?: -[WX] ?\S+)*', rf"\1 {shlex.join(options)}", command)
    # PYTHONUNBUFFERED: a Python 2 print reaches a terminal at once, but a pipe only at exit.
    command = re.sub(r'^"[^"]+"', f'PYTHONUNBUFFERED=1 "{python}"', command)
    command = command.replace(f"examples/{program}", f"examples/{old}")
    return command.replace(module_name(program), module_name(old))


def replay(path, legacy=None):
    """Yield (command, expected, actual) for every step, running what the transcript needs.

    `legacy` ({program: (interpreter, old program, Python options or None)}) runs, wherever the
    transcript runs a program of it, the old program it was ported from on that interpreter
    instead (tests/legacy).
    """
    path = Path(path)
    steps = parse(path)
    with contextlib.ExitStack() as stack:
        if is_steps(path):
            cwd = stack.enter_context(scratch_root())
            service = SERVICES.get(path.relative_to(EXAMPLES).as_posix())
            setup = stack.enter_context(service()) if service else {}
            terminal = Replay(stack, cwd, setup.get("env"), setup.get("replace", ()))
        else:
            terminal = Replay(stack, ROOT, legacy=legacy)
            program = program_for(path)
            starts_itself = any((starts(c) or ("",))[0] == program for c, _ in steps)
            if not starts_itself and any(c.startswith("curl ") for c, _ in steps):
                args = []
                if program in UPSTREAMS:
                    upstream = stack.enter_context(run_example(UPSTREAMS[program]))
                    args.append(f"--upstream=http://127.0.0.1:{upstream.port}")
                    terminal.serve(upstream.port, UPSTREAM_PORT)
                server = stack.enter_context(run_example(program, *args))
                terminal.serve(server.port, book_port(program))
        terminal.use_ports([path.relative_to(EXAMPLES).as_posix()])
        done = [(command, expected, terminal.run(command, expected)) for command, expected in steps]
        for command, expected, actual in done:
            yield command, expected, actual if isinstance(actual, str) else actual.finish()


# A page: its transcripts in order, as the reader types them --------------------------------------

INCLUDE = re.compile(r"^`{3,}\{literalinclude\}\s+(?P<path>\S+\.console)\s*$")
CTRL_C = re.compile(r"\{ctrl-c\}`(?P<what>[^`]+)`")


def page_transcripts(page):
    """[(what the prose since the previous one stops with {ctrl-c}, transcript)] of a page."""
    found, stops = [], []
    for line in Path(page).read_text(encoding="utf-8").splitlines():
        include = INCLUDE.match(line.strip())
        if include:
            found.append((stops, (Path(page).parent / include["path"]).resolve()))
            stops = []
        else:
            stops += CTRL_C.findall(line)
    return found


def replay_page(page, legacy=None):
    """Yield (transcript, command, expected, actual) for every command the page shows, in order.

    All of them run in one scratch directory, one after another, with nothing started for them:
    a server runs from the block that starts it until the prose says {ctrl-c}`N` (N: its port,
    or a word of the command that started it) or the page ends, exactly as for the reader.
    `legacy` starts old programs in place of their ports, as replay() does.
    """
    sequence = page_transcripts(page)
    names = [path.relative_to(EXAMPLES).as_posix() for _, path in sequence]
    with contextlib.ExitStack() as stack:
        env, replace = {}, []
        for service in dict.fromkeys(SERVICES[name] for name in names if name in SERVICES):
            setup = stack.enter_context(service())
            env.update(setup.get("env", {}))
            replace += setup.get("replace", [])
        terminal = Replay(stack, stack.enter_context(scratch_root()), env, replace, legacy)
        terminal.use_ports(names)
        for stops, path in sequence:
            for what in stops:
                if not terminal.interrupt(what):
                    yield path, f"{{ctrl-c}}`{what}`", "", f"nothing runs that shows {what!r}"
            terminal.terminals = {}
            done = [(c, e, terminal.run(c, e)) for c, e in parse(path)]
            for command, expected, actual in done:
                actual = actual if isinstance(actual, str) else actual.finish()
                yield path, command, expected, actual


def update(path):
    text = "".join(
        f"{PROMPT}{command}\n{expected if matches(expected, actual) else actual + chr(10)}"
        for command, expected, actual in replay(path)
    )
    Path(path).write_text(text, encoding="utf-8")


def update_page(page):
    """Rewrite the outputs of a page's transcripts from one replay of the page, in order."""
    texts = {}
    for path, command, expected, actual in replay_page(page):
        if command.startswith("{ctrl-c}"):
            raise SystemExit(f"{page}: {actual}")
        shown = expected if matches(expected, actual) else actual + "\n"
        texts[path] = texts.get(path, "") + f"{PROMPT}{command}\n{shown}"
    for path, text in texts.items():
        path.write_text(text, encoding="utf-8")
    return list(texts)


if __name__ == "__main__":
    for name in sys.argv[1:]:
        if name.endswith(".md"):
            for path in update_page(Path(name).resolve()):
                print(f"updated {path.relative_to(ROOT)}")
        else:
            update(Path(name).resolve())
            print(f"updated {name}")
