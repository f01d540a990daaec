"""Training: the vectoriser, the retrieval index and the ranker from labelled texts, deterministic.

``fit`` takes the training examples (nomenclature texts and labelled references, see ``data.py``)
and returns the parts of a model. The ranker learns from retrieval scores computed out of fold:
the labelled examples are cut into ``folds`` by group (a hash of the group, as the held-out split),
and each fold is scored by an index of everything else, so its nearest texts are never itself nor a
near-duplicate of it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

from clearway.classify.data import Example
from clearway.classify.features import Vectoriser, words_of
from clearway.classify.index import Index
from clearway.classify.ranker import FEATURES, Ranker, candidates, features

Array = np.ndarray[Any, Any]


@dataclass(frozen=True)
class TrainConfig:
    # Share of a vector's squared length given to word features (the rest to character n-grams).
    word_weight: float = 0.7
    # 4-grams alone: as accurate as 3- to 5-grams on the held-out split, 1.5 times faster (docs/classification.md).
    char_sizes: tuple[int, ...] = (4,)
    max_char_df: float = 1.0
    folds: int = 5
    penalty: float = 1e-3
    # How far the ranker's training evens out the subheadings: each reference counts 1 / n ** balance,
    # n its subheading's references (0: every reference alike).
    balance: float = 0.5


@dataclass
class Fitted:
    vectoriser: Vectoriser
    index: Index
    ranker: Ranker
    doc_texts: list[str]  # the training text of each index row (sorted as the index)
    doc_sources: list[str]
    oof: dict[str, Any]  # out-of-fold summary (how often the right code was a candidate, top-1)


def fold_of(group: str, folds: int) -> int:
    return int.from_bytes(hashlib.sha256(f"fold:{group}".encode()).digest()[:4], "big") % folds


def prepare(examples: Sequence[Example], noise: frozenset[str]) -> list[list[str]]:
    return [words_of(e.text, noise, None) for e in examples]


def english_words(examples: Sequence[Example]) -> frozenset[str]:
    """The English words of the nomenclature: a Spanish or French glossary word that is one of them
    is read as English unless the text leans to the other language (``glossary.py``)."""
    return frozenset(
        w
        for e in examples
        if e.source == "nomenclature"
        for w in e.text.lower().replace(";", " ").replace(",", " ").split()
    )


def fit(
    examples: Sequence[Example], codes: Sequence[str], noise: frozenset[str], config: TrainConfig = TrainConfig()
) -> Fitted:
    words = prepare(examples, noise)
    vectoriser = Vectoriser.fit(words, config.word_weight, config.char_sizes, config.max_char_df)
    x = vectoriser.transform(words)
    labels = [e.code for e in examples]
    labelled = np.asarray([e.source != "nomenclature" for e in examples])
    index = Index.build(codes, x, labels, labelled, vectoriser.is_word)
    position = {c: i for i, c in enumerate(codes)}
    folds = np.asarray([fold_of(e.group, config.folds) if e.source != "nomenclature" else -1 for e in examples])
    blocks: list[Array] = []
    targets: list[Array] = []
    weights: list[Array] = []
    references = [position[c] for c, is_reference in zip(labels, labelled, strict=True) if is_reference]
    per_code = np.bincount(references, minlength=len(codes))
    for fold in range(config.folds):
        held = folds == fold
        if not held.any():
            continue
        rest = ~held
        sub = Index.build(
            codes, sp.csr_matrix(x[rest]), [labels[i] for i in np.flatnonzero(rest)], labelled[rest], vectoriser.is_word
        )
        query = sp.csr_matrix(x[held])
        scores = sub.scores(query)
        chosen = candidates(scores)
        blocks.append(features(scores, chosen, sub))
        truth = np.asarray([position[labels[i]] for i in np.flatnonzero(held)])
        hit = chosen == truth[:, None]
        targets.append(np.where(hit.any(axis=1), hit.argmax(axis=1), -1))
        weights.append(np.maximum(per_code[truth], 1).astype(np.float64) ** -config.balance)
    xs = np.concatenate(blocks) if blocks else np.zeros((0, 1, len(FEATURES)))
    ts = np.concatenate(targets) if targets else np.zeros(0, dtype=np.int64)
    ws = np.concatenate(weights) if weights else np.zeros(0)
    ranker = Ranker.fit(xs, ts, config.penalty, ws / ws.mean() if len(ws) else None)
    p = ranker.probabilities(xs) if len(ts) else np.zeros((0, 1))
    top = p.argmax(axis=1) if len(ts) else np.zeros(0, dtype=np.int64)
    order = np.argsort(np.asarray([position[c] for c in labels]), kind="stable")
    oof = {
        "queries": len(ts),
        "right_code_among_candidates": float((ts >= 0).mean()) if len(ts) else 0.0,
        "top1": float((top == ts).mean()) if len(ts) else 0.0,
    }
    return Fitted(
        vectoriser, index, ranker, [examples[i].text for i in order], [examples[i].source for i in order], oof
    )
