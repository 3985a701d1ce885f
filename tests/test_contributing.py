"""CONTRIBUTING.md's repository map (仓库结构) names every top-level folder and nox session,
and the maintainers' pages point at nothing outside the repository."""

import re
from pathlib import Path

import pytest

from tests.transcript import nox_sessions

ROOT = Path(__file__).resolve().parents[1]
CONTRIBUTING = ROOT / "CONTRIBUTING.md"


def repository_map():
    text = CONTRIBUTING.read_text(encoding="utf-8")
    return re.search(r"^## 仓库结构\n.*?^```text\n(.*?)^```$", text, re.M | re.S)[1]


def top_level_folders():
    """The repository's folders: those on disk that .gitignore does not ignore."""
    ignored = {".git"}
    for line in (ROOT / ".gitignore").read_text(encoding="utf-8").splitlines():
        if re.fullmatch(r"[\w.-]+/", line):
            ignored.add(line.rstrip("/"))
    return {p.name for p in ROOT.iterdir() if p.is_dir() and p.name not in ignored}


def named_folders():
    """The top-level folders the map's lines start with: `docs/`, `docs/pot/` both name docs."""
    return set(re.findall(r"^(\.?[\w-]+)/", repository_map(), re.M))


def test_the_map_names_every_top_level_folder():
    missing = top_level_folders() - named_folders()
    assert not missing, f"CONTRIBUTING.md's 仓库结构 does not name {sorted(missing)}"


def test_every_folder_the_map_names_exists():
    assert named_folders() <= top_level_folders()


def test_the_map_names_every_nox_session():
    words = set(re.findall(r"[\w-]+", repository_map()))
    missing = nox_sessions() - words
    assert not missing, f"CONTRIBUTING.md's 仓库结构 does not name the sessions {sorted(missing)}"


@pytest.mark.parametrize("name", ["CONTRIBUTING.md", "MAINTAINING.md", "README.md"])
def test_nothing_outside_the_repository_is_referred_to(name):
    text = (ROOT / name).read_text(encoding="utf-8")
    assert not re.search(r"(?<![\w.])\.\./", text), f"{name} points outside the repository"
