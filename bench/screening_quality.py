"""Screening quality: precision, recall and F1 of the matcher on the labelled name pairs.

    .venv/bin/python bench/screening_quality.py [--threshold 0.88] [--errors]

The pairs are data/screening/name_pairs.csv (published aliases of listed parties and hard negatives,
built by bench/screening_pairs.py; data/screening/README.md). Prints, for the calibration and the
held-out parts, the confusion counts, precision, recall and F1 at the threshold; the threshold the
calibration part would choose among those where blocking is complete; the share decided right per
kind of pair; with ``--errors``, every pair decided wrongly with its score.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from clearway.risk.screening import DEFAULT_THRESHOLD, score
from clearway.risk.screening.evaluate import PARTS, best_threshold, by_kind, matched, quality, read_pairs
from clearway.risk.screening.scoring import BLOCKING_FLOOR

PAIRS = Path(__file__).resolve().parent.parent / "data" / "screening" / "name_pairs.csv"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD)
    parser.add_argument("--errors", action="store_true", help="print the pairs decided wrongly")
    args = parser.parse_args()
    pairs = read_pairs(PAIRS.read_text(encoding="utf-8"))

    started = time.perf_counter()
    for part in PARTS:
        q = quality([p for p in pairs if p.part == part], args.threshold)
        print(
            f"{part:<12} tp {q.true_positives:>4}  fp {q.false_positives:>3}  fn {q.false_negatives:>3}  "
            f"tn {q.true_negatives:>4}   precision {q.precision:.3f}  recall {q.recall:.3f}  F1 {q.f1:.3f}"
        )
    took = time.perf_counter() - started
    print(f"pairs decided       {len(pairs):>6,}  in {took:.2f} s @ {args.threshold}")
    candidates = [round(BLOCKING_FLOOR + 0.005 * i, 3) for i in range(15)]
    chosen, f1 = best_threshold([p for p in pairs if p.part == "calibration"], candidates)
    print(f"calibration's best threshold at or above {BLOCKING_FLOOR}: {chosen} (F1 {f1:.3f})")
    for kind, (right, total) in by_kind(pairs, args.threshold).items():
        print(f"  {kind:<44} {right / total:.3f}  ({right}/{total})")
    if args.errors:
        for p in pairs:
            if matched(p, args.threshold) != p.match:
                verdict = "missed" if p.match else "false hit"
                print(f"{verdict:<9} {score(p.name_a, p.name_b):.3f}  {p.name_a} | {p.name_b}")


if __name__ == "__main__":
    main()
