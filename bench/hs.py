"""HS classification assistant: train time, load time and suggestions per second on one core.

    .venv/bin/python bench/hs.py [--count 20000] [--batch 1000] [--top 3] [--reference data/reference]

The process is pinned to one CPU and numpy's thread pools to one thread before numpy loads. Items
are marketplace-style titles made from HMRC's reference descriptions with the noisy evaluation's
generator (brands, selling words, colours, sizes, one in five translated), so that text preparation
costs what it costs on real titles. Prints the seconds to train (without and with the held-out
evaluation), to save and to load the model, and items per second for ``suggest_many`` in batches of
``--batch`` (after load) and for the declared-code check (every verdict explained, then only far
ones, as the pipeline asks), by the wall clock and per CPU-second of the process (the same on an
idle machine; on a shared one only the second measures the code). The titles are distinct (19,999
of the default 20,000).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

# numpy is imported in main(), after this: its thread pools read these once, when it loads.
for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_name] = "1"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--top", type=int, default=3)
    parser.add_argument("--reference", type=Path, default=Path("data/reference"))
    parser.add_argument(
        "--pipeline",
        action="store_true",
        help="instead: the bulk pipeline with and without the HS code check (bench/hs_pipeline.py)",
    )
    parser.add_argument("--repeat", type=int, default=3, help="with --pipeline: runs of each side")
    parser.add_argument("--model", default="var/hs-model", help="with --pipeline: the HS model folder")
    from hs_pipeline import add_title_options, run_titles

    add_title_options(parser)  # with --pipeline
    args = parser.parse_args()
    if args.pipeline:
        # Its own processes, not pinned to one core: the pipeline is measured as it runs.
        run_titles(args.count, args.repeat, args.model, args.distinct_titles, args.both_titles)
        return
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})

    from clearway.classify import artefact, building, data
    from clearway.classify.classifier import Item
    from clearway.classify.evaluate import noisy
    from clearway.classify.mismatch import check_codes

    started = time.perf_counter()
    building.train(args.reference, with_evaluation=False)
    train_plain = time.perf_counter() - started
    started = time.perf_counter()
    classifier = building.train(args.reference)
    train_full = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        artefact.save(classifier, Path(folder))
        save = time.perf_counter() - started
        started = time.perf_counter()
        classifier = artefact.load(Path(folder))
        load = time.perf_counter() - started
    examples = [e for e in data.load(args.reference).examples if e.source != "nomenclature"]
    titles = [noisy(examples[i % len(examples)].text, i) for i in range(args.count)]
    items = [Item(t) for t in titles]
    classifier.suggest_many(items[:200], top=args.top)  # warm the caches of single characters
    started, cpu = time.perf_counter(), time.process_time()
    for start in range(0, len(items), args.batch):
        classifier.suggest_many(items[start : start + args.batch], top=args.top)
    suggest, suggest_cpu = time.perf_counter() - started, time.process_time() - cpu
    pairs = [(t, examples[i % len(examples)].code) for i, t in enumerate(titles)]
    started, cpu = time.perf_counter(), time.process_time()
    for start in range(0, len(pairs), args.batch):
        check_codes(classifier, pairs[start : start + args.batch])
    check, check_cpu = time.perf_counter() - started, time.process_time() - cpu
    # As the pipeline asks: suggestions written for far verdicts only.
    started, cpu = time.perf_counter(), time.process_time()
    far = 0
    for start in range(0, len(pairs), args.batch):
        checks = check_codes(classifier, pairs[start : start + args.batch], explain="far")
        far += sum(1 for c in checks if getattr(c, "far", False))
    check_far, check_far_cpu = time.perf_counter() - started, time.process_time() - cpu
    print(f"train (no evaluation)       {train_plain:8.1f} s")
    print(f"train (with held-out eval.) {train_full:8.1f} s")
    print(f"save                        {save:8.2f} s")
    print(f"load                        {load:8.2f} s")
    # Wall-clock rates, and rates per CPU-second of this process: on a machine shared with other
    # work the process waits for its core, and only the second says what one core does.
    print(
        f"suggest, top {args.top}, one core    {len(items) / suggest:8,.0f} items/s wall "
        f"({len(items):,} in {suggest:.1f} s), {len(items) / suggest_cpu:,.0f} items per CPU-second"
    )
    print(
        f"check declared codes        {len(pairs) / check:8,.0f} pairs/s wall, "
        f"{len(pairs) / check_cpu:,.0f} pairs per CPU-second"
    )
    print(
        f"  only far ones explained   {len(pairs) / check_far:8,.0f} pairs/s wall, "
        f"{len(pairs) / check_far_cpu:,.0f} pairs per CPU-second ({far:,} far: {far / len(pairs):.0%})"
    )


if __name__ == "__main__":
    main()
