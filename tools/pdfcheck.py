"""Check a PDF of the book that `nox -s pdf` built: XeLaTeX's log, then what poppler reads back.

    python tools/pdfcheck.py --lang zh_CN docs/_build/pdf/zh_CN/tornado-book-zh_CN.pdf
    python tools/pdfcheck.py --lang zh_CN --log-only ...   # without poppler-utils, or after a
                                                            # failed run: explain the log only

It reads the .log and .tex beside the PDF and fails (exit 1) on
- a font or LaTeX package that is not installed, or a character that no font has (it would
  print as nothing);
- a listing line wider than the page: an overfull box inside a sphinxVerbatim environment of
  more than MAX_LISTING_OVERFLOW points. Overfull lines of running text are only reported;
- a PDF of fewer than --min-pages pages, or with a font that is not embedded (pdfinfo, pdffonts);
- text that does not read back (pdftotext): every chapter title of the .tex must be found in
  the PDF's text; in the Chinese edition they contain Han characters, in the English one none;
- LaTeX's own words in the wrong language: the title page and contents of each edition must
  carry that edition's words (from its catalogs, see labels()) and none of another edition's.
"""

import argparse
import gettext
import re
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "docs" / "_ext"))
import bookconfig  # noqa: E402

MAX_LISTING_OVERFLOW = 1.0  # points; Sphinx wraps listings, so any real overflow is a bug
FRONT_PAGES = 3  # title page and the start of the contents
# Words printed by LaTeX, Sphinx or the book's extension rather than taken from the text: see
# labels(). Which editions exist, and which are written with Han characters, is docs/editions.toml.
MISSING = re.compile(r"^Missing character: There is no (.+?) \(U\+([0-9A-F]{4,6})\)", re.M)
NO_FONT = re.compile(r'fontspec Error: The font "([^"]+)" cannot be\s+found', re.M)
NO_FILE = re.compile(  # after "! " or, with -file-line-error, after "file:line: "
    r"LaTeX Error: File `([^']+)' not found"
    r"|Font \\\S+=(\S+) at \S+ not loadable: Metric \(TFM\) file"
)
OVERFULL = re.compile(
    r"^Overfull \\hbox \((\d+(?:\.\d+)?)pt too wide\) "
    r"(?:in paragraph at lines (\d+)--(\d+)|in alignment at lines (\d+)--(\d+)"
    r"|detected at line (\d+))",
    re.M,
)
CHAPTER = re.compile(r"^\\chapter\*?\{([^\\{}]+)\}", re.M)
HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
WHITESPACE = re.compile(r"\s+")


def labels(language):
    """The words of an edition's title page and contents ("front") and of its text ("body"),
    from its interface catalog, then Sphinx's own catalog for the language (as the build does),
    and whether its chapter titles are written with Han characters ("han", None while the
    edition is in progress: untranslated titles are Chinese). None for a language the book does
    not have."""
    entry = bookconfig.editions().get(language)
    if entry is None:
        return None
    try:
        import sphinx

        builtin = gettext.translation(
            "sphinx", Path(sphinx.__file__).parent / "locale", [language], fallback=True
        )
    except ImportError:  # the tests' environment: only the book's catalog
        builtin = gettext.NullTranslations()

    def translate(msgid):
        own = bookconfig.translate(language, msgid)
        return own if own != msgid else builtin.gettext(msgid)

    return {
        "front": [translate("Contents"), translate("Release")],
        "body": [f"{translate('Modern note')} · Tornado"],
        "han": None if entry["status"] == "in-progress" else entry["cjk"],
        "in_progress": entry["status"] == "in-progress",
    }


def missing_characters(log):
    """Every character that no font had, once each, as 'x (U+0078)'."""
    found = {f"{char} (U+{code})": None for char, code in MISSING.findall(log)}
    return list(found)


def missing_fonts(log):
    return sorted(set(NO_FONT.findall(log)))


def missing_files(log):
    """LaTeX packages (file.sty) and TeX fonts (name) that TeX Live does not have."""
    return sorted({file or font for file, font in NO_FILE.findall(log)})


def overfull_boxes(log):
    """(points too wide, first .tex line, last .tex line) of every overfull horizontal box."""
    boxes = {}  # a box TeX measured twice (tables are set twice) is one box
    for match in OVERFULL.finditer(log):
        lines = [int(n) for n in match.groups()[1:] if n is not None]
        boxes[float(match[1]), lines[0], lines[-1]] = None
    return list(boxes)


def listing_lines(tex):
    """The .tex line numbers inside sphinxVerbatim environments: the book's listings."""
    inside, lines = False, set()
    for number, line in enumerate(tex.splitlines(), start=1):
        if line.startswith(r"\begin{sphinxVerbatim}"):
            inside = True
        if inside:
            lines.add(number)
        if line.startswith(r"\end{sphinxVerbatim}"):
            inside = False
    return lines


def overflows(log, tex):
    """Overfull boxes split into (listings, running text), each a list of (points, line)."""
    in_listing = listing_lines(tex)
    listings, text = [], []
    for points, first, last in overfull_boxes(log):
        where = listings if in_listing & set(range(first, last + 1)) else text
        where.append((points, first))
    return listings, text


def page_count(pdfinfo):
    match = re.search(r"^Pages:\s+(\d+)", pdfinfo, re.M)
    return int(match[1]) if match else 0


def unembedded_fonts(pdffonts):
    """Names of the fonts that pdffonts lists as not embedded ('emb' column 'no')."""
    lines = pdffonts.splitlines()
    header = next((i for i, line in enumerate(lines) if line.startswith("name ")), None)
    if header is None:
        return []
    emb = lines[header].index(" emb ") + 1
    return [line.split()[0] for line in lines[header + 2 :] if line[emb : emb + 3] == "no "]


def squeeze(text):
    """Text without whitespace, case folded: pdftotext spaces CJK and Latin runs its own way,
    and a heading style may print CONTENTS for Contents."""
    return WHITESPACE.sub("", text).casefold()


def chapter_titles(tex):
    return [title.strip() for title in CHAPTER.findall(tex)]


def text_problems(language, tex, text, front):
    """What is wrong with the text read back from the PDF, against the .tex it came from."""
    problems = []
    if "\ufffd" in text:
        problems.append("the text has U+FFFD replacement characters: a font has no Unicode map")
    whole, titles, words = squeeze(text), chapter_titles(tex), labels(language)
    if not titles:
        problems.append("no chapter titles in the .tex")
    for title in titles:
        if squeeze(title) not in whole:
            problems.append(f"chapter title not found in the PDF's text: {title}")
        if words and words["han"] is not None and bool(HAN.search(title)) != words["han"]:
            problems.append(f"chapter title in the wrong language for {language}: {title}")
    if words is None:  # not an edition of docs/editions.toml
        return problems
    front_text = squeeze(front)
    # An edition in progress may still show the source's word where its page catalog has not
    # translated it yet (LaTeX's contents heading is the index page's toctree caption, 目录).
    source = (
        labels(bookconfig.SOURCE)["front"] if words["in_progress"] else [None] * len(words["front"])
    )
    for word, fallback in zip(words["front"], source, strict=True):
        if squeeze(word) not in front_text and not (fallback and squeeze(fallback) in front_text):
            problems.append(f"{word!r} missing from the title page and contents")
    for other in bookconfig.built():
        if other == language or words["in_progress"] and other == bookconfig.SOURCE:
            continue
        for word in labels(other)["front"]:
            if squeeze(word) in front_text:
                problems.append(f"{word!r} ({other}) on the title page or contents")
    for word in words["body"]:
        if squeeze(word) not in whole:
            problems.append(f"{word!r} not found in the PDF's text")
    return problems


def log_problems(log, tex):
    """What is wrong according to XeLaTeX's log, and a one-line summary of the listings."""
    problems = [
        f"font not installed: {font} (Debian: apt-get install fonts-noto-cjk)"
        for font in missing_fonts(log)
    ]
    problems += [f"TeX Live has no {name}" for name in missing_files(log)]
    problems += [f"no font has the character {char}" for char in missing_characters(log)]
    listings, text = overflows(log, tex)
    for points, line in listings:
        if points > MAX_LISTING_OVERFLOW:
            problems.append(f"listing {points:.1f}pt wider than the page at .tex line {line}")
    widest = max((points for points, _ in listings), default=0.0)
    summary = f"listings: widest overflow {widest:.1f}pt; {len(text)} overfull lines of text"
    if text:
        summary += f" (widest {max(points for points, _ in text):.1f}pt)"
    return problems, summary


def run(*command):
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pdf", type=Path)
    parser.add_argument("--lang", required=True)
    parser.add_argument("--min-pages", type=int, default=100)
    parser.add_argument("--log-only", action="store_true", help="check only the XeLaTeX log")
    args = parser.parse_args(argv)
    log = args.pdf.with_suffix(".log").read_text("utf-8", errors="replace")
    tex = args.pdf.with_suffix(".tex").read_text("utf-8")
    problems, summary = log_problems(log, tex)
    if not args.log_only:
        pages = page_count(run("pdfinfo", str(args.pdf)))
        summary = f"{pages} pages; {summary}"
        if pages < args.min_pages:
            problems.append(f"{pages} pages, expected at least {args.min_pages}")
        problems += [
            f"font not embedded: {font}"
            for font in unembedded_fonts(run("pdffonts", str(args.pdf)))
        ]
        text = run("pdftotext", "-enc", "UTF-8", str(args.pdf), "-")
        front = run("pdftotext", "-enc", "UTF-8", "-l", str(FRONT_PAGES), str(args.pdf), "-")
        problems += text_problems(args.lang, tex, text, front)
    print(f"{args.pdf.name}: {summary}")
    for problem in problems:
        print(f"  {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
