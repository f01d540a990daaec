"""The training data: HS 2022 nomenclature texts and HMRC's labelled parcel descriptions, read from
the repository's ``data/reference/`` (see its README and NOTICE), and the held-out split.

Examples are (text, HS-6 code, source, group). Sources:

- ``nomenclature``: one text per HS 2022 subheading, its own description followed by its heading's
  ("Other" alone says nothing; "Other; Dresses..." does);
- ``search``: HMRC's search references (``search_references.json``: a term -> 10-digit code);
- ``parcel``: HMRC's extra references (``extra_references.csv``: descriptions as parcels carry
  them -> 8/10-digit code) and the goods descriptions of ``brands.csv``;
- ``corrections``: labelled examples the caller passes in (an officer's corrected codes).

A code whose first six digits are no HS 2022 subheading (HMRC's file has a few typing slips, such as
"dark brun") is left out and counted in the manifest.

The split holds out whole groups, not rows: the group of a reference is its first word ("always
discreet liners 24s" and "always infinity night 10s" are one brand's products, "abalone" and
"abalone, prepared or preserved" one term), so near-duplicates never straddle train and test.
Groups go to the test side by a hash of the group, about ``test_share`` of them: deterministic and
the same on every machine. The nomenclature texts are always training data: they define the codes.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from clearway.dataset.text import normalise_for_matching

FILES: Final = {
    "nomenclature": "hs2022/harmonized-system.csv",
    "search": "hmrc-fpo/search_references.json",
    "parcel": "hmrc-fpo/extra_references.csv",
    "brands": "hmrc-fpo/brands.csv",
}
_FIRST_WORD: Final = re.compile(r"[^\W\d_]{2,}")


@dataclass(frozen=True, slots=True)
class Example:
    text: str
    code: str  # HS-6
    source: str
    group: str


@dataclass(frozen=True, slots=True)
class Node:
    """One line of the nomenclature: a chapter, heading or subheading with its text."""

    code: str
    text: str
    parent: str


@dataclass
class Corpus:
    nomenclature: dict[str, Node]  # every chapter (2), heading (4) and subheading (6) by code
    examples: list[Example]
    brand_words: frozenset[str]
    files: dict[str, str]  # relative path -> SHA-256
    skipped: dict[str, int] = field(default_factory=dict)

    @property
    def subheadings(self) -> list[str]:
        return sorted(c for c in self.nomenclature if len(c) == 6)

    def path_text(self, code: str) -> str:
        """A subheading's text with its heading's and chapter's: what a reason shows."""
        node = self.nomenclature[code]
        heading = self.nomenclature.get(code[:4])
        chapter = self.nomenclature.get(code[:2])
        parts = [node.text] + [n.text for n in (heading, chapter) if n is not None]
        return " | ".join(parts)


def group_of(text: str) -> str:
    """The group a labelled description is held out with: its first word of two letters or more."""
    found = _FIRST_WORD.search(normalise_for_matching(text))
    return found.group() if found else normalise_for_matching(text)


def is_test(group: str, test_share: float) -> bool:
    digest = hashlib.sha256(group.encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < test_share


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _nomenclature(path: Path) -> dict[str, Node]:
    nodes: dict[str, Node] = {}
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            code = row["hscode"]
            # 999999 is UN Comtrade's bucket of goods not specified, no subheading (see risk.reference).
            if row["level"] in {"2", "4", "6"} and code.isdigit() and not code.startswith("99"):
                nodes[code] = Node(code, row["description"].strip(), row["parent"])
    return nodes


def _labelled(
    rows: Iterable[tuple[str, str]], source: str, valid: set[str], skipped: dict[str, int]
) -> Iterator[Example]:
    for text, raw in rows:
        code = raw.strip()[:6]
        if not text.strip() or code not in valid:
            skipped[source] = skipped.get(source, 0) + 1
            continue
        yield Example(text.strip(), code, source, group_of(text))


def _brand_rows(path: Path) -> tuple[list[tuple[str, str]], set[str]]:
    rows, brands = [], set()
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            rows.append((row["GDSDESC"], row["CMDTYCODE"]))
            product = (row.get("Description for context / augmenting") or "").strip()
            brand = (row.get("GDSDESC (Brand / Product)") or "").strip()
            # The brand column names brand and product together unless the context column holds
            # the product: only then is it the brand alone.
            if brand and product:
                brands.add(brand)
    return rows, brands


def load(root: Path, corrections: Iterable[tuple[str, str]] = ()) -> Corpus:
    """Read the reference files under ``root`` (``data/reference``) and the caller's corrections."""
    missing = [rel for rel in FILES.values() if not (root / rel).is_file()]
    if missing:
        raise FileNotFoundError(f"reference data not found under {root}: {', '.join(missing)}")
    nodes = _nomenclature(root / FILES["nomenclature"])
    valid = {c for c in nodes if len(c) == 6}
    skipped: dict[str, int] = {}
    examples = [
        Example(f"{nodes[c].text}; {nodes[c[:4]].text}" if c[:4] in nodes else nodes[c].text, c, "nomenclature", c)
        for c in sorted(valid)
    ]
    search = json.loads((root / FILES["search"]).read_text(encoding="utf-8"))
    if not isinstance(search, dict):
        raise ValueError(f"{FILES['search']}: expected an object of term -> code")
    examples += _labelled(((str(k), str(v)) for k, v in sorted(search.items())), "search", valid, skipped)
    with (root / FILES["parcel"]).open(encoding="utf-8", newline="") as handle:
        parcel = [(r["Goods Description"], r["Commodity Code"]) for r in csv.DictReader(handle)]
    examples += _labelled(parcel, "parcel", valid, skipped)
    brand_rows, brands = _brand_rows(root / FILES["brands"])
    examples += _labelled(brand_rows, "parcel", valid, skipped)
    examples += _labelled(corrections, "corrections", valid, skipped)
    nomenclature_words = {w for n in nodes.values() for w in _FIRST_WORD.findall(normalise_for_matching(n.text))}
    # Generic words (in the nomenclature or among HMRC's search terms, which name no brand) are no brand.
    generic = nomenclature_words | {w for t in search for w in _FIRST_WORD.findall(normalise_for_matching(str(t)))}
    # The first word of a brand's name is its own ("muller" of "Muller Frijj"); later words are often products.
    brand_words = {f[0] for b in brands if (f := _FIRST_WORD.findall(normalise_for_matching(b)))} - generic
    files = {rel: sha256(root / rel) for rel in FILES.values()}
    return Corpus(nodes, examples, frozenset(brand_words), files, skipped)


def split(examples: list[Example], test_share: float = 0.2) -> tuple[list[Example], list[Example]]:
    """Train and test: labelled references by group; nomenclature texts always train."""
    train: list[Example] = []
    test: list[Example] = []
    for example in examples:
        held = example.source != "nomenclature" and is_test(example.group, test_share)
        (test if held else train).append(example)
    return train, test
