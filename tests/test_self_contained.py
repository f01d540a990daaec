"""A clone needs nothing beside it: no code, test or build step names a sibling folder."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Built from parts so that this file does not name what it looks for.
SIBLING = re.compile(r"\.\./" + "shared" + r"|parents\[\d\]\s*/\s*['\"]" + "shared" + "['\"]")
SCANNED = ("src", "tests", "bench")
SUFFIXES = {".py", ".md", ".toml", ".txt", ".sh", ".cfg", ".ini", ".json", ".yml", ".yaml"}


def _files() -> list[Path]:
    files = [ROOT / "Makefile", ROOT / ".ci" / "run", ROOT / "pyproject.toml"]
    for folder in SCANNED:
        files += [p for p in (ROOT / folder).rglob("*") if p.is_file() and p.suffix in SUFFIXES]
    return [p for p in files if "node_modules" not in p.parts and not any(x.endswith(".egg-info") for x in p.parts)]


def test_nothing_names_a_sibling_folder() -> None:
    offenders = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in _files()
        for number, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1)
        if SIBLING.search(line)
    ]
    assert offenders == [], offenders


def test_the_pattern_finds_what_it_is_for() -> None:
    # The scan above must be able to fail: both spellings of a sibling path are caught.
    assert SIBLING.search('DATA = Path(__file__).resolve().parents[2] / "' + "shared" + '" / "data"')
    assert SIBLING.search("see ../" + "shared/data/README.md")


def test_reference_data_is_in_the_repository_with_its_notice() -> None:
    reference = ROOT / "data" / "reference"
    for name in (
        "hs2022/harmonized-system.csv",
        "hmrc-fpo/vague_terms.csv",
        "uk-tariff-fixture/commodity_0101210000.json",
    ):
        assert (reference / name).stat().st_size > 0, name
    notice = (ROOT / "NOTICE").read_text(encoding="utf-8")
    for folder in ("hs2022", "hmrc-fpo", "uk-tariff-fixture"):
        assert f"data/reference/{folder}/" in notice
    # Small files only: the repository is no place for bulk data.
    assert all(p.stat().st_size < 1_000_000 for p in reference.rglob("*") if p.is_file())
