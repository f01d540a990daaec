"""What the HS code check costs the bulk pipeline: bench/bulk_pipeline.py with and without it, in turn.

    .venv/bin/python bench/hs_pipeline.py [--count 20000] [--repeat 3] [--hs-model var/hs-model]
                                          [--distinct-titles | --both-titles]

Each run is a fresh process and a fresh SQLite database on the same seeded traffic; runs alternate
(without, with, without, with...) so that a neighbour's load on the shared machine falls on both
sides. Prints each run's declarations per second, the median of each side and the cut, which the
issue's target holds to at most 10 %. Also runs as ``bench/hs.py --pipeline``.

The simulated catalogue has about 1,300 product names, so the check classifies each once and
remembers it; ``--distinct-titles`` gives every item a distinct marketplace-style title
(bench/bulk_pipeline.py's ``distinct_titles``), the worst case, where every item is classified.
``--both-titles`` measures both and prints both cuts.
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
from pathlib import Path

BULK = Path(__file__).with_name("bulk_pipeline.py")
_RATE = re.compile(r"TOTAL [\d,]+ declarations with their documents in [\d.]+ s: ([\d,]+) declarations/s")
_RISK = re.compile(r"^\s+risk\s+([\d.]+) s", re.MULTILINE)
_CPU = re.compile(r"^CPU ([\d.]+) s in the timed part", re.MULTILINE)


def one_run(count: int, hs_model: str | None, seed: int, distinct: bool = False) -> tuple[float, float, float | None]:
    """(declarations per second, CPU seconds of the timed part, seconds in the risk stage) of one run."""
    command = [sys.executable, str(BULK), "--count", str(count), "--seed", str(seed)]
    command += ["--hs-model", hs_model] if hs_model else ["--no-hs-check"]
    command += ["--distinct-titles"] if distinct else []
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    rate = _RATE.search(done.stdout)
    if rate is None:
        raise RuntimeError(f"no TOTAL line in bulk_pipeline's output:\n{done.stdout}\n{done.stderr}")
    if hs_model and "HS code check: on" not in done.stdout:
        raise RuntimeError(f"the HS check did not run (no model in {hs_model}? train one: clearway hs train)")
    risk, cpu = _RISK.search(done.stdout), _CPU.search(done.stdout)
    return (
        float(rate.group(1).replace(",", "")),
        float(cpu.group(1)) if cpu else float("nan"),
        (float(risk.group(1)) if risk else None),
    )


def run(count: int, repeat: int, hs_model: str, seed: int = 42, distinct: bool = False) -> dict[str, float]:
    runs: dict[str, list[tuple[float, float]]] = {"without": [], "with": []}
    titles = "distinct titles" if distinct else "the catalogue's titles"
    print(f"{titles}:", flush=True)
    for n in range(repeat):
        for label, model in (("without", None), ("with", hs_model)):
            rate, cpu, risk = one_run(count, model, seed, distinct)
            runs[label].append((rate, cpu))
            risk_text = f", risk stage {risk:.2f} s" if risk is not None else ""
            print(
                f"  run {n + 1} {label:<7} the HS check: {rate:>7,.0f} declarations/s, CPU {cpu:.1f} s{risk_text}",
                flush=True,
            )
    off = statistics.median(r for r, _ in runs["without"])
    on = statistics.median(r for r, _ in runs["with"])
    cpu_off = statistics.median(c for _, c in runs["without"])
    cpu_on = statistics.median(c for _, c in runs["with"])
    cut = 100 * (off - on) / off
    cpu_cut = 100 * (1 - cpu_off / cpu_on)
    print(
        f"bulk pipeline, {count:,} declarations, {titles}, SQLite, median of {repeat}: {off:,.0f}/s without the HS "
        f"check, {on:,.0f}/s with it: a cut of {cut:.1f} % by the wall clock; CPU {cpu_off:.1f} s without, "
        f"{cpu_on:.1f} s with: a cut of {cpu_cut:.1f} % in declarations per CPU second (target: at most 10 %)"
    )
    return {"without": off, "with": on, "cut_percent": cut, "cpu_cut_percent": cpu_cut}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--hs-model", default="var/hs-model")
    add_title_options(parser)
    args = parser.parse_args()
    run_titles(args.count, args.repeat, args.hs_model, args.distinct_titles, args.both_titles)


def add_title_options(parser: argparse.ArgumentParser) -> None:
    titles = parser.add_mutually_exclusive_group()
    titles.add_argument("--distinct-titles", action="store_true", help="every item's description a distinct title")
    titles.add_argument("--both-titles", action="store_true", help="the catalogue's titles, then distinct ones")


def run_titles(count: int, repeat: int, hs_model: str, distinct: bool, both: bool) -> None:
    """One measurement, or both (the catalogue's titles, then distinct ones) with both cuts at the end."""
    if not both:
        run(count, repeat, hs_model, distinct=distinct)
        return
    cuts = {
        label: run(count, repeat, hs_model, distinct=flag) for label, flag in (("repeated", False), ("distinct", True))
    }
    for label, cut in cuts.items():
        print(
            f"cut with {label} titles: {cut['cut_percent']:.1f} % by the wall clock, "
            f"{cut['cpu_cut_percent']:.1f} % per CPU second"
        )


if __name__ == "__main__":
    main()
