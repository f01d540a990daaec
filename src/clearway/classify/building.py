"""Training a classifier from the reference data, with its held-out evaluation in the manifest.

``train`` reads ``data/reference`` (and any labelled corrections), measures a model trained on the
training side of the held-out split (``data.split``) against the held-out side, then trains the
model it returns on all the data, so that nothing labelled is wasted; the manifest carries the
held-out numbers, the sources' SHA-256, the counts and the configuration. Deterministic: the same
files give the same model (the same ``version``, a digest of its content).
"""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict
from pathlib import Path
from typing import Any, Final

from clearway.classify import glossary
from clearway.classify.classifier import Classifier
from clearway.classify.data import Corpus, Example, load, split
from clearway.classify.evaluate import evaluate
from clearway.classify.training import TrainConfig, english_words, fit
from clearway.risk.reference import VagueTerms

FORMAT: Final = "clearway-hs-classifier/2"
SUMMARY: Final = ("model", "baseline_nearest_neighbour", "calibration")
VAGUE_FILES: Final = ("hmrc-fpo/vague_terms.csv", "hmrc-fpo/vague_terms_patterns.txt")


def classifier_from(corpus: Corpus, examples: list[Example], vague: VagueTerms, config: TrainConfig) -> Classifier:
    fitted = fit(examples, corpus.subheadings, corpus.brand_words, config)
    return Classifier(
        vectoriser=fitted.vectoriser,
        index=fitted.index,
        ranker=fitted.ranker,
        noise=corpus.brand_words,
        english=english_words(examples),
        vague=vague,
        texts={c: corpus.path_text(c) for c in corpus.subheadings},
        doc_texts=fitted.doc_texts,
        doc_sources=fitted.doc_sources,
        manifest={"out_of_fold": fitted.oof},
    )


def vague_terms(root: Path) -> VagueTerms:
    return VagueTerms.from_files(root / VAGUE_FILES[0], root / VAGUE_FILES[1])


def held_out(
    root: Path, corrections: Iterable[tuple[str, str]] = (), config: TrainConfig = TrainConfig()
) -> tuple[Classifier, list[Example], Corpus]:
    """A classifier trained on the training side of the split, the held-out examples and the corpus."""
    corpus = load(root, corrections)
    train_side, test_side = split(corpus.examples)
    return classifier_from(corpus, train_side, vague_terms(root), config), test_side, corpus


def train(
    root: Path,
    corrections: Iterable[tuple[str, str]] = (),
    config: TrainConfig = TrainConfig(),
    *,
    with_evaluation: bool = True,
    now: dt.datetime | None = None,
) -> Classifier:
    started = time.perf_counter()
    corpus = load(root, list(corrections))
    vague = vague_terms(root)
    evaluation: dict[str, Any] | None = None
    train_side, test_side = split(corpus.examples)
    if with_evaluation:
        measured = classifier_from(corpus, train_side, vague, config)
        full = evaluate(measured, test_side)
        evaluation = {
            "split": {"train": len(train_side), "test": len(test_side), "by": "group (first word), 20 % of groups"},
            **{side: {k: full[side][k] for k in SUMMARY} for side in ("clean", "noisy")},
        }
    classifier = classifier_from(corpus, corpus.examples, vague, config)
    files = dict(corpus.files)
    for rel in VAGUE_FILES:
        from clearway.classify.data import sha256

        files[rel] = sha256(root / rel)
    created = now or dt.datetime.now(dt.UTC)
    classifier.manifest = {
        "format": FORMAT,
        "created_at": created.isoformat(),
        "sources": files,
        "counts": {
            "subheadings": len(corpus.subheadings),
            "examples": dict(sorted(Counter(e.source for e in corpus.examples).items())),
            "skipped": corpus.skipped,
            "vocabulary": len(classifier.vectoriser.vocabulary),
        },
        "config": asdict(config),
        "glossary": {"signature": glossary.signature(), "entries": glossary.coverage()},
        "out_of_fold": classifier.manifest["out_of_fold"],
        "evaluation": evaluation,
        "train_seconds": round(time.perf_counter() - started, 1),
    }
    return classifier
