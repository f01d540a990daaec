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

The thresholds were set on the held-out references (their true codes must rarely be called far) and
on HMRC's own list of wrong code and description pairs (``incorrect_code_desc_pairs.csv``), which
must be called far: docs/classification.md gives both rates.

A declared code that is not 6, 8 or 10 digits (after dots and spaces, as in "6109.10"), or whose
first six digits are no HS 2022 subheading, is an ``Invalid`` with the precise reason.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Final, Literal

from clearway.classify.classifier import Candidates, Classifier, Invalid, Item, Suggestion, Suggestions

FAR: Final = 0.01
SUPPORTED: Final = 0.6
Verdict = Literal["consistent", "heading", "chapter", "undecided"]


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


def declared_code(raw: object, subheadings: frozenset[str] | set[str]) -> str:
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
) -> list[CodeCheck | Invalid]:
    """One answer per (description, declared code) pair, in order; ``far`` and ``supported`` are the
    thresholds of the module's documentation (a stricter rule raises ``supported``)."""
    pairs = list(pairs)
    subheadings = set(classifier.index.codes)
    codes: list[str | None] = []
    errors: list[str | None] = []
    for _, raw in pairs:
        try:
            codes.append(declared_code(raw, subheadings))
            errors.append(None)
        except ValueError as exc:
            codes.append(None)
            errors.append(str(exc))
    items = [Item(d if isinstance(d, str) else "") for d, _ in pairs]
    answers = classifier.suggest_with_candidates(items, top=top)
    out: list[CodeCheck | Invalid] = []
    for code, error, (answer, candidates) in zip(codes, errors, answers, strict=True):
        if error is not None or code is None:
            out.append(Invalid(error or "invalid declared code"))
        elif isinstance(answer, Invalid):
            out.append(answer)
        else:
            out.append(_verdict(code, answer, candidates, far, supported))
    return out


def _verdict(code: str, answer: Suggestions, candidates: Candidates, far: float, supported: float) -> CodeCheck:
    shown = answer.suggestions
    if not candidates:
        return CodeCheck(code, "undecided", 0.0, 0.0, shown, answer.why or "the description names no goods")
    chapters: dict[str, float] = {}
    headings: dict[str, float] = {}
    for candidate, confidence in candidates:
        chapters[candidate[:2]] = chapters.get(candidate[:2], 0.0) + confidence
        headings[candidate[:4]] = headings.get(candidate[:4], 0.0) + confidence
    chapter = chapters.get(code[:2], 0.0)
    heading = headings.get(code[:4], 0.0)
    best_chapter = max(chapters, key=chapters.__getitem__)
    best_heading = max(headings, key=headings.__getitem__)
    if answer.why is not None and answer.why.startswith("no word"):
        return CodeCheck(code, "undecided", heading, chapter, shown, answer.why)
    if chapter < far and chapters[best_chapter] >= supported:
        why = f"the description points to chapter {best_chapter} ({chapters[best_chapter]:.0%})"
        why += f", not {code[:2]} ({chapter:.0%})"
        return CodeCheck(code, "chapter", heading, chapter, shown, why)
    if heading < far and headings[best_heading] >= supported:
        why = f"the description points to heading {best_heading} ({headings[best_heading]:.0%})"
        why += f", not {code[:4]} ({heading:.0%})"
        return CodeCheck(code, "heading", heading, chapter, shown, why)
    if chapters[best_chapter] < supported:
        return CodeCheck(code, "undecided", heading, chapter, shown, "the description supports no chapter clearly")
    return CodeCheck(code, "consistent", heading, chapter, shown, f"heading {code[:4]} is supported ({heading:.0%})")
