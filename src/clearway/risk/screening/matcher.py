"""Screening of a batch's parties, addresses, phones, e-mails and transport documents against lists.

Names and addresses are matched fuzzily (scoring.py: the score, and the blocking keys that keep a
batch from being compared with every listed value); phones, e-mails and transport documents exactly,
once normalised (normalise.py), since a phone number one digit off is another phone.

Threshold. ``DEFAULT_THRESHOLD`` = 0.88 was calibrated on the pairs of tests/risk/screening/
test_matcher.py: names transliterated from Cyrillic, Chinese and Arabic, reordered, with another legal
form or a typo score 0.889 or more (the lowest: "John Smith" / "Jon Smyth", two letters in nine), and
different names, including ones sharing a surname, a first name or a business word, 0.875 or less
(the highest: "Zhang Wei" / "Zhang Wen"). One edit in nine letters passes, in eight it does not.
Blocking is complete at 0.88 and above in the tests; under it, it may miss pairs (about 2% at 0.85).

Common keys. A key shared by more than 1% of the listed values (and at least 100 of them), such as
the skeleton "bn" (bin) or the word "street" in a list of addresses, is not looked up: a pair that
shares only such a word, and no other word or compact form within an edit, is far under the threshold.

Batch. ``screen_frame`` screens each distinct value of a batch once (thousands of consignments share
a seller; a buyer is often the consignee too) and adds two columns: ``screening_score``, the best score
over the screened fields (exact at and above the threshold; below it, the best of the candidates
blocking found, for sorting near misses; 0.0 when none), and ``screening_hits``, one
``"list_name:entry_id:field:score"`` per listed entry hit at or above the threshold, per field.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import polars as pl

from clearway.risk.screening.lists import Kind, WatchEntry
from clearway.risk.screening.normalise import normalise_document, normalise_email, normalise_phone
from clearway.risk.screening.scoring import Prepared, blocking_keys, prepare_address, prepare_name, similarity

DEFAULT_THRESHOLD = 0.88
STOP_FRACTION = 0.01
STOP_MIN = 100
# The risk frame's columns screened, and the kind of listed value each is screened against.
FIELDS: dict[str, Kind] = {
    "seller_name": "party",
    "buyer_name": "party",
    "consignee_name": "party",
    "buyer_address": "address",
    "buyer_phone": "phone",
    "buyer_email": "email",
    "transport_document": "transport_document",
}
EXACT_NORMALISERS: dict[str, Callable[[str], str]] = {
    "phone": normalise_phone,
    "email": normalise_email,
    "transport_document": normalise_document,
}


@dataclass(frozen=True, slots=True)
class Match:
    """A listed entry a value matched, with the score (in [0, 1]) of its best-matching value."""

    entry: WatchEntry
    score: float


@dataclass(frozen=True, slots=True)
class Screened:
    """What one value gave: its best score and its hits (entry index, score), best first."""

    best: float
    hits: list[tuple[int, float]]


class _FuzzyFile:
    """The distinct prepared values of one kind (party or address), filed under their blocking keys."""

    def __init__(self, prepare: Callable[[str], Prepared], use_sets: bool, skeletons: bool) -> None:
        self.prepare = prepare
        self.use_sets = use_sets
        self.skeletons = skeletons
        self.values: list[Prepared] = []
        self.owners: list[list[int]] = []  # entry indexes per value
        self.postings: dict[str, list[int]] = {}
        self._ids: dict[Prepared, int] = {}

    def add(self, raw: str, entry: int) -> None:
        p = self.prepare(raw)
        if not p.compact:
            return
        value_id = self._ids.get(p)
        if value_id is None:
            value_id = self._ids[p] = len(self.values)
            self.values.append(p)
            self.owners.append([])
            spaces = (("A§",) if p.abjad else ("L§",)) if self.skeletons else ()
            for k in blocking_keys(p, spaces):
                self.postings.setdefault(k, []).append(value_id)
        self.owners[value_id].append(entry)

    def search(self, q: Prepared) -> list[tuple[int, float]]:
        """Each blocked candidate value's id and score."""
        if not q.compact:
            return []
        # A Latin name is looked up among the skeletons of Arabic-script values; an Arabic one among both.
        spaces = (("A§", "L§") if q.abjad else ("A§",)) if self.skeletons else ()
        get = self.postings.get
        found = [ids for k in blocking_keys(q, spaces) if (ids := get(k)) is not None]
        stop = max(STOP_MIN, int(STOP_FRACTION * len(self.values)))
        values, use_sets = self.values, self.use_sets
        candidates = set().union(*(ids for ids in found if len(ids) <= stop))
        return [(c, similarity(q, values[c], use_sets)) for c in candidates]


class ScreeningIndex:
    """The lists screened against, indexed for blocking (names, addresses) or exact lookup (the others)."""

    def __init__(self, entries: list[WatchEntry]) -> None:
        self.entries = entries
        self._fuzzy = {
            "party": _FuzzyFile(prepare_name, use_sets=True, skeletons=True),
            "address": _FuzzyFile(prepare_address, use_sets=False, skeletons=False),
        }
        self._exact: dict[str, dict[str, list[int]]] = {kind: {} for kind in EXACT_NORMALISERS}

    @classmethod
    def build(cls, entries: Iterable[WatchEntry]) -> ScreeningIndex:
        index = cls(list(entries))
        for i, entry in enumerate(index.entries):
            fuzzy = index._fuzzy.get(entry.kind)
            if fuzzy is not None:
                fuzzy.add(entry.value, i)
                continue
            key = EXACT_NORMALISERS[entry.kind](entry.value)
            if key:
                index._exact[entry.kind].setdefault(key, []).append(i)
        return index

    def __len__(self) -> int:
        return len(self.entries)

    def screen_value(self, kind: Kind, raw: str, threshold: float = DEFAULT_THRESHOLD) -> Screened | None:
        """One value's best score and its hits at or above the threshold, one per listed entry; None if no candidate."""
        fuzzy = self._fuzzy.get(kind)
        if fuzzy is None:
            found = self._exact[kind].get(EXACT_NORMALISERS[kind](raw))
            return Screened(1.0, [(i, 1.0) for i in found]) if found else None
        if not fuzzy.values:
            return None
        best = 0.0
        per_entry: dict[tuple[str, str], tuple[int, float]] = {}
        for value_id, s in fuzzy.search(fuzzy.prepare(raw)):
            best = max(best, s)
            if s < threshold:
                continue
            for i in fuzzy.owners[value_id]:
                entry = self.entries[i]
                key = (entry.list_name, entry.entry_id)
                if key not in per_entry or per_entry[key][1] < s:
                    per_entry[key] = (i, s)
        if best == 0.0:
            return None
        return Screened(best, sorted(per_entry.values(), key=lambda hit: (-hit[1], hit[0])))

    def match(self, kind: Kind, value: str, threshold: float = DEFAULT_THRESHOLD) -> list[Match]:
        """The listed entries a value matches, best first (one per entry, scored by its best-matching value)."""
        screened = self.screen_value(kind, value, threshold)
        return [] if screened is None else [Match(self.entries[i], s) for i, s in screened.hits]

    def match_name(self, name: str, threshold: float = DEFAULT_THRESHOLD) -> list[Match]:
        """The listed parties a name matches, best first."""
        return self.match("party", name, threshold)


def _label(entry: WatchEntry, field: str, score: float) -> str:
    return f"{entry.list_name}:{entry.entry_id}:{field}:{score:.4f}"


def _screen_distinct(
    index: ScreeningIndex,
    kind: Kind,
    values: list[str],
    threshold: float,
    cache: dict[tuple[str, str], Screened | None],
) -> dict[str, Screened]:
    """The distinct values of a column that gave something; each value of a kind is screened once per batch."""
    screened: dict[str, Screened] = {}
    if kind in EXACT_NORMALISERS:  # the lean path: a batch has as many transport documents as consignments
        normalise, table = EXACT_NORMALISERS[kind], index._exact[kind]
        for raw in values:
            found = table.get(normalise(raw))
            if found:
                screened[raw] = Screened(1.0, [(i, 1.0) for i in found])
        return screened
    for raw in values:
        key = (kind, raw)
        if key not in cache:
            cache[key] = index.screen_value(kind, raw, threshold)
        if (result := cache[key]) is not None:
            screened[raw] = result
    return screened


def screen_frame(frame: pl.DataFrame, index: ScreeningIndex, threshold: float = DEFAULT_THRESHOLD) -> pl.DataFrame:
    """The risk frame with ``screening_score`` and ``screening_hits`` added (see the module docstring)."""
    missing = [f for f in FIELDS if f not in frame.columns]
    if missing:
        raise ValueError(f"the frame lacks the screened columns {', '.join(missing)}")
    cache: dict[tuple[str, str], Screened | None] = {}
    scores: list[pl.Series] = []
    hit_rows: list[int] = []
    hit_labels: list[str] = []
    for field, kind in FIELDS.items():
        column = frame.get_column(field)
        screened = _screen_distinct(index, kind, column.drop_nulls().unique().to_list(), threshold, cache)
        scores.append(
            column.replace_strict(
                list(screened), [r.best for r in screened.values()], default=0.0, return_dtype=pl.Float64
            ).alias(field)
        )
        labels = {raw: [_label(index.entries[i], field, s) for i, s in r.hits] for raw, r in screened.items() if r.hits}
        if labels:
            for row, raw in enumerate(column.to_list()):
                found = labels.get(raw)
                if found:
                    hit_rows += [row] * len(found)
                    hit_labels += found
    best = pl.DataFrame(scores).select(pl.max_horizontal(pl.all()).fill_null(0.0)).to_series()
    return frame.with_columns(best.alias("screening_score"), _hits_column(frame.height, hit_rows, hit_labels))


def screen_row(
    row: Mapping[str, Any], index: ScreeningIndex, threshold: float = DEFAULT_THRESHOLD
) -> tuple[float, list[str]]:
    """One row's ``screening_score`` and ``screening_hits``, exactly as ``screen_frame`` gives them
    (the path for a handful of consignments, where a frame costs more than the matching)."""
    cache: dict[tuple[str, str], Screened | None] = {}
    best, hits = 0.0, []
    for field, kind in FIELDS.items():
        raw = row.get(field)
        if raw is None:
            continue
        found = _screen_distinct(index, kind, [raw], threshold, cache).get(raw)
        if found is not None:
            best = max(best, found.best)
            hits += [_label(index.entries[i], field, s) for i, s in found.hits]
    return best, hits


def _hits_column(height: int, rows: list[int], labels: list[str]) -> pl.Series:
    """One list of labels per row, built by Polars: a Series of 100,000 Python lists is slow to make."""
    hits = pl.DataFrame({"row": pl.Series(rows, dtype=pl.UInt32), "screening_hits": pl.Series(labels, dtype=pl.Utf8)})
    grouped = hits.sort("row", maintain_order=True).group_by("row", maintain_order=True).agg("screening_hits")
    every_row = pl.DataFrame({"row": pl.arange(0, height, dtype=pl.UInt32, eager=True)})
    return (
        every_row.join(grouped, on="row", how="left", maintain_order="left")
        .select(pl.col("screening_hits").fill_null(pl.lit([], dtype=pl.List(pl.Utf8))))
        .to_series()
    )
