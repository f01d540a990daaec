"""How well the matcher decides on labelled name pairs: precision, recall and F1 at a threshold.

A pair is decided by the real matcher: name_b is listed alone in a ``ScreeningIndex`` and name_a is
screened against it, so blocking takes part exactly as in a batch. A hit is a predicted match.

The labelled set (data/screening/name_pairs.csv, built by bench/screening_pairs.py) has the columns
``name_a,name_b,match,kind,party_a,party_b,part``; ``part`` is ``calibration`` or ``held-out``, and
no party is in both. A threshold is chosen on the calibration part only (``best_threshold``); the
held-out part says whether the choice generalises.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from clearway.risk.screening.lists import WatchEntry
from clearway.risk.screening.matcher import ScreeningIndex
from clearway.risk.screening.scoring import prepare_name, similarity

PAIR_COLUMNS = ("name_a", "name_b", "match", "kind", "party_a", "party_b", "part")
PARTS = ("calibration", "held-out")


@dataclass(frozen=True, slots=True)
class LabelledPair:
    """Two names and whether they name the same listed party."""

    name_a: str
    name_b: str
    match: bool
    kind: str
    part: str


@dataclass(frozen=True, slots=True)
class Quality:
    """The confusion counts of the matcher's decisions and the measures drawn from them."""

    true_positives: int
    false_positives: int
    false_negatives: int
    true_negatives: int

    @property
    def precision(self) -> float:
        flagged = self.true_positives + self.false_positives
        return self.true_positives / flagged if flagged else 1.0

    @property
    def recall(self) -> float:
        positives = self.true_positives + self.false_negatives
        return self.true_positives / positives if positives else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def read_pairs(text: str) -> list[LabelledPair]:
    """The labelled pairs of a CSV with the header ``PAIR_COLUMNS``; a malformed row raises ValueError."""
    reader = csv.DictReader(io.StringIO(text.removeprefix("\ufeff"), newline=""))
    if tuple(reader.fieldnames or ()) != PAIR_COLUMNS:
        raise ValueError(f"expected the header {','.join(PAIR_COLUMNS)}, got {reader.fieldnames}")
    pairs: list[LabelledPair] = []
    for row in reader:
        if row["match"] not in ("0", "1") or row["part"] not in PARTS:
            raise ValueError(f"line {reader.line_num}: match must be 0 or 1 and part one of {', '.join(PARTS)}")
        pairs.append(LabelledPair(row["name_a"], row["name_b"], row["match"] == "1", row["kind"], row["part"]))
    return pairs


def matched(pair: LabelledPair, threshold: float) -> bool:
    """Whether the matcher hits name_b, listed alone, when screening name_a."""
    index = ScreeningIndex.build([WatchEntry(list_name="PAIR", entry_id="b", kind="party", value=pair.name_b)])
    return bool(index.match_name(pair.name_a, threshold))


def quality(pairs: Iterable[LabelledPair], threshold: float) -> Quality:
    """The matcher's precision, recall and F1 over the pairs at the threshold."""
    tp = fp = fn = tn = 0
    for pair in pairs:
        hit = matched(pair, threshold)
        tp += hit and pair.match
        fp += hit and not pair.match
        fn += not hit and pair.match
        tn += not hit and not pair.match
    return Quality(tp, fp, fn, tn)


def best_threshold(pairs: Sequence[LabelledPair], candidates: Iterable[float]) -> tuple[float, float]:
    """The candidate threshold with the best F1 over the pairs (the highest on ties), and that F1.

    Scored once per pair, not once per candidate: above a threshold blocking is complete
    (tests/risk/screening/test_matcher.py), so the matcher hits exactly when the score reaches it.
    Only candidates at or above the blocking floor given by the caller should be passed.
    """
    scores = [(similarity(prepare_name(p.name_a), prepare_name(p.name_b)), p.match) for p in pairs]
    best: tuple[float, float] | None = None
    for t in sorted(candidates):
        tp = sum(s >= t and m for s, m in scores)
        fp = sum(s >= t and not m for s, m in scores)
        fn = sum(s < t and m for s, m in scores)
        f1 = Quality(tp, fp, fn, 0).f1
        if best is None or f1 >= best[1]:
            best = (t, f1)
    if best is None:
        raise ValueError("no candidate threshold")
    return best


def by_kind(pairs: Iterable[LabelledPair], threshold: float) -> dict[str, tuple[int, int]]:
    """Per kind of pair, how many the matcher decided right and how many there are."""
    counts: dict[str, tuple[int, int]] = {}
    for pair in pairs:
        right, total = counts.get(pair.kind, (0, 0))
        counts[pair.kind] = (right + (matched(pair, threshold) == pair.match), total + 1)
    return dict(sorted(counts.items()))
