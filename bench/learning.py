"""Targeting model: training time on a labelled history, and scoring throughput.

    .venv/bin/python bench/learning.py [--count 1000000] [--days 182] [--score 200000] [--threads 2]

A labelled history is simulated and assessed first (data quality and rules, as the pipeline does;
timed and printed, but not part of the training budget). Then:

- training: features (references, history as-of joins), the calibrated classifier and the revenue
  model, as ``clearway risk train`` does; target (issue 6): 1 million labelled consignments in
  under 5 minutes on 2 cores;
- scoring: ``RiskModel.score`` on already assessed consignments: scores only; as the pipeline
  does it (the three largest contributions for the rows going yellow or red, the top 4 %); and
  with contributions for every row (TreeSHAP, about fifty predictions' cost). Target >= 50,000/s.
"""

from __future__ import annotations

import argparse
import os
import resource
import time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--days", type=float, default=182.0)
    parser.add_argument("--score", type=int, default=200_000, help="consignments scored (the latest of the history)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    os.environ["POLARS_MAX_THREADS"] = str(args.threads)  # read when Polars is first imported

    from clearway.app.learning.data import simulated_history
    from clearway.risk.learning.model import TrainConfig, train

    started = time.perf_counter()
    history = simulated_history(args.count, args.seed, days=args.days)
    prepared = time.perf_counter() - started
    findings = int(history["label"].sum())
    print(f"history: {history.height:,} labelled consignments, {findings:,} findings, simulated and assessed "
          f"in {prepared:.1f} s ({history.height / prepared:,.0f}/s)")  # fmt: skip

    started = time.perf_counter()
    model = train(history, TrainConfig(threads=args.threads))
    trained = time.perf_counter() - started
    m = model.manifest
    metrics = m["metrics"]
    print(f"training: {trained:.1f} s for {history.height:,} consignments ({history.height / trained:,.0f}/s); "
          f"{m['best_iteration']} trees; validation AUC {metrics['auc']:.3f}, "
          f"precision@5% {metrics['precision']['5']:.3f}, revenue@5% {metrics['revenue']['5']:.3f}")  # fmt: skip

    recent = history.tail(args.score)
    flagged = model.threshold(0.04)  # the pipeline explains what goes yellow or red (top 4 %)
    modes = {
        "score only": {"explain": 0},
        "as in the pipeline: contributions for the top 4 %": {"explain_from": flagged},
    }
    for label, options in modes.items():
        best = float("inf")
        for _ in range(3):
            started = time.perf_counter()
            model.score(recent, **options)  # type: ignore[arg-type]
            best = min(best, time.perf_counter() - started)
        print(f"scoring ({label}): {recent.height:,} in {best:.2f} s = {recent.height / best:,.0f} consignments/s")
    sample = recent.head(10_000)
    started = time.perf_counter()
    model.score(sample)
    seconds = time.perf_counter() - started
    print(f"scoring with contributions for every row: {sample.height:,} in {seconds:.2f} s = "
          f"{sample.height / seconds:,.0f} consignments/s")  # fmt: skip
    started = time.perf_counter()
    model.features_of(recent)
    print(f"  of which features: {time.perf_counter() - started:.2f} s")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    print(f"peak memory: {peak:.1f} GB")


if __name__ == "__main__":
    main()
