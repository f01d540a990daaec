"""Does each item's description support its declared HS code? The risk stage that asks the classifier.

The HS classification assistant (``clearway.classify``) answers for (description, declared code)
pairs with a verdict (``classify.mismatch.check_codes``): ``chapter`` or ``heading`` when the
declared code's chapter or heading is far from what the description supports, ``consistent`` or
``undecided`` otherwise. This stage adds the column ``hs_mismatches`` (List(Utf8)) to the risk
frame, one label per item whose code is far::

    <verdict>:<item number, from 1>:<declared code>:<code>=<confidence>,<code>=<confidence>...

with the codes the description supports, best first. The data-quality check
``hs_code_does_not_match_description`` and the targeting rule of the same name read it, and the
rule's reason names the items and the suggested codes (``describe``).

Batch first: the classifier is called once per batch, for the distinct pairs not already known;
descriptions are compared in their matching form (``normalise_for_matching``: case, white space,
invisible characters and look-alike letters), so "t\u200bshirt" with a Cyrillic "о" is the same
pair as the plain text and gets the same answer. Answers are remembered (a bounded table), since
marketplaces send the same titles over and over; a pair's answer depends only on the pair and the
model, so the row path and the frame path give the same labels.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Final, Protocol

from clearway.dataset.text import normalise_for_matching

COLUMN: Final = "hs_mismatches"
# The targeting rule of the default pack that reads the column (its reason names the items).
RULE: Final = "hs_code_does_not_match_description"
FAR_VERDICTS: Final = ("chapter", "heading")
# Pairs remembered between batches: at about 200 bytes each, some 20 MB at most.
REMEMBERED: Final = 100_000
# Longest description passed to the classifier (characters): a 10,000-character title says no more.
MAX_TEXT: Final = 1_000

Checker = Callable[[Sequence[tuple[str, str]]], Sequence[object]]


class Suggested(Protocol):
    @property
    def code(self) -> str: ...
    @property
    def confidence(self) -> float: ...


class CodeCheck(Protocol):
    """What this stage reads of ``clearway.classify.mismatch.CodeCheck``: described here rather than
    imported, since the classifier sits above risk (it reads risk's vague terms and calibration)."""

    @property
    def verdict(self) -> str: ...
    @property
    def declared(self) -> str: ...
    @property
    def suggestions(self) -> Sequence[Suggested]: ...


def label(item: int, check: CodeCheck) -> str | None:
    """The label of an item whose declared code is far (None otherwise); ``item`` counts from 1."""
    far = _far(check)
    return None if far is None else f"{far[0]}:{item}:{far[1]}"


def _far(check: CodeCheck) -> tuple[str, str] | None:
    """(verdict, "declared:codes") of a far declared code, the label without its item number."""
    if check.verdict not in FAR_VERDICTS:
        return None
    codes = ",".join(f"{s.code}={s.confidence:.4f}" for s in check.suggestions)
    return check.verdict, f"{check.declared}:{codes}"


def describe(labels: Sequence[str]) -> str:
    """The labels in words, for a rule's reason: which item, what was declared, what is suggested."""
    parts = []
    for text in labels:
        verdict, item, declared, codes = ([*text.split(":", 3), "", "", ""])[:4]
        suggested = []
        for entry in filter(None, codes.split(",")):
            code, _, confidence = entry.partition("=")
            try:
                suggested.append(f"{code} ({float(confidence):.0%})")
            except ValueError:
                suggested.append(code)
        where = f"chapter {declared[:2]}" if verdict == "chapter" else f"heading {declared[:4]}"
        parts.append(
            f"item {item} declared under {declared}, a {where} its description does not support"
            + (f"; suggested {', '.join(suggested)}" if suggested else "")
        )
    return "; ".join(parts)


@dataclass
class HsMismatchStage:
    """Labels the far items of a batch; ``checker`` is ``check_codes`` bound to a loaded classifier."""

    checker: Checker
    remembered: int = REMEMBERED
    # (matching form of the description, declared code) -> (verdict, "declared:codes"), or None when not far.
    _known: OrderedDict[tuple[str, str], tuple[str, str] | None] = field(default_factory=OrderedDict, repr=False)

    def labels(
        self, descriptions: Sequence[Sequence[str | None] | None], codes: Sequence[Sequence[str | None] | None]
    ) -> list[list[str]]:
        """For each consignment (its items' descriptions and declared codes), the labels of its far items."""
        keyed: list[list[tuple[str, str] | None]] = []
        batch: dict[tuple[str, str], tuple[str, str] | None] = {}
        wanted: list[tuple[str, str]] = []
        forms: dict[str, str] = {}  # each distinct text normalised once
        for texts, declared in zip(descriptions, codes, strict=True):
            row: list[tuple[str, str] | None] = []
            for text, code in zip(texts or [], declared or [], strict=False):
                if text is None or code is None:
                    row.append(None)
                    continue
                form = forms.get(text)
                if form is None:
                    form = forms[text] = normalise_for_matching(text[:MAX_TEXT])
                key = (form, code)
                row.append(key)
                if key not in batch:
                    if key in self._known:
                        batch[key] = self._known[key]
                        self._known.move_to_end(key)
                    else:
                        batch[key] = None
                        wanted.append(key)
            keyed.append(row)
        if wanted:
            for pair, answer in zip(wanted, self.checker(wanted), strict=True):
                # An Invalid (a code that is no subheading, an empty text) has no verdict: no label.
                value = _far(answer) if hasattr(answer, "verdict") else None  # type: ignore[arg-type]
                batch[pair] = self._known[pair] = value
            while len(self._known) > self.remembered:
                self._known.popitem(last=False)
        out = []
        for row in keyed:
            found_labels = []
            for number, entry in enumerate(row, 1):
                verdict = batch.get(entry) if entry is not None else None
                if verdict is not None:
                    found_labels.append(f"{verdict[0]}:{number}:{verdict[1]}")
            out.append(found_labels)
        return out
