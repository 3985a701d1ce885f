"""Build, preview, test and lint 《Tornado 入门：现代注释版》.

Every session installs from requirements/constraints.txt, so a fresh clone builds the same
book. `nox -l` lists the sessions; a bare `nox` only runs the quick lint.
"""

import nox

nox.options.default_venv_backend = "uv|virtualenv"
nox.options.sessions = ["lint"]
nox.options.reuse_existing_virtualenvs = True

PYPROJECT = nox.project.load_toml("pyproject.toml")
CONSTRAINTS = "requirements/constraints.txt"
SOURCE, BUILD = "docs", "docs/_build"
SPHINX_STRICT = ["-W", "-n", "--keep-going"]


def install(session, *groups):
    packages = [p for g in groups for p in nox.project.dependency_groups(PYPROJECT, g)]
    session.install("-c", CONSTRAINTS, *packages)


def build(session, autobuild=False):
    """Build the HTML book once, or rebuild it on every change while serving it."""
    install(session, "serve" if autobuild else "docs")
    if autobuild:
        session.run(
            "sphinx-autobuild",
            "--host=127.0.0.1",
            "--port=8008",
            "--watch=examples",
            "--re-ignore=__pycache__",
            SOURCE,
            f"{BUILD}/html",
            *session.posargs,
        )
    else:
        session.run("sphinx-build", *SPHINX_STRICT, "-b", "html", SOURCE, f"{BUILD}/html")
        session.log(f"open {BUILD}/html/index.html")


@nox.session
def docs(session):
    """Build the book as HTML into docs/_build/html, failing on any warning."""
    build(session)


@nox.session
def serve(session):
    """Preview the book at http://127.0.0.1:8008, rebuilt when docs/ or examples/ change."""
    build(session, autobuild=True)


@nox.session
def tests(session):
    """Run every test, examples both imported and run as a reader runs them; 100% coverage."""
    install(session, "tests")
    session.run("coverage", "erase")
    session.run("coverage", "run", "-m", "pytest", *session.posargs)
    session.run("coverage", "combine", "--quiet")
    session.run("coverage", "report")


@nox.session
def lint(session):
    """Check style and formatting of all Python outside docs/_build."""
    install(session, "lint")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def lock(session):
    """Re-pin every dependency into requirements/constraints.txt (needs uv)."""
    session.run(
        "uv", "pip", "compile", "--universal", "--python-version=3.11", "--upgrade",
        "pyproject.toml", "--group=pyproject.toml:tests", "--group=pyproject.toml:serve",
        "--group=pyproject.toml:lint", f"--output-file={CONSTRAINTS}",
        external=True,
    )  # fmt: skip
