"""examples/ch08/tornado-book@.service: parsed here, and checked by systemd-analyze if present.

systemd does not run on the machines that test the book, so the unit is never started.
"""

import configparser
import re
import subprocess
import sys

from examples.ch08 import whoami
from tests.ch08_support import CH08, render
from tests.support import ROOT, require_binary
from tests.transcript import checked, parse

UNIT = "tornado-book@.service"


def unit():
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # systemd keys are case-sensitive
    parser.read_string((CH08 / UNIT).read_text(encoding="utf-8"))
    return parser


def test_the_instance_name_is_the_port():
    service = unit()["Service"]
    assert re.fullmatch(
        r'"\$\{PYTHON\}" examples/ch08/whoami\.py --port=%i --grace=(\d+)', service["ExecStart"]
    )
    assert "%i" in unit()["Unit"]["Description"]


def test_restarted_and_stopped_gracefully():
    service = unit()["Service"]
    grace = int(re.search(r"--grace=(\d+)", service["ExecStart"])[1])
    assert service["Restart"] == "always"
    assert service["KillSignal"] == "SIGTERM"
    assert whoami.MAX_WORK < grace < int(service["TimeoutStopSec"])  # whoami.py gives up first
    assert unit()["Install"]["WantedBy"] == "multi-user.target"


def test_systemd_analyze_accepts_an_instance(tmp_path):
    """Even with a space in the interpreter's path: ExecStart quotes it."""
    analyze = require_binary("systemd-analyze", package="systemd")
    python = tmp_path / "my python" / "python"
    python.parent.mkdir()
    python.write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
    python.chmod(0o755)
    instance = render(
        UNIT, tmp_path / "tornado-book@8001.service", USER_NAME="root", BOOK_DIR=ROOT, PYTHON=python
    )
    done = subprocess.run([analyze, "verify", instance], capture_output=True, text=True)
    assert (done.returncode, done.stderr) == (0, "")


def test_the_hardening_leaves_little_exposed(tmp_path):
    """systemd-analyze security rates a unit from 0 (locked down) to 10 (exposed).

    Its --threshold is in tenths: 30 fails the run above 3.0.
    """
    analyze = require_binary("systemd-analyze", package="systemd")
    instance = render(
        UNIT,
        tmp_path / "tornado-book@8001.service",
        USER_NAME="tornado-book",
        BOOK_DIR=ROOT,
        PYTHON=sys.executable,
    )
    done = subprocess.run(
        [analyze, "security", "--offline=yes", "--threshold=30", "--no-pager", instance],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout[-500:]
    assert re.search(r"exposure level for .*: [0-2]\.\d OK", done.stdout)


def test_the_systemctl_commands_shown_are_checked_against_the_shipped_template():
    """No systemd runs here: the book's systemctl and journalctl lines are checked, not run."""
    for command in [
        "sudo systemctl enable --now tornado-book@8001 tornado-book@8002",
        "sudo systemctl restart 'tornado-book@*'",
        "sudo systemctl daemon-reload",
        "journalctl -u tornado-book@8001",
    ]:
        assert checked(command, ROOT) == "", command
    for command, problem in [
        ("systemctl start tornado-boook@8001", "no template tornado-boook@.service"),
        ("systemctl start tornado-book@", "no template"),
        ("systemctl start no-such-thing", "no unit no-such-thing.service here"),
        ("systemctl frobnicate tornado-book@8001", "not a verb the book uses"),
        ("journalctl -f", "no -u UNIT"),
        ("sudo cp nowhere/tornado-book@.service /etc/systemd/system/", "does not exist"),
    ]:
        assert problem in checked(command, ROOT), command


def test_the_transcript_never_fills_in_root():
    """The unit's User= comes from the book's export line: a reader logged in as root must not
    get User=root from it (the service handles requests from the network)."""
    shown = [c for c, _ in parse(CH08 / "systemd.steps.console") if "USER_NAME=" in c]
    assert len(shown) == 1
    done = subprocess.run(
        ["bash", "-c", f'{shown[0]}; printf %s "$USER_NAME"'],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout not in ("", "root")
    useradd = parse(CH08 / "systemd.install.steps.console")[0][0]
    assert useradd.endswith(f" {done.stdout}")  # the user the install block creates
    assert checked(useradd, ROOT) == ""


def test_the_service_user_is_checked_not_created():
    for command, problem in [
        ("useradd tornado-book", "--system user"),
        ("useradd --system --no-create-home --shell /usr/sbin/nologin Bad!", "not a valid"),
    ]:
        assert problem in checked(command, ROOT), command
