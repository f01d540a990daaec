"""The HS classifier's alternatives side by side on the held-out split (docs/classification.md).

    .venv/bin/python bench/hs_methods.py [--reference data/reference]

Trains on the training side of the grouped split once and scores the held-out references, clean and
noisy (``clearway.classify.evaluate.noisy``), with: plain nearest-neighbour retrieval (the baseline),
the subheading prototypes, the two summed, a greedy hierarchical decision (best chapter, then best
heading in it, then best subheading in that), the conditional logit ranker without and with the
word-coverage feature, and a gradient-boosted (LightGBM) ranker on the same candidate features.
The three rankers are fitted here on one half of the held-out queries (by group) and measured on
the other half, and the reverse, so that they are compared out of sample on the same footing (the
shipped ranker is fitted on out-of-fold training queries instead: ``clearway hs evaluate``).
Prints top-1 accuracy at 2, 4 and 6 digits and top-3 at 6 digits for each.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import lightgbm as lgb
import numpy as np

from clearway.classify import building
from clearway.classify.classifier import Item
from clearway.classify.evaluate import accuracy, noisy
from clearway.classify.ranker import FEATURES, Ranker, candidates, features
from clearway.classify.training import fold_of

Array = np.ndarray[Any, Any]


def top3(score: Array, codes: Array) -> list[list[str]]:
    return [codes[row].tolist() for row in np.argsort(-score, axis=1, kind="stable")[:, :3]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reference", type=Path, default=Path("data/reference"))
    args = parser.parse_args()
    classifier, test, _ = building.held_out(args.reference)
    index = classifier.index
    codes = index.codes_array
    truth = [e.code for e in test]
    sides = (("clean", [e.text for e in test]), ("noisy", [noisy(e.text, 2022 + i) for i, e in enumerate(test)]))
    for name, texts in sides:
        words = [own + category for own, category in (classifier.words(Item(t)) for t in texts)]
        x = classifier.vectoriser.transform(words)
        scores = index.scores(x)
        chosen = candidates(scores)
        feats = features(scores, chosen, index)
        results: dict[str, list[list[str]]] = {
            "nearest neighbour (baseline)": top3(scores["knn6"], codes),
            "subheading prototypes": top3(scores["proto6"], codes),
            "nearest + prototypes": top3(scores["knn6"] + scores["proto6"], codes),
        }
        chapter = np.argmax(scores["proto2"] + scores["knn2"], axis=1)
        heading_score = np.where(
            index.chapter_of[index.heading_starts][None, :] == chapter[:, None],
            scores["proto4"] + scores["knn4"],
            -np.inf,
        )
        heading = np.argmax(heading_score, axis=1)
        sub = np.where(index.head_of[None, :] == heading[:, None], scores["knn6"] + scores["proto6"], -np.inf)
        results["hierarchical (chapter, heading, subheading)"] = top3(sub, codes)
        # Rankers fitted on half of the held-out queries (by group), measured on the other half and
        # the reverse, so that the comparison of the three rankers is out of sample.
        halves = np.asarray([fold_of(e.group, 2) for e in test])
        hit = chosen == np.asarray([index.codes.index(t) for t in truth])[:, None]
        target = np.where(hit.any(axis=1), hit.argmax(axis=1), -1)
        no_cover = list(FEATURES).index("cover")
        variants = (
            ("conditional logit without coverage", [i for i in range(len(FEATURES)) if i != no_cover]),
            ("conditional logit (the shipped features)", list(range(len(FEATURES)))),
        )
        for label, columns in variants:
            p = np.zeros(chosen.shape)
            for half in (0, 1):
                fit = halves != half
                ranker = Ranker.fit(feats[fit][:, :, columns], target[fit])
                p[~fit] = ranker.probabilities(feats[~fit][:, :, columns])
            results[label] = top3_from(p, chosen, codes)
        p = np.zeros(chosen.shape)
        for half in (0, 1):
            fit = halves != half
            flat = feats[fit].reshape(-1, feats.shape[2])
            labels = (np.arange(chosen.shape[1])[None, :] == target[fit][:, None]).reshape(-1).astype(float)
            params = {"objective": "binary", "num_leaves": 15, "learning_rate": 0.05, "verbose": -1, "seed": 7}
            booster = lgb.train({**params, "deterministic": True, "num_threads": 1}, lgb.Dataset(flat, labels), 200)
            p[~fit] = np.asarray(booster.predict(feats[~fit].reshape(-1, feats.shape[2]))).reshape(-1, chosen.shape[1])
        results["gradient-boosted ranker (LightGBM)"] = top3_from(p, chosen, codes)
        print(f"\n{name} ({len(truth)} held-out references)")
        for label, predicted in results.items():
            m = accuracy(predicted, truth)
            print(f"  {label:<46} {m['top1_2']:6.1%} {m['top1_4']:6.1%} {m['top1_6']:6.1%}   top-3 {m['top3_6']:6.1%}")


def top3_from(p: Array, chosen: Array, codes: Array) -> list[list[str]]:
    order = np.argsort(-p, axis=1, kind="stable")[:, :3]
    return [codes[chosen[i, order[i]]].tolist() for i in range(len(chosen))]


if __name__ == "__main__":
    main()
