"""Targeting quality across the simulator's presets: Precision and Revenue at 5 % inspected.

    PYTHONPATH=src .venv/bin/python bench/learning_presets.py [--count 120000] [--seeds 1 2]
        [--presets default alternate hard] [--finding-value 30] [--json]

For each preset and seed, a labelled history is simulated and assessed, then ``evaluate`` trains on
the first 70 % of the span and ranks the rest (as ``clearway risk evaluate --fraud F --seed S``
does). Prints one markdown row per run (the model's and the plain baseline's P@5% and Rev@5%) and
the mean over runs, so that a change to the model is judged on every preset at once: a change kept
should raise the mean Revenue@5% without lowering Precision@5% beyond noise on any preset.
"""

from __future__ import annotations

import argparse
import json
import time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=120_000)
    parser.add_argument("--days", type=float, default=112.0)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--presets", nargs="+", default=["default", "alternate", "hard"])
    parser.add_argument("--finding-value", type=float, default=None, help="EUR; the model's default when omitted")
    parser.add_argument("--json", action="store_true", help="print the runs as JSON instead of a table")
    args = parser.parse_args()

    from clearway.app.learning.data import simulated_history
    from clearway.risk.learning.evaluate import evaluate
    from clearway.risk.learning.model import TrainConfig

    config = TrainConfig() if args.finding_value is None else TrainConfig(finding_value_eur=args.finding_value)
    runs = []
    for preset in args.presets:
        for seed in args.seeds:
            started = time.perf_counter()
            history = simulated_history(args.count, seed, days=args.days, fraud=preset)
            models = evaluate(history, config, seed=seed)["models"]
            runs.append(
                {
                    "preset": preset,
                    "seed": seed,
                    "seconds": round(time.perf_counter() - started, 1),
                    **{
                        f"{name}_{metric}": round(models[name][metric]["5"], 3)
                        for name in ("model", "gbdt_baseline")
                        for metric in ("precision", "revenue")
                    },
                }
            )
            if not args.json:
                r = runs[-1]
                print(
                    f"| {preset}, {seed} | {r['model_precision']:.3f} | {r['model_revenue']:.3f} | "
                    f"{r['gbdt_baseline_precision']:.3f} / {r['gbdt_baseline_revenue']:.3f} | {r['seconds']} s |",
                    flush=True,
                )
    mean_p = sum(r["model_precision"] for r in runs) / len(runs)
    mean_rev = sum(r["model_revenue"] for r in runs) / len(runs)
    if args.json:
        print(json.dumps({"finding_value_eur": config.finding_value_eur, "runs": runs, "mean": [mean_p, mean_rev]}))
    else:
        print(f"| mean | {mean_p:.3f} | {mean_rev:.3f} | | |")


if __name__ == "__main__":
    main()
