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

Answers may also be asked for ahead (``ask_ahead``), for a batch that has not reached the risk stage
yet: a caller that knows its next batches (`clearway ingest` reads two chunks ahead) has them computed
on another core while this one runs the batch before (app/hs_ahead.py). ``labels`` then takes the
answers that are ready and computes the others itself, without waiting, so the labels never depend
on where or whether an answer was computed ahead, only on the pair and the model.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Final, Protocol

from clearway.dataset.text import normalise_for_matching

COLUMN: Final = "hs_mismatches"
# The targeting rule of the default pack that reads the column (its reason names the items).
RULE: Final = "hs_code_does_not_match_description"
FAR_VERDICTS: Final = ("chapter", "heading")
# Texts' matching forms kept between asking ahead and taking: two to three chunks' worth (texts of up to
# MAX_TEXT characters: tens of MB at most).
_FORMS: Final = 60_000
# Pairs remembered between batches: at about 200 bytes each, some 20 MB at most.
REMEMBERED: Final = 100_000
# Longest description passed to the classifier (characters): a 10,000-character title says no more.
MAX_TEXT: Final = 1_000

Checker = Callable[[Sequence[tuple[str, str]]], Sequence[object]]
Pair = tuple[str, str]  # (matching form of the description, declared code)
Far = tuple[str, str] | None  # (verdict, "declared:codes") of a far code; None when not far
# Computes the answers of pairs elsewhere: a future of ``far_of`` of each pair's check, in order.
Submit = Callable[[list[Pair]], "Future[list[Far]]"]
# Pairs a piece asked ahead: small enough that the batch, once here, takes over the pieces not
# started yet instead of waiting for all of them.
AHEAD_PIECE: Final = 500


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


def far_of(answer: object) -> Far:
    """What the stage keeps of a checker's answer: ``_far`` of a verdict, None of an Invalid (a code
    that is no subheading, an empty text has no verdict: no label)."""
    return _far(answer) if hasattr(answer, "verdict") else None  # type: ignore[arg-type]


def _far(check: CodeCheck) -> Far:
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
    _known: OrderedDict[Pair, Far] = field(default_factory=OrderedDict, repr=False)
    # Pairs asked ahead and not taken yet, with the piece computing them (ask_ahead).
    _pending: dict[Pair, tuple[Future[list[Far]], list[Pair]]] = field(default_factory=dict, repr=False)
    # Texts asked ahead -> their matching form, so that the batch that takes them does not normalise
    # them again (a bound, not an LRU: emptied when full; one ingest asks, its batches take).
    _forms: dict[str, str] = field(default_factory=dict, repr=False)

    def _keys(
        self, descriptions: Sequence[Sequence[str | None] | None], codes: Sequence[Sequence[str | None] | None]
    ) -> list[list[Pair | None]]:
        """Each consignment's pairs in their matching form (None for an item without text or code)."""
        keyed: list[list[Pair | None]] = []
        forms = self._forms  # each distinct text normalised once, asked ahead or not
        for texts, declared in zip(descriptions, codes, strict=True):
            row: list[Pair | None] = []
            for text, code in zip(texts or [], declared or [], strict=False):
                if text is None or code is None:
                    row.append(None)
                    continue
                form = forms.get(text)
                if form is None:
                    if len(forms) >= _FORMS:
                        forms.clear()  # a bound, checked at each insert: worst case a text normalised again
                    form = forms[text] = normalise_for_matching(text[:MAX_TEXT])
                row.append((form, code))
            keyed.append(row)
        return keyed

    def ask_ahead(
        self,
        descriptions: Sequence[Sequence[str | None] | None],
        codes: Sequence[Sequence[str | None] | None],
        submit: Submit,
    ) -> list[Pair]:
        """Have the answers of a coming batch's new pairs computed by ``submit``, in pieces; the pairs
        asked (for ``settle``). A pair already known or already asked is not asked again. One
        thread asks at a time (an ingest reads its file in order)."""
        fresh: dict[Pair, None] = {}
        for row in self._keys(descriptions, codes):
            for key in row:
                if key is not None and key not in self._known and key not in self._pending:
                    fresh[key] = None
        wanted = list(fresh)
        for start in range(0, len(wanted), AHEAD_PIECE):
            piece = wanted[start : start + AHEAD_PIECE]
            future = submit(piece)
            for key in piece:
                self._pending[key] = (future, piece)
        return wanted

    def settle(self, pairs: Sequence[Pair]) -> None:
        """The batch these pairs were asked for has gone through: the answers of those it did not
        take (its declarations that wait for documents are checked when they are decided) are kept
        when ready, remembered like the others, and the pieces not ready are cancelled, so that
        nothing asked lingers."""
        self._collect(pairs)
        while len(self._known) > self.remembered:
            self._known.popitem(last=False)

    def _take_ahead(self, pairs: list[Pair], batch: dict[Pair, Far]) -> list[Pair]:
        """The answers of ``pairs`` computed ahead, into ``batch``; the pairs left to compute here.

        Never waits: a piece not finished yet (not started, running, or its process still starting)
        is computed here at once, and its other answer, when it comes, is ignored; so is a piece
        that failed (the other process died or refused). Either way the answer is the same."""
        left = self._collect(pairs)
        for key in pairs:
            if key in self._known:
                batch[key] = self._known[key]
        return [key for key in left if key in batch]

    def _collect(self, pairs: Sequence[Pair]) -> list[Pair]:
        """Take the pieces asked for these pairs out of those pending: the answers of a ready piece
        join what is known, a piece not ready (or failed) is cancelled; the pairs of those."""
        pieces: dict[int, tuple[Future[list[Far]], list[Pair]]] = {}
        for key in pairs:
            found = self._pending.get(key)
            if found is not None:
                pieces[id(found[0])] = found
        not_ready: list[Pair] = []
        for future, piece in pieces.values():
            ready = future.done() and not future.cancelled() and future.exception() is None
            if not ready:
                future.cancel()
            answers: Sequence[Far] = future.result() if ready else [None] * len(piece)
            for key, answer in zip(piece, answers, strict=True):
                if self._pending.get(key, (None, None))[0] is not future:
                    continue
                del self._pending[key]
                if ready:
                    self._known[key] = answer
                else:
                    not_ready.append(key)
        return not_ready

    def drop_ahead(self) -> None:
        """Forget what was asked ahead and not taken (the caller's batches are over)."""
        for future, _ in self._pending.values():
            future.cancel()
        self._pending.clear()

    def labels(
        self, descriptions: Sequence[Sequence[str | None] | None], codes: Sequence[Sequence[str | None] | None]
    ) -> list[list[str]]:
        """For each consignment (its items' descriptions and declared codes), the labels of its far items."""
        keyed = self._keys(descriptions, codes)
        batch: dict[Pair, Far] = {}
        wanted: list[Pair] = []
        ahead: list[Pair] = []
        for row in keyed:
            for key in row:
                if key is None or key in batch:
                    continue
                if key in self._known:
                    batch[key] = self._known[key]
                    self._known.move_to_end(key)
                elif key in self._pending:
                    batch[key] = None
                    ahead.append(key)
                else:
                    batch[key] = None
                    wanted.append(key)
        if ahead:
            wanted += self._take_ahead(ahead, batch)
        if wanted:
            for pair, answer in zip(wanted, self.checker(wanted), strict=True):
                batch[pair] = self._known[pair] = far_of(answer)
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
