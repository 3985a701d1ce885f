"""Build, preview, test and lint 《Tornado 入门：现代注释版》.

Every session installs from requirements/constraints.txt, so a fresh clone builds the same
book. `nox -l` lists the sessions; a bare `nox` only runs the quick lint.
"""

import argparse
import os
import shutil
import time
import tomllib
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
# What `nox -s pdf` runs, and the Debian packages that have them. Poppler's tools check the
# PDFs: like epubcheck, CI must have them, a reader may do without.
TEX_TOOLS = ["xelatex", "latexmk", "makeindex", "rsvg-convert"]
TEX_PACKAGES = ["texlive-xetex", "texlive-lang-chinese", "texlive-fonts-recommended", "latexmk",
                "fonts-noto-cjk", "librsvg2-bin"]  # fmt: skip
POPPLER_TOOLS = ["pdfinfo", "pdffonts", "pdftotext"]
POPPLER_PACKAGES = ["poppler-utils"]
LATEXMK = ["latexmk", "-xelatex", "-interaction=nonstopmode", "-halt-on-error", "-file-line-error"]
LATEXMK_ENV = {"LATEXOPTS": "", "max_print_line": "10000"}  # log lines unwrapped, for pdfcheck
MIN_PAGES = 150  # each edition has about 200; fewer means a part of the book went missing
EDITIONS = tomllib.loads(Path("docs/editions.toml").read_text("utf-8"))["editions"]
REDIRECT = """<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8">
<title>Tornado 入门：现代注释版</title>
<meta http-equiv="refresh" content="0; url=zh_CN/index.html">
<link rel="canonical" href="zh_CN/index.html">
</head><body><p><a href="zh_CN/index.html">简体中文</a> · <a href="en/index.html">English</a></p>
</body></html>
"""


def install(session, *groups):
    packages = [p for g in groups for p in nox.project.dependency_groups(PYPROJECT, g)]
    session.install("-c", CONSTRAINTS, *packages)


def build(session, autobuild=False, posargs=None):
    """Build every edition once, or serve one edition (`-- --lang en`) rebuilt on every change."""
    parser = argparse.ArgumentParser(prog=f"nox -s {session.name} --")
    parser.add_argument("--lang", choices=list(EDITIONS), default="zh_CN")
    args, extra = parser.parse_known_args(session.posargs if posargs is None else posargs)
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
        session.run("sphinx-build", *SPHINX_STRICT, "-j", "auto", "-b", "html",
                    f"--define=language={lang}", SOURCE, out, *extra)  # fmt: skip
    Path(f"{BUILD}/html/index.html").write_text(REDIRECT, encoding="utf-8")
    shutil.copy(f"{BUILD}/html/zh_CN/404.html", f"{BUILD}/html/404.html")
    session.log(f"open {BUILD}/html/index.html")


@nox.session
def docs(session):
    """Build every edition as HTML into docs/_build/html/<lang>/, failing on any warning."""
    build(session)


@nox.session
def epub(session):
    """Build an EPUB of every edition into docs/_build/epub/, checked by epubcheck if installed."""
    install(session, "docs")
    for lang in EDITIONS:
        out = f"{BUILD}/epub/{lang}"
        shutil.rmtree(out, ignore_errors=True)  # stale files would end up inside the book
        session.run("sphinx-build", *SPHINX_STRICT, "-b", "epub", f"--define=language={lang}",
                    "-d", f"{BUILD}/doctrees/epub-{lang}", SOURCE, out)  # fmt: skip
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
    """Build a PDF of every edition into docs/_build/pdf/<lang>/ with XeLaTeX, then check it."""
    missing = [tool for tool in TEX_TOOLS if not shutil.which(tool)]
    if missing:
        session.error(
            f"{', '.join(missing)} not found. The PDF needs XeLaTeX, the Noto CJK fonts and "
            f"rsvg-convert; on Debian:\n  apt-get install --no-install-recommends "
            + " ".join(TEX_PACKAGES + POPPLER_PACKAGES)
        )
    check = ["python", "tools/pdfcheck.py", f"--min-pages={MIN_PAGES}"]
    if not all(shutil.which(tool) for tool in POPPLER_TOOLS):
        message = "poppler-utils is not installed (Debian: apt-get install poppler-utils)"
        if os.environ.get("CI"):
            session.error(message)
        session.warn(f"{message}; only the XeLaTeX logs are checked")
        check.append("--log-only")
    install(session, "docs")
    for lang in EDITIONS:
        started = time.monotonic()
        out = f"{BUILD}/pdf/{lang}"
        shutil.rmtree(out, ignore_errors=True)  # no stale .aux or figures from an older build
        session.run("sphinx-build", *SPHINX_STRICT, "-b", "latex", f"--define=language={lang}",
                    "-d", f"{BUILD}/doctrees/latex-{lang}", SOURCE, out)  # fmt: skip
        book = f"{out}/tornado-book-{lang}.pdf"
        try:
            with session.chdir(out):
                session.run(*LATEXMK, f"tornado-book-{lang}.tex", env=LATEXMK_ENV, external=True,
                            silent=True)  # fmt: skip
        except nox.command.CommandFailed:
            session.run(*check, "--log-only", f"--lang={lang}", book, success_codes=[0, 1])
            session.error(
                f"XeLaTeX failed, see {out}/tornado-book-{lang}.log. The PDF needs, on Debian: "
                "apt-get install --no-install-recommends " + " ".join(TEX_PACKAGES)
            )
        session.run(*check, f"--lang={lang}", book)
        session.log(f"wrote {book} in {time.monotonic() - started:.0f} s")


@nox.session
def serve(session):
    """Preview at http://127.0.0.1:8008, rebuilt when docs/ or examples/ change (`-- --lang en`)."""
    build(session, autobuild=True)


@nox.session
def translations(session):
    """Update catalogs from the Chinese source: `-- --lang en`, `-- --new ja`, `-- --check`."""
    parser = argparse.ArgumentParser(prog="nox -s translations --")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--lang", action="append", help="update only this language")
    group.add_argument("--new", metavar="CODE", help="start a new language, e.g. ja or pt_BR")
    group.add_argument("--check", action="store_true", help="fail if a finished edition is not")
    group.add_argument("--stats", action="store_true", help="only print the report")
    args = parser.parse_args(session.posargs)
    install(session, "i18n")
    if args.stats:
        session.run("python", "tools/translations.py", "stats")
        return
    session.run("sphinx-build", "-q", "-b", "gettext", SOURCE, f"{BUILD}/gettext")
    if args.check:
        session.run("python", "tools/translations.py", "check")
        return
    if args.new:
        session.run("python", "tools/translations.py", "new", args.new)
    langs = [args.new] if args.new else args.lang or sorted(p.name for p in LOCALES.iterdir())
    languages = [f"--language={lang}" for lang in langs]
    session.run(
        "sphinx-intl", "update", f"--pot-dir={BUILD}/gettext", f"--locale-dir={LOCALES}", *languages
    )
    session.run("python", "tools/translations.py", "stats", *(f"--lang={lang}" for lang in langs))


@nox.session
def tests(session):
    """Run every test, examples both imported and run as a reader runs them; 100% coverage.

    Test files run in parallel, one process per CPU (`-- -n 0` runs them in this process).
    """
    install(session, "tests")
    session.run("coverage", "erase")
    session.run("coverage", "run", "-m", "pytest", "-n", "auto", "--dist", "loadfile",
                *session.posargs)  # fmt: skip
    session.run("coverage", "combine", "--quiet")
    session.run("coverage", "report")


@nox.session
def browser(session):
    """Build the site, then test it in headless Chromium: pages, switcher, search, copy, theme."""
    build(session, posargs=[])
    install(session, "browser")
    session.run("pytest", "tests/browser", "-o", "addopts=-ra", *session.posargs)


@nox.session
def bench(session):
    """Print the budgets: build times per edition, one-page rebuild, test time, page weight."""
    install(session, "docs")
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
    """Check style and formatting of all Python outside docs/_build."""
    install(session, "lint")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def lock(session):
    """Re-pin every dependency group into requirements/constraints.txt (needs uv)."""
    groups = [f"--group=pyproject.toml:{name}" for name in PYPROJECT["dependency-groups"]]
    compile_ = ["uv", "pip", "compile", "--universal", "--python-version=3.11", "--quiet"]
    session.run(*compile_, "--upgrade", *groups, f"--output-file={CONSTRAINTS}",
                external=True)  # fmt: skip
    # What a reader installs to run every example: pip install -r requirements/examples.txt
    session.run(*compile_, "--group=pyproject.toml:examples", f"--constraints={CONSTRAINTS}",
                "--no-header", "--output-file=requirements/examples.txt",
                external=True)  # fmt: skip
