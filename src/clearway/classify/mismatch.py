"""Does the description support the declared code? ``check_codes`` answers for pairs in bulk.

For the data-quality check and the targeting rule ``hs_code_does_not_match_description``: the
classifier's candidates for the description, each with its calibrated confidence, are summed per
chapter and per heading (the chance that the right code lies there, as far as the candidates go).
The declared code is

- ``chapter`` (far): its chapter has under ``FAR`` support while some chapter has at least
  ``SUPPORTED``;
- ``heading`` (far): its chapter is not far but its heading has under ``FAR`` support while some
  heading has at least ``SUPPORTED``;
- ``undecided``: the description supports no chapter that well (vague, unknown words), so nothing
  is said against the code;
- ``consistent`` otherwise.

Knitted and woven garments are one kind of goods here: chapters 61 (knitted or crocheted) and 62
(not knitted) count as one chapter, and each heading of 62 as one with its knitted twin of 61
(``PARALLEL``: men's coats 6201 with 6101, babies' garments 6209 with 6111, scarves 6214 with 6117).
A title rarely says how its fabric is made ("Men's polyester coat"), so the model's lean to one or
the other is a prior, not evidence against the code declared; on the simulated catalogue's noisy
titles these pairs were the first source of false alarms (16 of 74 far verdicts on honest codes).

The thresholds were set on the held-out references (their true codes must rarely be called far) and
on HMRC's own list of wrong code and description pairs (``incorrect_code_desc_pairs.csv``), which
must be called far: docs/classification.md gives both rates.

A declared code that is not 6, 8 or 10 digits (after dots and spaces, as in "6109.10"), or whose
first six digits are no HS 2022 subheading, is an ``Invalid`` with the precise reason.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Container, Iterable
from dataclasses import dataclass
from typing import Any, Final, Literal

import numpy as np

from clearway.classify.classifier import (
    UNKNOWN_WORDS,
    Answer,
    Classifier,
    Invalid,
    Item,
    Ranking,
    Suggestion,
    Suggestions,
    check_top,
)
from clearway.classify.index import Index

FAR: Final = 0.01
SUPPORTED: Final = 0.6
# A heading of chapter 62 -> its knitted or crocheted twin in chapter 61 (HS 2022 headings of the
# same garments; 6212 brassieres and 6213 handkerchiefs cover both, and 6109 T-shirts and 6110
# jerseys have no woven heading of their own).
PARALLEL: Final = {
    "6201": "6101", "6202": "6102", "6203": "6103", "6204": "6104", "6205": "6105", "6206": "6106",
    "6207": "6107", "6208": "6108", "6209": "6111", "6210": "6113", "6211": "6112", "6214": "6117",
    "6215": "6117", "6216": "6116", "6217": "6117",
}  # fmt: skip
_SAME_CHAPTER: Final = {"62": "61"}
Verdict = Literal["consistent", "heading", "chapter", "undecided"]
Explain = Literal["all", "far"]
Array = np.ndarray[Any, Any]


@dataclass(frozen=True, slots=True)
class CodeCheck:
    declared: str  # the declared code, digits only
    verdict: Verdict
    support: float  # the candidates' confidence summed over the declared code's heading
    chapter_support: float  # ... over its chapter
    suggestions: tuple[Suggestion, ...]
    why: str

    @property
    def far(self) -> bool:
        return self.verdict in ("chapter", "heading")

    def to_json(self) -> dict[str, Any]:
        return {
            "declared": self.declared,
            "verdict": self.verdict,
            "far": self.far,
            "heading_support": round(self.support, 4),
            "chapter_support": round(self.chapter_support, 4),
            "why": self.why,
            "suggestions": [s.to_json() for s in self.suggestions],
        }


def declared_code(raw: object, subheadings: Container[str]) -> str:
    """The declared code as digits, or ValueError with the precise reason."""
    if not isinstance(raw, str):
        raise ValueError("the declared code must be a string of digits")
    code = raw.strip().replace(".", "").replace(" ", "")
    if not code:
        raise ValueError("the declared code is empty")
    if not (code.isascii() and code.isdigit()):
        bad = sorted({c for c in code if not (c.isascii() and c.isdigit())})
        raise ValueError(f"declared code {raw!r} has characters other than digits ({''.join(bad)[:10]!r})")
    if len(code) not in (6, 8, 10):
        raise ValueError(f"declared code {raw!r} has {len(code)} digits; an HS code has 6, 8 or 10")
    if code[:6] not in subheadings:
        raise ValueError(f"declared code {raw!r}: {code[:6]} is no HS 2022 subheading")
    return code


def check_codes(
    classifier: Classifier,
    pairs: Iterable[tuple[str, str]],
    top: int = 3,
    *,
    far: float = FAR,
    supported: float = SUPPORTED,
    explain: Explain = "all",
) -> list[CodeCheck | Invalid]:
    """One answer per (description, declared code) pair, in order; ``far`` and ``supported`` are the
    thresholds of the module's documentation (a stricter rule raises ``supported``). ``explain="far"``
    writes the suggestions (codes, reasons, the nearest reference) of far verdicts only, the others
    having none: the pipeline labels far items alone, and writing every item's costs a fifth of the
    check. Each distinct description is classified once, however many codes it is declared under."""
    check_top(top)
    pairs = list(pairs)
    codes: list[str | None] = []
    errors: list[str | None] = []
    for _, raw in pairs:
        try:
            codes.append(declared_code(raw, classifier.index.position))
            errors.append(None)
        except ValueError as exc:
            codes.append(None)
            errors.append(str(exc))
    # A batch repeats titles under several codes: the pairs of each distinct description.
    pairs_of: dict[str, list[int]] = {}
    for number, (description, _) in enumerate(pairs):
        pairs_of.setdefault(description if isinstance(description, str) else "", []).append(number)
    texts = list(pairs_of)
    out: list[CodeCheck | Invalid | None] = [None] * len(pairs)
    done = 0
    for ranking in classifier.rankings([Item(t) for t in texts]):
        support = _Support(classifier.index, ranking.ranked, ranking.confidence)
        for i in range(len(ranking.early)):
            answer: Answer | None = None  # written when first wanted, once for all the text's pairs
            for number in pairs_of[texts[done + i]]:
                code, error = codes[number], errors[number]
                if error is not None or code is None:
                    out[number] = Invalid(error or "invalid declared code")
                    continue
                check = _verdict(code, ranking, i, support, far, supported)
                if isinstance(check, Invalid) or not (explain == "all" or check.far):
                    out[number] = check
                    continue
                answer = answer or classifier.answer(ranking, i, top)
                shown = answer.suggestions if isinstance(answer, Suggestions) else ()
                out[number] = dataclasses.replace(check, suggestions=shown)
        done += len(ranking.early)
    return [c for c in out if c is not None]


class _Support:
    """Per ranked item of a chunk, its candidates' confidence summed per chapter and per heading, and
    the best chapter and heading (the first among equals in the candidates' order). Chapters and
    headings are counted in groups (``chapter_group``, ``heading_group``: an index's chapter or heading
    -> its group's first), knitted and woven garments together (``PARALLEL``)."""

    def __init__(self, index: Index, ranked: Array, confidence: Array) -> None:
        self.index = index
        self.chapter_group, self.heading_group = _groups(index)
        chapters = self.chapter_group[index.chapter_of[ranked]]
        headings = self.heading_group[index.head_of[ranked]]
        self.chapters, self.best_chapter = self._sums(chapters, confidence, len(index.chapters))
        self.headings, self.best_heading = self._sums(headings, confidence, len(index.headings))

    def chapter_name(self, group: int) -> str:
        return "/".join(c for c, g in zip(self.index.chapters, self.chapter_group, strict=True) if g == group)

    def heading_name(self, group: int) -> str:
        return "/".join(h for h, g in zip(self.index.headings, self.heading_group, strict=True) if g == group)

    @staticmethod
    def _sums(groups: Array, confidence: Array, n_groups: int) -> tuple[Array, Array]:
        n = len(groups)
        rows = np.arange(n)[:, None]
        # bincount adds in the candidates' order, as a sum over them one by one would: the same floats.
        keys = (rows * n_groups + groups).reshape(-1)
        sums = np.bincount(keys, weights=confidence.reshape(-1), minlength=n * n_groups).reshape(n, n_groups)
        if not n:
            return sums, np.zeros(0, dtype=np.int64)
        at_best = sums[rows, groups] == sums.max(axis=1, keepdims=True)
        return sums, groups[np.arange(n), at_best.argmax(axis=1)]


def _groups(index: Index) -> tuple[Array, Array]:
    """Each chapter's and heading's group: the index of its group's first member (microseconds)."""
    chapter_at = {c: i for i, c in enumerate(index.chapters)}
    heading_at = {h: i for i, h in enumerate(index.headings)}
    chapters = [chapter_at.get(_SAME_CHAPTER.get(c, c), i) for i, c in enumerate(index.chapters)]
    headings = [heading_at.get(PARALLEL.get(h, h), i) for i, h in enumerate(index.headings)]
    return np.array(chapters, dtype=np.int64), np.array(headings, dtype=np.int64)


def _verdict(
    code: str, ranking: Ranking, item: int, support: _Support, far: float, supported: float
) -> CodeCheck | Invalid:
    early = ranking.early[item]
    if isinstance(early, Invalid):
        return early
    if early is not None:
        return CodeCheck(code, "undecided", 0.0, 0.0, (), early.why or "the description names no goods")
    row = ranking.rows[item]
    index = support.index
    cls = index.position[code[:6]]
    declared_chapter = int(support.chapter_group[index.chapter_of[cls]])
    declared_heading = int(support.heading_group[index.head_of[cls]])
    chapter = float(support.chapters[row, declared_chapter])
    heading = float(support.headings[row, declared_heading])
    if not ranking.known[row]:
        return CodeCheck(code, "undecided", heading, chapter, (), UNKNOWN_WORDS)
    best_chapter = int(support.best_chapter[row])
    best_chapter_support = float(support.chapters[row, best_chapter])
    if chapter < far and best_chapter_support >= supported:
        why = f"the description points to chapter {support.chapter_name(best_chapter)} ({best_chapter_support:.0%})"
        why += f", not {support.chapter_name(declared_chapter)} ({chapter:.0%})"
        return CodeCheck(code, "chapter", heading, chapter, (), why)
    best_heading = int(support.best_heading[row])
    best_heading_support = float(support.headings[row, best_heading])
    if heading < far and best_heading_support >= supported:
        why = f"the description points to heading {support.heading_name(best_heading)} ({best_heading_support:.0%})"
        why += f", not {support.heading_name(declared_heading)} ({heading:.0%})"
        return CodeCheck(code, "heading", heading, chapter, (), why)
    if best_chapter_support < supported:
        return CodeCheck(code, "undecided", heading, chapter, (), "the description supports no chapter clearly")
    return CodeCheck(code, "consistent", heading, chapter, (), f"heading {code[:4]} is supported ({heading:.0%})")
