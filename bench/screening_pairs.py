"""Build data/screening/name_pairs.csv, the labelled name pairs, from data/screening/aliases.txt.

    .venv/bin/python bench/screening_pairs.py [--check]

Deterministic: the same aliases file gives the same pairs, byte for byte (``--check`` fails when the
committed CSV is not what the aliases give). See data/screening/README.md for what the pairs are.

- positives: two published spellings of one listed party (at most ``POSITIVES_PER_PARTY`` pairs
  drawn at random, seeded by the party), plus, for about half the parties (``DERIVED_SHARE``), one
  derived variant of the party's first Latin spelling: a typo (one letter dropped, doubled, swapped
  or replaced in its longest word), "LAST, First" for a person, another legal form for an entity;
- negatives: a listed party with each near name written for it (not listed); two different listed
  parties that share a word ("Bank Melli Iran" / "Bank Saderat Iran", two Rotenbergs, two "Korea
  ... Trading Corporation"), at most ``SHARED_PER_PARTY`` per party; and each party with the
  ``NEAREST_PER_PARTY`` other parties of its part and kind nearest by rapidfuzz's token_sort_ratio
  (an independent measure, not the score under test);
- the part: each party falls in the calibration or the held-out part by a hash of its id, and a
  negative between two parties is only made when both fall in the same part, so that no party
  (and none of its spellings) is seen in both parts.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import itertools
import random
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from anyascii import anyascii
from rapidfuzz import fuzz

from clearway.risk.screening.normalise import LEGAL_FORMS

DATA = Path(__file__).resolve().parent.parent / "data" / "screening"
POSITIVES_PER_PARTY = 2
SHARED_PER_PARTY = 5
NEAREST_PER_PARTY = 4
DERIVED_SHARE = 0.5
HELD_OUT_SHARE = 0.5
# Words too common to make two parties "share a word" worth a hard negative.
_COMMON = LEGAL_FORMS | {
    "of",
    "the",
    "and",
    "de",
    "del",
    "for",
    "in",
    "al",
    "el",
    "ul",
    "ud",
    "bin",
    "ibn",
    "la",
    "los",
}
_WORD = re.compile(r"[a-z0-9]+")
_LEGAL_SWAPS = [("Co., Ltd", "Company Limited"), ("LLC", "L.L.C."), ("Ltd", "Limited"), ("JSC", "AO"), ("PJSC", "PAO")]


@dataclass(frozen=True)
class Party:
    id: str
    kind: str  # person or entity
    names: list[str]


def read_aliases(text: str) -> tuple[list[Party], list[tuple[str, str]]]:
    parties: list[Party] = []
    near: list[tuple[str, str]] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        cells = [c.strip() for c in line.split("|")]
        if cells[0] == "near":
            near.append((cells[1], cells[2]))
            continue
        names = list(dict.fromkeys(n.strip() for n in cells[3].split(";") if n.strip()))
        parties.append(Party(cells[0], cells[1], names))
    ids = {p.id for p in parties}
    unknown = [party for party, _ in near if party not in ids]
    if unknown or len(ids) != len(parties):
        raise SystemExit(f"unknown or repeated party ids: {unknown or 'repeated'}")
    return parties, near


def base(party_id: str) -> str:
    """The listed party an id names: ``"zarqawi-abu-musab~kunya"`` is another name of ``"zarqawi-abu-musab"``."""
    return party_id.partition("~")[0]


def part_of(party_id: str) -> str:
    digest = int.from_bytes(hashlib.sha256(base(party_id).encode()).digest()[:8], "big")
    return "held-out" if digest / 2**64 < HELD_OUT_SHARE else "calibration"


def words(name: str) -> list[str]:
    return _WORD.findall(anyascii(name).casefold())


def is_latin(name: str) -> bool:
    return anyascii(name) == name or all(ch.isascii() or (ch.isalpha() and ord(ch) < 0x250) for ch in name)


def kind_of_pair(a: str, b: str) -> str:
    """What tells two spellings apart, checked from the plainest difference to the hardest."""
    if not (is_latin(a) and is_latin(b)):
        return "original script"
    wa, wb = words(a), words(b)
    if wa == wb:
        return "diacritics or punctuation"
    core_a = [w for w in wa if w not in LEGAL_FORMS]
    core_b = [w for w in wb if w not in LEGAL_FORMS]
    if core_a == core_b:
        return "legal form"
    if sorted(core_a) == sorted(core_b):
        return "reorder"
    if "".join(core_a) == "".join(core_b):
        return "hyphenation or spacing"
    if set(core_a) < set(core_b) or set(core_b) < set(core_a):
        return "words added or dropped"
    return "transliteration"


def typo(rng: random.Random, name: str) -> str:
    parts = name.split()
    # The longest word of letters only: a typo next to a hyphen would also be a spacing change.
    i = max(range(len(parts)), key=lambda k: (parts[k].isalpha(), len(parts[k]), -k))
    w = parts[i]
    p = rng.randrange(1, len(w) - 1)
    edit = rng.choice(["swap", "drop", "double", "replace"])
    if edit == "swap":
        w = w[:p] + w[p + 1] + w[p] + w[p + 2 :]
    elif edit == "drop":
        w = w[:p] + w[p + 1 :]
    elif edit == "double":
        w = w[:p] + w[p] + w[p:]
    else:
        w = w[:p] + rng.choice([c for c in "aeioulnrst" if c != w[p].lower()]) + w[p + 1 :]
    parts[i] = w
    return " ".join(parts)


def derived(rng: random.Random, party: Party) -> tuple[str, str, str] | None:
    """(listed spelling, variant, kind): a typo, a reordering or another legal form of the first Latin spelling."""
    latin = [n for n in party.names if is_latin(n) and "," not in n and len(n.split()) >= 2]
    if not latin:
        return None
    base = latin[0]
    choice = rng.random()
    if party.kind == "person" and choice < 0.35:
        *given, last = base.split()
        return base, f"{last.upper()}, {' '.join(given)}", "reorder (derived)"
    if party.kind == "entity" and choice < 0.35:
        for short, full in _LEGAL_SWAPS:
            if base.endswith(" " + short):
                return base, base.removesuffix(short) + full, "legal form (derived)"
        return base, f"{base} {rng.choice(['LLC', 'Ltd', 'Co., Ltd', 'JSC', 'GmbH', 'S.A.'])}", "legal form (derived)"
    if max(len(w) for w in base.split()) < 5:
        return None
    return base, typo(rng, base), "typo (derived)"


def positives(party: Party) -> list[tuple[str, str, str]]:
    rng = random.Random(party.id)
    pairs = list(itertools.combinations(party.names, 2))
    chosen = rng.sample(pairs, min(len(pairs), POSITIVES_PER_PARTY))
    rows = [(a, b, kind_of_pair(a, b)) for a, b in chosen]
    if rng.random() < DERIVED_SHARE and (extra := derived(rng, party)) is not None:
        rows.append(extra)
    return rows


def shared_negatives(parties: list[Party]) -> list[tuple[Party, str, Party, str]]:
    """Pairs of different parties of one part sharing a word, each party in at most SHARED_PER_PARTY."""
    vocab = {p.id: {w for n in p.names for w in words(n) if w not in _COMMON and len(w) >= 2} for p in parties}
    used: dict[str, int] = {}
    found: list[tuple[Party, str, Party, str]] = []
    for a, b in itertools.combinations(parties, 2):
        shared = vocab[a.id] & vocab[b.id]
        if not shared or base(a.id) == base(b.id) or part_of(a.id) != part_of(b.id):
            continue
        if used.get(a.id, 0) >= SHARED_PER_PARTY or used.get(b.id, 0) >= SHARED_PER_PARTY:
            continue
        rng = random.Random(f"{a.id}/{b.id}")
        word = sorted(shared)[0]
        name_a = rng.choice([n for n in a.names if word in words(n)])
        name_b = rng.choice([n for n in b.names if word in words(n)])
        found.append((a, name_a, b, name_b))
        used[a.id] = used.get(a.id, 0) + 1
        used[b.id] = used.get(b.id, 0) + 1
    return found


def nearest_negatives(parties: list[Party]) -> list[tuple[Party, str, Party, str]]:
    """Each party with the NEAREST_PER_PARTY other parties of its part and kind nearest in spelling."""
    found: list[tuple[Party, str, Party, str]] = []
    latin = {p.id: [n for n in p.names if is_latin(n)] for p in parties}
    for a in parties:
        best: list[tuple[float, str, str, str]] = []
        for b in parties:
            if base(b.id) == base(a.id) or b.kind != a.kind or part_of(a.id) != part_of(b.id):
                continue
            for na in latin[a.id]:
                for nb in latin[b.id]:
                    best.append((fuzz.token_sort_ratio(na.casefold(), nb.casefold()), b.id, na, nb))
        best.sort(key=lambda t: (-t[0], t[1], t[2], t[3]))
        seen: set[str] = set()
        for _, b_id, na, nb in best:
            if len(seen) >= NEAREST_PER_PARTY:
                break
            if b_id not in seen:
                seen.add(b_id)
                found.append((a, na, next(p for p in parties if p.id == b_id), nb))
    return found


def build(text: str) -> str:
    parties, near = read_aliases(text)
    by_id = {p.id: p for p in parties}
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["name_a", "name_b", "match", "kind", "party_a", "party_b", "part"])
    for party in parties:
        for a, b, kind in positives(party):
            writer.writerow([a, b, 1, kind, party.id, party.id, part_of(party.id)])
    for party_id, name in near:
        party = by_id[party_id]
        listed = random.Random(f"{party_id}/{name}").choice([n for n in party.names if is_latin(n)])
        writer.writerow([name, listed, 0, "near name (not listed)", "", party_id, part_of(party_id)])
    written: set[frozenset[str]] = set()
    for source, negatives in (("shared word", shared_negatives(parties)), ("nearest", nearest_negatives(parties))):
        for a, name_a, b, name_b in negatives:
            if frozenset((base(a.id), base(b.id))) in written:
                continue
            written.add(frozenset((base(a.id), base(b.id))))
            kind = f"{source} other party ({a.kind}/{b.kind})"
            writer.writerow([name_a, name_b, 0, kind, a.id, b.id, part_of(a.id)])
    return out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="fail when the committed CSV differs")
    args = parser.parse_args()
    built = build((DATA / "aliases.txt").read_text(encoding="utf-8"))
    target = DATA / "name_pairs.csv"
    if args.check:
        if target.read_text(encoding="utf-8") != built:
            sys.exit(f"{target} is not what {DATA / 'aliases.txt'} gives: run bench/screening_pairs.py")
        return
    target.write_text(built, encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(built)))
    for part in ("calibration", "held-out"):
        mine = [r for r in rows if r["part"] == part]
        pos = sum(r["match"] == "1" for r in mine)
        print(f"{part:<12} {len(mine):>4} pairs, {pos} positives ({pos / len(mine):.0%})")


if __name__ == "__main__":
    main()
