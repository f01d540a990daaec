"""Suggest HS codes for items as marketplaces describe them: ``Classifier.suggest_many``.

Batch first: a batch's texts are prepared one by one (the glossaries, the noise words), and
everything after, from TF-IDF vectors to candidate ranking, is matrix products over the whole batch
(in chunks of ``CHUNK`` items, which bounds memory). Each item gets either ``Suggestions`` (the
top codes with a calibrated confidence and the reasons for each, and a low-confidence flag with why
and the question that would decide) or ``Invalid`` with a precise error.

An item is answered with low confidence and no code when its description is one of HMRC's vague
terms ("gift", "parts") or has no word that names goods once brands, sizes, colours and selling
words are set aside; with low confidence and codes when no word of it is known to the nomenclature
or the references (the codes then rest on spelling alone) or the best code's confidence is below
``LOW_CONFIDENCE``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np
import scipy.sparse as sp

from clearway.classify.features import Vectoriser, words_of
from clearway.classify.index import Index
from clearway.classify.national import NationalLine, NationalLines, UnknownJurisdiction
from clearway.classify.questions import deciding_question
from clearway.classify.ranker import Ranker, candidates, features
from clearway.risk.reference import VagueTerms, is_blank

CHUNK: Final = 128
# Below this calibrated confidence the best code is not put forward as the answer.
LOW_CONFIDENCE: Final = 0.5
# Candidates within this share of the best one's confidence are weighed for the question.
QUESTION_SHARE: Final = 0.25
MAX_TOP: Final = 20
# The labelled sources whose texts an answer may quote as "like the reference description ...":
# HMRC's public lists (classify.data), not the nomenclature (its text is given anyway) nor corrections.
QUOTABLE_SOURCES: Final = frozenset({"search", "parcel"})
UNKNOWN_WORDS: Final = (
    "no word of the description is in the nomenclature or the references: the codes rest on spelling alone"
)
_ATTRIBUTE_TYPES = (str, int, float)
Array = np.ndarray[Any, Any]


@dataclass(frozen=True, slots=True)
class Item:
    """What a marketplace knows of an item; only the description is required."""

    description: str
    category: str | None = None
    attributes: Mapping[str, Any] | None = None
    price: float | None = None
    currency: str | None = None


@dataclass(frozen=True, slots=True)
class Suggestion:
    code: str  # HS-6
    confidence: float  # calibrated: the share of suggestions with this confidence that were right
    words: tuple[str, ...]  # the item's words the code's texts share
    nomenclature: str  # the code's text | its heading's | its chapter's
    example: str | None = None  # the nearest labelled reference, when it was one
    national: tuple[NationalLine, ...] = ()

    def reasons(self) -> list[str]:
        out = []
        if self.words:
            out.append("words: " + ", ".join(self.words))
        out.append(f"HS {self.code}: {self.nomenclature}")
        if self.example is not None:
            out.append(f"like the reference description {self.example!r}")
        return out

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "confidence": round(self.confidence, 4), "reasons": self.reasons()}
        if self.national:
            body["national_lines"] = [line.to_json() for line in self.national]
        return body


@dataclass(frozen=True, slots=True)
class Suggestions:
    suggestions: tuple[Suggestion, ...]
    low_confidence: bool = False
    why: str | None = None  # why confidence is low
    question: str | None = None  # what would decide

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "suggestions": [s.to_json() for s in self.suggestions],
            "low_confidence": self.low_confidence,
        }
        if self.why is not None:
            body["why"] = self.why
        if self.question is not None:
            body["question"] = self.question
        return body


@dataclass(frozen=True, slots=True)
class Invalid:
    error: str

    def to_json(self) -> dict[str, Any]:
        return {"error": self.error}


Answer = Suggestions | Invalid


def check_top(top: int) -> None:
    if not 1 <= top <= MAX_TOP:
        raise ValueError(f"top must be 1 to {MAX_TOP}, got {top}")


@dataclass(frozen=True, slots=True)
class Ranking:
    """A chunk of items screened and ranked, before any answer is written (``Classifier.answer``)."""

    early: list[Answer | None]  # per item: its answer when it needs no ranking (invalid, vague, no goods words)
    rows: list[int]  # per item: its row below (-1 when answered early)
    ranked: Array  # rows x candidates: subheading indices, best first
    confidence: Array  # rows x candidates: calibrated
    known: list[list[str]]  # per row: the description's words the vocabulary knows (none: UNKNOWN_WORDS)
    sims: Any  # rows x training texts, sparse (Index.scores)


def item_from_json(raw: object) -> Item:
    """An item from a decoded JSON object (an NDJSON line, an API body); ValueError says what is wrong."""
    if not isinstance(raw, dict):
        raise ValueError("an item is a JSON object with at least a 'description'")
    unknown = set(raw) - {"description", "category", "attributes", "price", "currency"}
    if unknown:
        raise ValueError(f"unknown field(s): {', '.join(sorted(unknown))}")
    description = raw.get("description")
    if not isinstance(description, str):
        raise ValueError("'description' is required and must be a string")
    category = raw.get("category")
    if category is not None and not isinstance(category, str):
        raise ValueError("'category' must be a string (a path such as 'Women > Dresses')")
    attributes = raw.get("attributes")
    if attributes is not None and not (
        isinstance(attributes, dict)
        and all(isinstance(v, _ATTRIBUTE_TYPES) and not isinstance(v, bool) for v in attributes.values())
    ):
        raise ValueError("'attributes' must be an object of names to strings or numbers")
    price = raw.get("price")
    if price is not None and (isinstance(price, bool) or not isinstance(price, int | float) or price < 0):
        raise ValueError("'price' must be a number of 0 or more")
    currency = raw.get("currency")
    if currency is not None and (not isinstance(currency, str) or len(currency) != 3 or not currency.isalpha()):
        raise ValueError("'currency' must be a three-letter code such as 'USD'")
    return Item(description, category, attributes, None if price is None else float(price), currency)


@dataclass
class Classifier:
    vectoriser: Vectoriser
    index: Index
    ranker: Ranker
    noise: frozenset[str]
    english: frozenset[str]
    vague: VagueTerms
    texts: dict[str, str]  # subheading -> its nomenclature path text
    doc_texts: list[str]
    doc_sources: list[str]
    manifest: dict[str, Any] = field(default_factory=dict)
    _class_words: dict[int, frozenset[int]] = field(default_factory=dict, repr=False)

    @property
    def version(self) -> str:
        return str(self.manifest.get("version", "unsaved"))

    def words(self, item: Item) -> tuple[list[str], list[str]]:
        """The prepared words of the description (with the attributes' values), and of the category."""
        own = words_of(item.description, self.noise, self.english)
        if item.attributes:
            # Read on their own, so that a long title (cut at features.MAX_CHARS) cannot push
            # "material: leather" out of what is read.
            own += words_of(" ; ".join(str(v) for v in item.attributes.values()), self.noise, self.english)
        category = words_of(item.category, self.noise, self.english) if item.category else []
        return own, category

    def rank(
        self, word_lists: Sequence[Sequence[str]]
    ) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any], dict[str, Any]]:
        """Candidates (subheading indices) of each text, best first, their calibrated confidence and the scores."""
        x = self.vectoriser.transform(word_lists)
        scores = self.index.scores(sp.csr_matrix(x))
        chosen = candidates(scores)
        p = self.ranker.probabilities(features(scores, chosen, self.index))
        order = np.argsort(-p, axis=1, kind="stable")
        rows = np.arange(len(chosen))[:, None]
        return chosen[rows, order], self.ranker.confidence(p[rows, order]), scores

    def suggest_many(
        self,
        items: Sequence[Item],
        top: int = 3,
        *,
        national: NationalLines | None = None,
        jurisdiction: str | None = None,
    ) -> list[Answer]:
        """One answer per item, in order. ``national`` and ``jurisdiction`` together add the national
        lines under each suggested code (UnknownJurisdiction when the jurisdiction has none loaded)."""
        check_top(top)
        if national is not None and jurisdiction is not None and not national.knows(jurisdiction):
            raise UnknownJurisdiction(f"no tariff lines are loaded for jurisdiction {jurisdiction!r}")
        out: list[Answer] = []
        for ranking in self.rankings(items):
            out += [self.answer(ranking, i, top) for i in range(len(ranking.early))]
        if national is not None and jurisdiction is not None:
            out = [_with_national(a, national, jurisdiction) for a in out]
        return out

    def rankings(self, items: Sequence[Item]) -> Iterator[Ranking]:
        """The items screened and ranked, in chunks of ``CHUNK`` (in order), before any answer is
        written: ``answer`` writes an item's. The declared-code check decides on the candidates alone
        and writes the answers of the few items it calls far."""
        for start in range(0, len(items), CHUNK):
            yield self._ranking(items[start : start + CHUNK])

    def _ranking(self, items: Sequence[Item]) -> Ranking:
        early: list[Answer | None] = [None] * len(items)
        rows = [-1] * len(items)
        word_lists: list[list[str]] = []
        known: list[list[str]] = []
        vocabulary = self.vectoriser.vocabulary
        for i, item in enumerate(items):
            early[i] = self._screen(item)
            if early[i] is not None:
                continue
            own, category = self.words(item)
            if not own:
                early[i] = Suggestions(
                    (),
                    True,
                    "no word names the goods: only a brand, sizes, colours, numbers or selling words",
                    "What are the goods? Name them, e.g. 'cotton t-shirt'.",
                )
                continue
            rows[i] = len(word_lists)
            known.append([w for w in own if f"w:{w}" in vocabulary])
            word_lists.append(own + category)
        if not word_lists:
            nothing = np.zeros((0, 0), dtype=np.int64)
            return Ranking(early, rows, nothing, nothing.astype(np.float64), known, sp.csr_matrix((0, 0)))
        ranked, confidence, scores = self.rank(word_lists)
        return Ranking(early, rows, ranked, confidence, known, scores["sims"])

    def answer(self, ranking: Ranking, item: int, top: int = 3) -> Answer:
        """The answer of item ``item`` (its position in the ranking's chunk), with the reasons of its
        best ``top`` codes."""
        early = ranking.early[item]
        if early is not None:
            return early
        row = ranking.rows[item]
        sims = self.index.sims_row(ranking.sims, row)
        return self._answer(ranking.ranked[row], ranking.confidence[row], sims, ranking.known[row], top)

    def _screen(self, item: Item) -> Answer | None:
        if not isinstance(item.description, str):
            return Invalid("'description' must be a string")
        if is_blank(item.description):
            return Invalid("the description is empty")
        if self.vague.is_vague(item.description[:1000]):
            return Suggestions(
                (),
                True,
                f"{item.description.strip()[:60]!r} is too vague to classify (HMRC's list of vague descriptions)",
                "What are the goods? Name them and what they are made of, e.g. 'plastic toy car' rather than 'gift'.",
            )
        return None

    def _answer(self, ranked: Array, confidence: Array, sims: Array, known: list[str], top: int) -> Suggestions:
        suggestions = tuple(
            self.suggestion(int(c), float(p), self.index.nearest(sims, int(c)), known)
            for c, p in zip(ranked[:top], confidence[:top], strict=False)
        )
        best = float(confidence[0])
        if not known:
            why: str | None = UNKNOWN_WORDS
        elif best < LOW_CONFIDENCE:
            why = f"the best code is only {best:.0%} likely"
        else:
            why = None
        question = None
        if why is not None:
            close = [int(c) for c, p in zip(ranked[:4], confidence[:4], strict=False) if p >= best * QUESTION_SHARE]
            question = deciding_question([self.texts[self.index.codes[c]] for c in close])
        return Suggestions(suggestions, why is not None, why, question)

    def suggestion(self, cls: int, confidence: float, doc: int, known: list[str]) -> Suggestion:
        code = self.index.codes[cls]
        vocabulary = self.vectoriser.vocabulary
        columns = self._words_of_class(cls)
        supporting = tuple(dict.fromkeys(w for w in known if vocabulary[f"w:{w}"] in columns))
        # Only public reference descriptions are quoted: an officer's correction is the wording of an
        # operator's declaration, never to be shown to anyone else (the public, another operator).
        example = self.doc_texts[doc] if self.doc_sources[doc] in QUOTABLE_SOURCES else None
        return Suggestion(code, confidence, supporting, self.texts[code], example)

    def _words_of_class(self, cls: int) -> frozenset[int]:
        found = self._class_words.get(cls)
        if found is None:
            proto = self.index.proto6
            columns = proto.indices[proto.indptr[cls] : proto.indptr[cls + 1]]
            found = frozenset(columns[self.vectoriser.is_word[columns]].tolist())
            self._class_words[cls] = found
        return found


def _with_national(answer: Answer, national: NationalLines, jurisdiction: str) -> Answer:
    if not isinstance(answer, Suggestions) or not answer.suggestions:
        return answer
    carried = tuple(
        Suggestion(
            s.code, s.confidence, s.words, s.nomenclature, s.example, tuple(national.lines(jurisdiction, s.code))
        )
        for s in answer.suggestions
    )
    return Suggestions(carried, answer.low_confidence, answer.why, answer.question)
