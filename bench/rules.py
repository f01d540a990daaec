"""Targeting rules throughput: the default rule pack over a frame of simulated consignments.

    .venv/bin/python bench/rules.py [--count 200000] [--seed 42] [--repeat 5]

Traffic is simulated and turned into the risk frame first (not timed). The columns that the
quality, screening and aggregation stages add before rules run are stand-ins here: seeded random
values with plausible rates (a few percent of low quality scores, under 1 % of screening hits), and
the buyer-day aggregates computed for real from the frame. The timed part is ``evaluate_frame``
with the default pack, repeated; the best and median runs are printed as records per second, with
each rule's hit count so that a threshold that fires on everything shows at once.

Target (ARCHITECTURE.md budget for the risk stage): quality and rules together >= 200,000 records/s
on 2 cores, so rules alone should take well under half a second for 200,000 records.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import time

import polars as pl

from clearway.jurisdictions.loader import load_all
from clearway.revenue.rates import EcbRates
from clearway.risk.frame import EuroRates, RiskInput, build_frame
from clearway.risk.rules import evaluate_frame, load_default_pack
from clearway.simulate import generate


def simulated_frame(count: int, seed: int) -> pl.DataFrame:
    traffic = generate(count, seed)
    inputs = [RiskInput(s.record, s.operator_id, s.received_at) for s in traffic.consignments]
    return build_frame(inputs, EuroRates(EcbRates()))


def with_stage_columns(frame: pl.DataFrame, seed: int) -> pl.DataFrame:
    """The frame with plausible stand-ins for what the stages before rules add."""
    rng = random.Random(seed)
    n = frame.height

    def pick(choices: list[tuple[float, object]]) -> object:
        roll, total = rng.random(), 0.0
        for share, value in choices:
            total += share
            if roll < total:
                return value
        return choices[-1][1]

    quality_codes = [
        [code for code, share in (("late_filing", 0.02), ("hs_code_unknown", 0.01)) if rng.random() < share]
        for _ in range(n)
    ]
    screening_hits = [
        pick([(0.0005, ["sanctions:eu_fsf:EU.1234.56"]), (0.002, ["watchlist:national:W-77"]), (1.0, [])])
        for _ in range(n)
    ]
    eu_members = set(load_all()["EU"].members)
    day = pl.col("received_at").dt.date()
    return frame.with_columns(
        pl.Series("quality_score", [min(100, max(0, int(rng.gauss(85, 15)))) for _ in range(n)], dtype=pl.UInt8),
        pl.Series("quality_codes", quality_codes, dtype=pl.List(pl.Utf8)),
        pl.Series("price_ratio_min", [rng.lognormvariate(0.0, 0.5) for _ in range(n)], dtype=pl.Float64),
        pl.Series("screening_score", [rng.betavariate(1, 12) for _ in range(n)], dtype=pl.Float64),
        pl.Series("screening_hits", screening_hits, dtype=pl.List(pl.Utf8)),
        pl.Series("operator_trust", [pick([(0.3, "aeo"), (0.6, "standard"), (1.0, "new")]) for _ in range(n)]),
        pl.Series("seller_trust", [pick([(0.2, "trusted"), (0.7, "standard"), (1.0, "new")]) for _ in range(n)]),
        pl.len().over("buyer_name", "buyer_address", day).cast(pl.UInt32).alias("buyer_day_count"),
        pl.col("value_eur").sum().over("buyer_name", "buyer_address", day).alias("buyer_day_value_eur"),
        pl.when(pl.col("destination").is_in(list(eu_members)))
        .then(pl.lit("EU"))
        .otherwise(pl.col("destination"))
        .alias("jurisdiction"),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    started = time.perf_counter()
    frame = with_stage_columns(simulated_frame(args.count, args.seed), args.seed)
    print(f"prepared {frame.height:,} consignments in {time.perf_counter() - started:.1f} s (not timed)")
    pack = load_default_pack()
    as_of = dt.date(2026, 12, 31)

    evaluate_frame(frame.head(1000), pack, as_of)  # warm-up: expression compilation, thread pool
    timings = []
    result = frame
    for _ in range(args.repeat):
        started = time.perf_counter()
        result = evaluate_frame(frame, pack, as_of)
        timings.append(time.perf_counter() - started)
    best, median = min(timings), statistics.median(timings)
    print(f"rules: {len(pack.rules)} in pack '{pack.name}' v{pack.version}, threads: {pl.thread_pool_size()}")
    print(f"evaluate_frame: best {best * 1000:.0f} ms ({frame.height / best:,.0f} records/s)")
    print(f"                median {median * 1000:.0f} ms ({frame.height / median:,.0f} records/s)")

    hits = result.select(pl.col("rule_hits").explode().drop_nulls().value_counts(sort=True)).unnest("rule_hits")
    print("\nhits per rule:")
    for name, count in hits.iter_rows():
        print(f"  {name:40s} {count:8,d}  {100 * count / frame.height:6.2f} %")
    lanes = result.group_by("rule_lane").len().sort("len", descending=True)
    print("\nlanes:", ", ".join(f"{lane or 'none'}: {n:,}" for lane, n in lanes.iter_rows()))
    scored = result.filter(pl.col("rule_score") > 0).height
    print(f"rows with a score above 0: {scored:,} ({100 * scored / frame.height:.1f} %)")


if __name__ == "__main__":
    main()
