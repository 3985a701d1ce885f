"""Seed an edition's catalogs from the Chinese source with OpenCC (the zh_TW edition).

    nox -s translations -- --convert zh_TW     # runs: python tools/zh_convert.py zh_TW

An edition with `convert = "<OpenCC config>"` in docs/editions.toml (zh_TW: "s2twp", Simplified
to Traditional with Taiwan's phrases) is written by this tool, not by hand:

- every message of a page not yet in the edition's `reviewed` list gets the conversion of its
  msgid (run again after the source or the catalogs' format changed: the output is the same);
- a reviewed page is a reviewer's work: only its untranslated messages are filled in, marked
  `#, fuzzy` for the reviewer;
- code spans (`...`), role targets ({ref}`text <target>`, {ctrl-c}`8000`), link targets
  ([text](ch01.md#锚点)), URLs and HTML tags are copied byte for byte: OpenCC never sees them;
- the book's words come from docs/glossary.toml: each [[term]]'s zh_TW (so a term is written
  the same everywhere) and each [[conversion]] (a word OpenCC gets wrong for this book);
- the interface catalog, docs/_theme_locales/<code>/LC_MESSAGES/sphinx.po, is converted from the
  source edition's the same way.
"""

import re
import sys
import tomllib
from pathlib import Path

from babel.messages.pofile import read_po

try:
    from tools import catalogs  # imported as tools.zh_convert (the tests)
except ImportError:
    import catalogs  # run as tools/zh_convert.py

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
sys.path.insert(0, str(DOCS / "_ext"))
import editions  # noqa: E402

# Copied unchanged: code spans (any number of backticks), a role's name, link targets, URLs, tags.
PROTECTED = re.compile(
    r"(?P<code>(`+)(?:(?!\2).)+?\2)"  # `code`, ``co`de``, and {role}`...` (the role name: ASCII)
    r"|\]\((?P<link>[^()\s]*(?:\([^()\s]*\)[^()\s]*)*)\)"  # [text](target)
    r"|(?P<url>https?://[^\s<>()\"“”]+)"
    r"|(?P<tag></?[A-Za-z][^<>\n]*>)",
    re.DOTALL,
)
PRIVATE = 0xF0000  # placeholders: private-use characters OpenCC passes through


def glossary_exceptions(path=DOCS / "glossary.toml"):
    """{zh_CN: zh_TW} for every term and conversion, longest first. A term is placed whole even
    where OpenCC converts it right on its own: in context OpenCC may cut it differently
    (样式表链接 came out as 樣式錶鏈接)."""
    data = tomllib.loads(Path(path).read_text("utf-8"))
    found = {}
    for term in data.get("term", []):
        if term.get("zh_TW") and term["zh_TW"] != term["zh_CN"]:
            found[term["zh_CN"]] = term["zh_TW"]
    for entry in data.get("conversion", []):
        found[entry["zh_CN"]] = entry["zh_TW"]
    return dict(sorted(found.items(), key=lambda item: -len(item[0])))


class Converter:
    def __init__(self, config):
        import opencc

        self.opencc = opencc.OpenCC(config)
        self.exceptions = glossary_exceptions()

    def convert(self, text):
        """`text` in the edition's script; protected spans and glossary words placed back."""
        kept = []

        def hold(value):
            kept.append(value)
            return chr(PRIVATE + len(kept) - 1)

        def protect(match):
            if match["link"] is not None:
                return "](" + hold(match["link"]) + ")"
            return hold(match.group())

        text = PROTECTED.sub(protect, text)
        for source, target in self.exceptions.items():
            text = text.replace(source, hold(target))
        text = self.opencc.convert(text)
        return re.sub(r"[\U000f0000-\U000fffff]", lambda m: kept[ord(m.group()) - PRIVATE], text)


def convert_catalog(path, converter, reviewed):
    with path.open("rb") as f:
        catalog = read_po(f)
    for message in catalog:
        if not message.id or not isinstance(message.id, str):
            continue
        if reviewed and message.string and not message.fuzzy:
            continue  # a reviewer's translation
        message.string = converter.convert(message.id)
        if reviewed:
            message.flags.add("fuzzy")
        else:
            message.flags.discard("fuzzy")
    catalogs.write_if_changed(path, catalogs.render(catalog))  # as msgcat writes it


def convert_interface(code, converter):
    """The edition's interface catalog: the source edition's msgstrs, converted."""
    source = editions.interface_catalog(editions.SOURCE)
    with source.open("rb") as f:
        catalog = read_po(f, locale=code)
    for message in catalog:
        if message.id and isinstance(message.id, str) and message.string:
            message.string = converter.convert(message.string)
    catalogs.set_header(catalog, code, interface=True)  # the header the update writes
    target = editions.interface_catalog(code)
    target.parent.mkdir(parents=True, exist_ok=True)
    catalogs.write_if_changed(target, catalogs.render(catalog))


def main(code):
    entry = editions.editions().get(code)
    if not entry or not entry.get("convert"):
        sys.exit(f"error: docs/editions.toml has no `convert` for [editions.{code}]")
    converter = Converter(entry["convert"])
    reviewed = {Path(page).as_posix() for page in entry["reviewed"]}
    pos = editions.catalogs(code)
    if not pos:
        sys.exit(f"error: no catalogs for {code}: run `nox -s translations -- --new {code}`")
    folder = DOCS / "locales" / code / "LC_MESSAGES"
    for po in pos:
        page = po.relative_to(folder).with_suffix("").as_posix()
        convert_catalog(po, converter, page in reviewed)
    convert_interface(code, converter)
    print(f"{code}: converted {len(pos)} catalogs with OpenCC {entry['convert']}"
          f" ({len(reviewed)} reviewed page(s) only filled in)")  # fmt: skip
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__.strip().splitlines()[2].strip())
    sys.exit(main(sys.argv[1]))
