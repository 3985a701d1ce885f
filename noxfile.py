"""Build, preview, test and lint 《Tornado 入门：现代注释版》.

Every session installs from requirements/constraints.txt, so a fresh clone builds the same
book. `nox -l` lists the sessions; a bare `nox` only runs the quick lint.
"""

import argparse
import os
import shutil
import sys
import time
from pathlib import Path

import nox

nox.options.default_venv_backend = "uv|virtualenv"
nox.options.sessions = ["lint"]
nox.options.reuse_existing_virtualenvs = True
# Installs write .pyc files: where PYTHONDONTWRITEBYTECODE is set, every example started in a
# subprocess, and every sphinx-build, would otherwise compile its libraries from source again.
os.environ.setdefault("UV_COMPILE_BYTECODE", "1")

PYPROJECT = nox.project.load_toml("pyproject.toml")
CONSTRAINTS = "requirements/constraints.txt"
SOURCE, BUILD = "docs", "docs/_build"
LOCALES = Path("docs/locales")
EPUBCHECK = "/usr/share/java/epubcheck.jar"  # Debian's epubcheck package
SPHINX_STRICT = ["-W", "-n", "--keep-going"]
# How `tests` and `matrix` run the suite: test files in parallel, one process per CPU.
PYTEST = ["-m", "pytest", "-n", "auto", "--dist", "loadfile"]
# What `nox -s pdf` runs, and the Debian packages that have them. Poppler's tools check the
# PDFs: like epubcheck, CI must have them, a reader may do without.
TEX_TOOLS = ["xelatex", "latexmk", "makeindex", "rsvg-convert"]
TEX_PACKAGES = ["texlive-xetex", "texlive-lang-chinese", "texlive-fonts-recommended"]
TEX_PACKAGES += ["latexmk", "fonts-noto-cjk", "librsvg2-bin"]
POPPLER_TOOLS = ["pdfinfo", "pdffonts", "pdftotext"]
POPPLER_PACKAGES = ["poppler-utils"]
LATEXMK = ["latexmk", "-xelatex", "-interaction=nonstopmode", "-halt-on-error", "-file-line-error"]
LATEXMK_ENV = {"LATEXOPTS": "", "max_print_line": "10000"}  # log lines unwrapped, for pdfcheck
MIN_PAGES = 150  # each edition has about 200; fewer means a part of the book went missing
sys.path.insert(0, str(Path(__file__).parent / "docs" / "_ext"))
sys.path.insert(0, str(Path(__file__).parent))
import bookconfig  # noqa: E402 (docs/_ext/bookconfig.py: the book's configuration)

from tools.matrix import (  # noqa: E402 (what `nox -s matrix` and `nox -s legacy` share)
    Result,
    find_python,
    junit_counts,
    pick_combinations,
    reports_version,
    same_release,
    summary,
    without_pin,
)

EDITIONS = bookconfig.built()  # source, published and in-progress editions
MATRIX_FILE = f"docs/{bookconfig.MATRIX_FILE}"  # named in messages
MATRIX = bookconfig.matrix()
WORKFLOWS = Path(".github/workflows")
DEPENDABOT = Path(".github/dependabot.yml")
RTD_SCHEMA = ".ci/schemas/readthedocs-v2.schema.json"  # Read the Docs' own, see its README
# `nox -s matrix -- --tornado latest` tests the newest Tornado release on the package index,
# `--tornado pre` the newest release or pre-release: what .github/workflows/newest.yml runs weekly.
INDEX_TORNADOS = {
    "latest": ["--upgrade-package=tornado", "tornado"],
    "pre": ["--upgrade-package=tornado", "--prerelease=allow", "tornado"],
}


def install(session, *groups):
    packages = [p for g in groups for p in nox.project.dependency_groups(PYPROJECT, g)]
    session.install("-c", CONSTRAINTS, *packages)


def check_graphviz(session):
    """The figures (docs/figures/*.dot) need Graphviz's dot: CI must have it, a reader may not."""
    if shutil.which("dot"):
        return
    message = "Graphviz is not installed (Debian: apt-get install graphviz)"
    if os.environ.get("CI"):
        session.error(message)
    session.warn(f"{message}; each figure is shown as its alt text")


def sphinx_build(session, builder, lang, out, *options, extra=()):
    """One edition with one Sphinx builder, warnings as errors, doctrees beside the output."""
    doctrees = f"{BUILD}/doctrees/{builder}-{lang}"
    args = [*SPHINX_STRICT, *options, "-b", builder, f"--define=language={lang}", "-d", doctrees]
    session.run("sphinx-build", *args, SOURCE, out, *extra)


def build(session, autobuild=False, posargs=None):
    """Build every edition once, or serve one edition (`-- --lang en`) rebuilt on every change."""
    parser = argparse.ArgumentParser(prog=f"nox -s {session.name} --")
    parser.add_argument("--lang", choices=list(EDITIONS), default="zh_CN")
    args, extra = parser.parse_known_args(session.posargs if posargs is None else posargs)
    check_graphviz(session)
    install(session, "serve" if autobuild else "docs")
    if autobuild:
        session.run(
            "sphinx-autobuild",
            "--host=127.0.0.1",
            "--port=8008",
            "--watch=examples",
            "--re-ignore=__pycache__",
            f"--define=language={args.lang}",
            SOURCE,
            f"{BUILD}/serve/{args.lang}",
            *extra,
        )
        return
    for lang in EDITIONS:
        out = f"{BUILD}/html/{lang}"
        # Sphinx's doctrees (its pickled environment) beside the site, not in it: the site is
        # what is published. An older build's copy inside it is removed.
        shutil.rmtree(f"{out}/.doctrees", ignore_errors=True)
        sphinx_build(session, "html", lang, out, "-j", "auto", extra=extra)
    if not Path(f"{BUILD}/html/zh_CN/404.html").is_file():
        return  # nothing was built: `nox -s docs --install-only`
    session.run("python", "docs/_ext/site_root.py", "redirect", f"{BUILD}/html/index.html")
    shutil.copy(f"{BUILD}/html/zh_CN/404.html", f"{BUILD}/html/404.html")
    # foo.html.gz beside foo.html, for nginx's gzip_static and hosts that cannot compress
    session.run("python", "deploy/precompress.py", f"{BUILD}/html")
    session.log(f"open {BUILD}/html/index.html")


@nox.session
def docs(session):
    """Build every edition as HTML into docs/_build/html/<lang>/, failing on any warning."""
    install(session, "docs")
    # an offered edition's catalog mistakes (a raw <script>, a lost backtick) fail before Sphinx
    offered = [f"--lang={lang}" for lang in bookconfig.offered()]
    session.run("python", "tools/translations.py", "lint", *offered)
    build(session)


@nox.session
def epub(session):
    """Build an EPUB of every offered edition into docs/_build/epub/, checked by epubcheck."""
    check_graphviz(session)
    install(session, "docs")
    for lang in bookconfig.offered():
        out = f"{BUILD}/epub/{lang}"
        shutil.rmtree(out, ignore_errors=True)  # stale files would end up inside the book
        sphinx_build(session, "epub", lang, out)
        book = f"{out}/tornado-book-{lang}.epub"
        if Path(EPUBCHECK).is_file() and shutil.which("java"):
            session.run("java", "-jar", EPUBCHECK, "--quiet", book, external=True)
        elif os.environ.get("CI"):
            session.error("epubcheck is not installed (Debian: apt-get install epubcheck)")
        else:
            session.warn("epubcheck is not installed (Debian: apt-get install epubcheck)")
        session.log(f"wrote {book}")


@nox.session
def pdf(session):
    """Build a PDF of every offered edition into docs/_build/pdf/<lang>/ with XeLaTeX; check it."""
    missing = [tool for tool in TEX_TOOLS if not shutil.which(tool)]
    if missing:
        session.error(
            f"{', '.join(missing)} not found. The PDF needs XeLaTeX, the Noto CJK fonts and "
            f"rsvg-convert; on Debian:\n  apt-get install --no-install-recommends "
            + " ".join(TEX_PACKAGES + POPPLER_PACKAGES)
        )
    check_graphviz(session)
    check = ["python", "tools/pdfcheck.py", f"--min-pages={MIN_PAGES}"]
    if not all(shutil.which(tool) for tool in POPPLER_TOOLS):
        message = "poppler-utils is not installed (Debian: apt-get install poppler-utils)"
        if os.environ.get("CI"):
            session.error(message)
        session.warn(f"{message}; only the XeLaTeX logs are checked")
        check.append("--log-only")
    install(session, "docs")
    for lang in bookconfig.offered():
        started = time.monotonic()
        out = f"{BUILD}/pdf/{lang}"
        shutil.rmtree(out, ignore_errors=True)  # no stale .aux or figures from an older build
        sphinx_build(session, "latex", lang, out)
        book = f"{out}/tornado-book-{lang}.pdf"
        try:
            with session.chdir(out):
                tex = f"tornado-book-{lang}.tex"
                session.run(*LATEXMK, tex, env=LATEXMK_ENV, external=True, silent=True)
        except nox.command.CommandFailed:
            session.run(*check, "--log-only", f"--lang={lang}", book, success_codes=[0, 1])
            session.error(
                f"XeLaTeX failed, see {out}/tornado-book-{lang}.log. The PDF needs, on Debian: "
                "apt-get install --no-install-recommends " + " ".join(TEX_PACKAGES)
            )
        session.run(*check, f"--lang={lang}", book)
        session.log(f"wrote {book} in {time.monotonic() - started:.0f} s")


@nox.session
def audit(session):
    """Print how deep each page is: Han characters of prose, listings, sessions, modern notes."""
    install(session, "docs")
    session.run("python", "tools/audit.py", *session.posargs)


@nox.session
def serve(session):
    """Preview at http://127.0.0.1:8008, rebuilt when docs/ or examples/ change (`-- --lang en`)."""
    build(session, autobuild=True)


@nox.session
def translations(session):
    """Update catalogs from the Chinese source: `-- --lang en`, `-- --new ja`, `-- --check`."""
    parser = argparse.ArgumentParser(prog="nox -s translations --")
    group = parser.add_mutually_exclusive_group()
    parser.add_argument("--lang", action="append", help="update (or check) only this language")
    group.add_argument("--new", metavar="CODE", help="start a new language, e.g. ja or pt_BR")
    group.add_argument("--check", action="store_true", help="fail if a finished edition is not")
    group.add_argument("--stats", action="store_true", help="only print the report")
    group.add_argument("--convert", metavar="CODE", help="write CODE's catalogs with OpenCC")
    args = parser.parse_args(session.posargs)
    install(session, "i18n")
    if args.stats:
        session.run("python", "tools/translations.py", "stats")
        return
    # -E: a fresh environment, so that what the extension marks untranslatable is re-read
    session.run("sphinx-build", "-q", "-E", "-b", "gettext", SOURCE, f"{BUILD}/gettext")
    # Its sphinx.pot (the templates' labels) is not a page: tools/catalogs.py adds it to
    # docs/pot/sphinx.pot, the interface catalogs' template (docs/_theme_locales).
    if args.convert:  # after updating its catalogs: the edition's `convert` in editions.toml
        session.run("python", "tools/catalogs.py", "update", f"--lang={args.convert}")
        session.run("python", "tools/zh_convert.py", args.convert)
        return
    if args.check:
        only = [f"--lang={lang}" for lang in args.lang or []]
        session.run("python", "tools/translations.py", "check", *only)
        # the `msgcat --no-wrap` form, which Weblate, Poedit and msgcat all keep
        session.run("python", "tools/catalogs.py", "check")
        session.run("python", "tools/zh_convert.py", "--check")  # no mainland word left (zh_TW)
        return
    if args.new:
        session.run("python", "tools/translations.py", "new", args.new)
    langs = [args.new] if args.new else args.lang or sorted(p.name for p in LOCALES.iterdir())
    # docs/pot/*.pot, then each catalog merged with `#|` previous msgids, in `msgcat --no-wrap` form
    session.run("python", "tools/catalogs.py", "update", *(f"--lang={lang}" for lang in langs))
    session.run("python", "tools/translations.py", "stats", *(f"--lang={lang}" for lang in langs))


@nox.session
def tests(session):
    """Run every test, examples both imported and run as a reader runs them; 100% coverage.

    Test files run in parallel, one process per CPU (`-- -n 0` runs them in this process).
    Coverage is enforced under CI and when no test was skipped for a program that is not
    installed; otherwise a warning names what was skipped (tools/coverage_gate.py).
    """
    install(session, "tests")
    # Not session.create_tmp(): it sets TMPDIR inside .nox/, too deep for supervisord's socket.
    junit = Path(session.virtualenv.location, "junit.xml")
    junit.unlink(missing_ok=True)
    session.run("coverage", "erase")
    session.run("coverage", "run", *PYTEST, f"--junitxml={junit}", *session.posargs)
    session.run("coverage", "combine", "--quiet")
    session.run("python", "tools/coverage_gate.py", str(junit))


def uv():
    """The uv that nox uses: the one installed with `nox[uv]`, else the one on PATH."""
    return nox.virtualenv.find_uv()[1]


def interpreter(version):
    """An interpreter for Python `version` ("3.12"), or None: from PATH, pyenv, or uv."""
    return find_python(version, uv())


@nox.session(venv_backend="none")
def matrix(session):
    """Run every test on each Python × Tornado of docs/matrix.toml (`-- --oldest --newest`).

    Each combination gets a virtualenv of its own, with everything from the constraints but
    Tornado. `-- --python 3.12 --tornado 6.6.0` picks a subset, `-- --list` only shows it;
    other arguments go to pytest. A missing Python is skipped, or fails the run under CI.
    """
    parser = argparse.ArgumentParser(prog="nox -s matrix --")
    parser.add_argument("--python", action="append", metavar="X.Y", help="only this Python")
    parser.add_argument(
        "--tornado",
        action="append",
        metavar="VERSION",
        help="only this Tornado; latest or pre: the newest on the index",
    )
    parser.add_argument("--oldest", action="store_true", help="the oldest combination")
    parser.add_argument("--newest", action="store_true", help="the newest combination")
    parser.add_argument("--list", action="store_true", help="show the combinations, run nothing")
    args, pytest_args = parser.parse_known_args(session.posargs)
    combinations = pick_combinations(
        MATRIX["python"],
        MATRIX["tornado"],
        oldest=args.oldest,
        newest=args.newest,
        python=args.python or (),
        tornado=args.tornado or (),
    )
    for python, tornado in combinations:
        if python not in MATRIX["python"] or tornado not in [*MATRIX["tornado"], *INDEX_TORNADOS]:
            session.warn(f"Python {python} + Tornado {tornado} is not in {MATRIX_FILE}")
    interpreters = {python: interpreter(python) for python, _ in combinations}
    for python, found in interpreters.items():
        session.log(f"Python {python}: {found or 'not found on PATH, in pyenv or by uv'}")
    missing = sorted(p for p, found in interpreters.items() if found is None)
    if missing and os.environ.get("CI"):
        session.error(f"no interpreter for Python {', '.join(missing)} (CI needs every one)")
    if args.list:
        for python, tornado in combinations:
            verb = "test" if interpreters[python] else "skip"
            session.log(f"would {verb} Python {python} + Tornado {tornado}")
        return
    # Not session.create_tmp(): that sets TMPDIR for every command, and the tests' temporary
    # directories would then lie so deep that supervisord's socket path grows too long.
    home = Path(".nox", "matrix").resolve()
    home.mkdir(parents=True, exist_ok=True)
    constraints = home / "constraints-but-tornado.txt"  # the tested Tornado replaces the pin
    constraints.write_text(without_pin(Path(CONSTRAINTS).read_text("utf-8"), "tornado"))
    results = []
    for python, tornado in combinations:
        venv = home / f"py{python}-tornado{tornado}"
        found = interpreters[python]
        results.append(run_combination(session, python, tornado, found, venv, pytest_args))
    for line in summary(results):
        session.log(line)
    failures = [r for r in results if r.outcome.startswith("failed")]
    if failures:
        session.error(f"{len(failures)} of {len(results)} combinations failed")
    if any(r.outcome.startswith("skipped") for r in results):
        session.warn("some combinations were skipped: their Python is not installed here")


def run_combination(session, python, tornado, found, venv, pytest_args):
    """Install one combination into `venv` with Python `found` and run every test: a Result."""
    label = f"Python {python} + Tornado {tornado}"
    if found is None:
        session.warn(f"{label}: skipped, no Python {python} here")
        return Result(python, tornado, "skipped: no Python", None, 0.0)
    session.log(label)
    bin_ = venv / "bin"
    python_ = str(bin_ / "python")
    junit = venv / "junit.xml"
    junit.unlink(missing_ok=True)
    env = {
        "VIRTUAL_ENV": str(venv),
        "PATH": os.pathsep.join([str(bin_), os.environ.get("PATH", "")]),
        "COVERAGE_FILE": str(venv / ".coverage"),  # each combination's data apart
    }
    coverage = str(bin_ / "coverage")
    started = time.monotonic()
    step = "install"
    try:
        if not reports_version(python_, python):
            venv_ = [uv(), "venv", "--quiet", "--clear", "--python", found, str(venv)]
            session.run_install(*venv_, external=True)
        constraints = venv.parent / "constraints-but-tornado.txt"
        pip = [
            uv(),
            "pip",
            "install",
            "--quiet",
            f"--python={python_}",
            f"--constraint={constraints}",
        ]
        packages = nox.project.dependency_groups(PYPROJECT, "tests")
        wanted = INDEX_TORNADOS.get(tornado, [f"tornado=={tornado}"])
        session.run_install(*pip, *packages, *wanted, external=True)
        show_version = "import tornado; print(tornado.version)"
        installed = session.run(python_, "-c", show_version, silent=True, external=True)
        if installed and tornado in INDEX_TORNADOS:
            session.log(f"{label}: Tornado {installed.strip()} from the package index")
        elif installed and not same_release(installed, tornado):
            session.error(f"{label}: found Tornado {installed.strip()} instead")
        step = "tests"
        if not session.run(coverage, "erase", env=env, external=True):
            return Result(python, tornado, "installed", None, time.monotonic() - started)
        junit_xml = f"--junitxml={junit}"
        session.run(coverage, "run", *PYTEST, junit_xml, *pytest_args, env=env, external=True)
        step = "coverage"
        session.run(coverage, "combine", "--quiet", env=env, external=True)
        session.run(coverage, "report", env=env, external=True)
        outcome = "passed"
    except nox.command.CommandFailed:
        outcome = f"failed: {step}"
    counts = junit_counts(junit)
    return Result(python, tornado, outcome, counts, time.monotonic() - started)


@nox.session
def legacy(session):
    """Replay Appendix A's transcripts against the old programs its ports came from.

    Each era of docs/matrix.toml [legacy] gets an environment in .nox/legacy-envs/ with the
    Python and the Tornado its programs were written for (Python 2.7 through virtualenv before
    20.22, the last to make one), from the package index. A missing Python is skipped with a
    warning, or fails the run under CI.
    """
    install(session, "legacy")
    eras = bookconfig.legacy()
    missing = []
    for era, wanted in eras.items():
        python = interpreter(wanted["python"])
        if python is None:
            missing.append(wanted["python"])
            where = "not found on PATH, in pyenv or by uv"
            session.warn(f"{era}: Python {wanted['python']} {where}: its replay will be skipped")
            continue
        session.log(f"{era}: Python {wanted['python']}: {python}")
        env = Path(".nox/legacy-envs", era)
        if not env.exists():
            session.run("virtualenv", "--quiet", f"--python={python}", str(env))
        pip = [str(env / "bin" / "python"), "-m", "pip", "--disable-pip-version-check"]
        session.run(*pip, "install", "--quiet", f"tornado=={wanted['tornado']}", external=True)
    if missing and os.environ.get("CI"):
        session.error(f"no interpreter for Python {', '.join(missing)} (CI needs every one)")
    session.run("python", "-m", "pytest", "tests/legacy", *session.posargs)
    if missing:
        versions = " ".join(missing)
        session.warn(f"skipped the eras of Python {versions}: pyenv install {versions}")


def npm_ci(session):
    """Lighthouse and axe-core, exactly as tests/browser/package-lock.json pins them, into
    tests/browser/node_modules (git-ignored). Without npm the audits skip; CI needs them."""
    if shutil.which("npm") is None:
        message = "npm is not installed (Debian: apt-get install nodejs npm): no Lighthouse, no axe"
        if os.environ.get("CI"):
            session.error(message)
        session.warn(message)
        return
    quiet = ["--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error"]
    session.run_install("npm", "ci", "--prefix", "tests/browser", *quiet, external=True)


@nox.session
def browser(session):
    """Build the site, then test it in headless Chromium: pages, switcher, search, copy, theme,
    axe-core on every page (light and dark) and Lighthouse's accessibility, best practices and
    SEO scores (100 on every page)."""
    build(session, posargs=[])
    install(session, "browser")
    npm_ci(session)
    session.run("pytest", "tests/browser", "-o", "addopts=-ra", *session.posargs)


@nox.session
def bench(session):
    """Print the budgets: build times per edition, one-page rebuild, test time, page weight,
    and Lighthouse's mobile Performance score per page (median of three runs)."""
    install(session, "docs")
    npm_ci(session)
    session.run("python", "bench/budgets.py", *session.posargs)


@nox.session
def c10k(session):
    """Park 1k/5k/10k idle long polls on Tornado and on threads; print memory and release time."""
    install(session, "examples")
    session.run("python", "bench/c10k.py", *session.posargs)


@nox.session(name="deploy-bench")
def deploy_bench(session):
    """Requests per second and p99 latency direct and through nginx with 1, 2 and 4 processes."""
    install(session, "examples")
    session.run("python", "bench/deploy_load.py", *session.posargs)


@nox.session
def lint(session):
    """Check style and formatting of all Python outside docs/_build, the GitHub workflows
    (actionlint), .github/dependabot.yml and .readthedocs.yaml (against Read the Docs' schema,
    vendored in .ci/schemas/)."""
    install(session, "lint")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    session.run("check-jsonschema", "--schemafile", RTD_SCHEMA, ".readthedocs.yaml")
    workflows = sorted(map(str, WORKFLOWS.glob("*.yml")))
    # SchemaStore's workflow schema, shipped inside check-jsonschema: the shape of each file
    session.run("check-jsonschema", "--builtin-schema", "vendor.github-workflows", *workflows)
    # and actionlint: expressions, needs, matrix, and each `run:` script through shellcheck
    session.run("actionlint", "-no-color", *workflows)
    # SchemaStore's Dependabot schema, shipped inside check-jsonschema as well
    session.run("check-jsonschema", "--builtin-schema", "vendor.dependabot", str(DEPENDABOT))


@nox.session
def lock(session):
    """Re-pin every dependency group into requirements/constraints.txt (needs uv)."""
    groups = [f"--group=pyproject.toml:{name}" for name in PYPROJECT["dependency-groups"]]
    compile_ = ["uv", "pip", "compile", "--universal", "--python-version=3.11", "--quiet"]
    session.run(*compile_, "--upgrade", *groups, f"--output-file={CONSTRAINTS}", external=True)
    # What a reader installs to run every example: pip install -r requirements/examples.txt
    examples = ["--group=pyproject.toml:examples", f"--constraints={CONSTRAINTS}", "--no-header"]
    session.run(*compile_, *examples, "--output-file=requirements/examples.txt", external=True)
