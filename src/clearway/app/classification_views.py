"""What the API and the /classify page show of the assistant's answers: one result per item, in order.

The classifier answers items (``classify.classifier.Suggestions`` or ``Invalid``) and declared codes
(``classify.mismatch.CodeCheck``); this module runs both for a request's items, at most one call of
each for the whole request, and shapes the answers as the typed views the API document names. A
confidence is also said in words, for people: "very likely" from 80 %, "likely" from 50 %,
"possible" from 20 %, "unlikely" below.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, Literal

import msgspec

from clearway.app.classification import ClassificationService, ClassifierUnavailable
from clearway.dataset.errors import FieldError
from clearway.dataset.text import normalise_for_matching
from clearway.risk.hs_mismatch import MAX_TEXT

if TYPE_CHECKING:
    from clearway.classify.classifier import Suggestion

Words = Literal["very likely", "likely", "possible", "unlikely"]


def confidence_words(confidence: float) -> Words:
    if confidence >= 0.8:
        return "very likely"
    if confidence >= 0.5:
        return "likely"
    if confidence >= 0.2:
        return "possible"
    return "unlikely"


@dataclass(frozen=True, slots=True)
class ItemView:
    """An item as a request gives it (decoded and typed), with the declared code to check if any."""

    description: str
    category: str | None = None
    attributes: Mapping[str, Any] | None = None
    price: float | None = None
    currency: str | None = None
    hs_code: str | None = None


class NationalLineView(msgspec.Struct, kw_only=True):
    code: str
    description: str


class SuggestionView(msgspec.Struct, kw_only=True, omit_defaults=True):
    code: Annotated[str, msgspec.Meta(pattern="^[0-9]{6,10}$", description="HS-6 subheading.")]
    confidence: Annotated[float, msgspec.Meta(ge=0, le=1, description="Calibrated chance that it is right.")]
    confidence_words: Literal["very likely", "likely", "possible", "unlikely"]
    reasons: list[str]
    national_lines: list[NationalLineView] = []


class CodeCheckView(msgspec.Struct, kw_only=True):
    declared: str
    verdict: Literal["consistent", "heading", "chapter", "undecided"]
    far: bool
    why: str


class ClassificationResult(msgspec.Struct, kw_only=True, omit_defaults=True):
    """One item's answer, in request order: suggestions (maybe none, with why), or errors."""

    index: int
    suggestions: list[SuggestionView]  # empty for an error, or when nothing names the goods
    low_confidence: bool = False
    why: str | None = None
    question: str | None = None
    check: CodeCheckView | None = None
    errors: list[FieldError] = []


class ClassificationResponse(msgspec.Struct, kw_only=True, omit_defaults=True):
    model: str
    results: list[ClassificationResult]
    jurisdiction: str | None = None
    note: str | None = None


def _suggestion(s: Suggestion) -> SuggestionView:
    return SuggestionView(
        code=s.code,
        confidence=round(s.confidence, 4),
        confidence_words=confidence_words(s.confidence),
        reasons=s.reasons(),
        national_lines=[NationalLineView(code=line.code, description=line.description) for line in s.national],
    )


# One classification at a time per process: the route is public, and a flood of large requests must
# not take every core (the API's other routes and the pipeline share them). A request that cannot
# start within BUSY_WAIT seconds is told to come back (503), rather than holding a server thread.
_ONE_AT_A_TIME = threading.BoundedSemaphore(1)
BUSY_WAIT = 5.0


class ClassifierBusy(RuntimeError):
    """Other classifications have held the process's classifier for longer than BUSY_WAIT."""


def classify_items(
    service: ClassificationService,
    items: Sequence[ItemView | list[FieldError]],
    top: int = 3,
    jurisdiction: str | None = None,
) -> ClassificationResponse:
    """``answer_items`` one request at a time per process; ClassifierBusy when the wait is too long."""
    if not _ONE_AT_A_TIME.acquire(timeout=BUSY_WAIT):
        raise ClassifierBusy("the classifier is busy with other requests; retry in a few seconds")
    try:
        return answer_items(service, items, top, jurisdiction)
    finally:
        _ONE_AT_A_TIME.release()


def answer_items(
    service: ClassificationService,
    items: Sequence[ItemView | list[FieldError]],
    top: int = 3,
    jurisdiction: str | None = None,
) -> ClassificationResponse:
    """One result per item, in order: suggestions (and the check of a declared code), or errors.

    ``items`` holds the decoded items, or the errors of an item that did not decode. Raises
    UnknownJurisdiction and ClassifierUnavailable (app.classification)."""
    from clearway.classify.classifier import Invalid, Item

    if jurisdiction is not None:
        service.resolve(jurisdiction)  # an unknown one is refused even when no item is valid
    classifier = service.classifier()
    good = [(i, x) for i, x in enumerate(items) if isinstance(x, ItemView)]
    asked = [Item(x.description, x.category, x.attributes, x.price, x.currency) for _, x in good]
    suggested = service.suggest(asked, top, jurisdiction) if asked else None
    declared = [(i, x) for i, x in good if x.hs_code is not None]
    checks = dict(
        zip(
            (i for i, _ in declared),
            service.check([(x.description, x.hs_code or "") for _, x in declared], top) if declared else [],
            strict=True,
        )
    )
    results: list[ClassificationResult] = []
    answers = iter(suggested.answers if suggested is not None else [])
    for index, entry in enumerate(items):
        if not isinstance(entry, ItemView):
            results.append(ClassificationResult(index=index, suggestions=[], errors=entry))
            continue
        answer = next(answers)
        if isinstance(answer, Invalid):
            results.append(
                ClassificationResult(
                    index=index, suggestions=[], errors=[FieldError(f"/items/{index}/description", answer.error)]
                )
            )
            continue
        result = ClassificationResult(
            index=index,
            suggestions=[_suggestion(s) for s in answer.suggestions],
            low_confidence=answer.low_confidence,
            why=answer.why,
            question=answer.question,
        )
        check = checks.get(index)
        if check is not None and isinstance(check, Invalid):
            result = msgspec.structs.replace(result, errors=[FieldError(f"/items/{index}/hs_code", check.error)])
        elif check is not None:
            view = CodeCheckView(declared=check.declared, verdict=check.verdict, far=check.far, why=check.why)
            result = msgspec.structs.replace(result, check=view)
        results.append(result)
    return ClassificationResponse(
        model=classifier.version,
        results=results,
        jurisdiction=suggested.jurisdiction if suggested is not None else None,
        note=suggested.note if suggested is not None else None,
    )


class ItemCheck(msgspec.Struct, kw_only=True, omit_defaults=True):
    """An item of a declaration beside what its description supports (the officer's page)."""

    line: int
    declared: str
    suggestions: list[SuggestionView] = []
    verdict: Literal["consistent", "heading", "chapter", "undecided"] | None = None
    far: bool = False
    why: str | None = None
    error: str | None = None


def check_declared(
    service: ClassificationService, lines: Sequence[tuple[int, str, str]], top: int = 3
) -> list[ItemCheck] | None:
    """Each (line, description, declared code) checked as the pipeline's rule checks it (the same
    matching form of the text), with the suggested codes; None when no model is loaded (an
    officer's page never waits for one to be trained)."""
    from clearway.classify.classifier import Invalid

    try:
        service.classifier()
    except ClassifierUnavailable:
        return None
    pairs = [(normalise_for_matching(d[:MAX_TEXT]), code) for _, d, code in lines]
    out = []
    for (line, _, code), found in zip(lines, service.check(pairs, top), strict=True):
        if isinstance(found, Invalid):
            out.append(ItemCheck(line=line, declared=code, error=found.error))
            continue
        out.append(
            ItemCheck(
                line=line,
                declared=found.declared,
                suggestions=[_suggestion(s) for s in found.suggestions],
                verdict=found.verdict,
                far=found.far,
                why=found.why,
            )
        )
    return out
