"""Bulk pipeline throughput: decode + validate + store + link + assess, on simulated traffic.

    .venv/bin/python bench/bulk_pipeline.py [--count 200000] [--database-url URL]
                                            [--order docs-first|declarations-first] [--no-revenue] [--no-risk]
                                            [--webhooks] [--hs-model DIR | --no-hs-check] [--distinct-titles]

Traffic is generated and written to NDJSON files first, in a child process (not timed, and not in
the peak memory); the timed part reads the files with `clearway ingest`'s path, all of them as one
run (streamed in chunks of 10,000: strict decoding and validation, then the same service the API
uses). Prints declarations per second (documents included in the time, not in the count), the time
per stage, assessments stored, and the peak memory of the process that ran the pipeline. ``--no-revenue``
runs the pipeline without the revenue step, to measure what the duty and tax engine costs.
``--webhooks`` subscribes every operator to every event type first (the worst case of the outbox: each
decision writes its notifications in the batch's transaction); nothing is delivered during the run.
Risk checks declared HS codes against their descriptions when an HS model is loaded (``--hs-model``,
default CLEARWAY_HS_MODEL_DIR's folder, var/hs-model); ``--no-hs-check`` runs without it, to measure
what the check costs (bench/hs_pipeline.py runs both in turn). ``--distinct-titles`` makes every
item's description a distinct marketplace-style title (``distinct_titles``): the check then
classifies every item, where the catalogue's 1,300 names are classified once each.
"""

from __future__ import annotations

import argparse
import atexit
import multiprocessing
import os
import resource
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import msgspec
import sqlalchemy as sa

from clearway.app.demo import register_traffic_operators
from clearway.app.intake import IngestJob, ingest_files, start_check_ahead
from clearway.app.platform import Clearway
from clearway.clearance.notices import EVENT_TYPES
from clearway.clearance.pipeline import PipelineConfig
from clearway.clearance.stages import STAGES, StageTotal, since
from clearway.dataset.records import Consignment
from clearway.settings import Settings
from clearway.simulate import generate
from clearway.simulate.catalogue import VAGUE_DESCRIPTIONS
from clearway.simulate.generator import DEFAULT_START
from clearway.simulate.model import Traffic
from clearway.simulate.operators import Operator
from clearway.store.migrate import upgrade

CHUNK = 10_000
KINDS: list[tuple[str, str]] = [
    ("consignment", "consignments"),
    ("order", "orders"),
    ("payment", "payments"),
    ("waybill", "waybills"),
]


def write_traffic(count: int, seed: int, folder: str, distinct: bool = False) -> list[dict[str, Any]]:
    """Generate the traffic and write one NDJSON file per kind and operator (run in a child
    process, so that the generated objects never count in the pipeline's peak memory)."""
    traffic = generate(count, seed)
    encoder = msgspec.json.Encoder(decimal_format="string")
    for kind, attr in KINDS:
        grouped: dict[str, list[bytes]] = {}
        submissions = getattr(traffic, attr)
        records = [s.record for s in submissions]
        if distinct and kind == "consignment":
            records = distinct_titles(records)
        for s, record in zip(submissions, records, strict=True):
            grouped.setdefault(s.operator_id, []).append(encoder.encode(record))
        for operator, lines in grouped.items():
            (Path(folder) / f"{kind}.{operator}.ndjson").write_bytes(b"\n".join(lines) + b"\n")
    return [msgspec.structs.asdict(op) for op in traffic.operators]


def distinct_titles(consignments: list[Consignment]) -> list[Consignment]:
    """The declarations with every item's description a distinct marketplace-style title: the
    product name inside an invented brand, selling words, a colour and a size, one in five
    translated word by word (the noisy generator of ``clearway hs evaluate``), drawn again until its
    matching form is new. The simulated catalogue has about 1,300 names, which the HS check would
    otherwise classify once each; real marketplaces send far more distinct titles. Vague
    descriptions ("gift") stay as they are, and the declared codes are the product's, so verdicts
    stay those of right codes under noisy titles. Items are linked to their order by SKU, so the
    order lines need not follow (the few without a SKU keep their description)."""
    from clearway.classify.evaluate import noisy
    from clearway.dataset.text import normalise_for_matching

    seen: set[str] = set()
    draw = 0
    out = []
    for consignment in consignments:
        items = []
        for item in consignment.items:
            if item.sku is None or item.description in VAGUE_DESCRIPTIONS:
                items.append(item)
                continue
            while True:
                draw += 1
                title = noisy(item.description, draw)
                form = normalise_for_matching(title)
                if form not in seen:
                    break
            seen.add(form)
            items.append(msgspec.structs.replace(item, description=title))
        out.append(msgspec.structs.replace(consignment, items=items))
    return out


def run(svc: Clearway, kinds: list[str], folder: Path) -> tuple[dict[str, int], dict[str, float]]:
    """Every file, kind by kind in the order given, through `clearway ingest`'s path as one run of
    several files (the HS check reads ahead across them); the records stored and the seconds spent,
    by kind."""
    jobs = [
        IngestJob(path, path.name.split(".", 1)[1].removesuffix(".ndjson"), kind)
        for kind in kinds
        for path in sorted(folder.glob(f"{kind}.*.ndjson"))
    ]
    counts, seconds = dict.fromkeys(kinds, 0), dict.fromkeys(kinds, 0.0)
    for summary in ingest_files(svc, jobs, check_ahead=svc.settings.hs_check_ahead):
        assert summary.rejected == 0, f"simulated traffic must be valid: {summary.first_errors}"
        counts[summary.kind] += summary.accepted
        seconds[summary.kind] += summary.seconds
    return counts, seconds


class Switched(Clearway):
    """The service with the revenue and/or risk steps switched off, to measure what each costs."""

    revenue_on = True
    risk_on = True

    @property
    def config(self) -> PipelineConfig:
        return PipelineConfig(
            document_wait=self.settings.document_wait,
            revenue=self.revenue.config() if self.revenue_on else None,
            risk=self.risk.step() if self.risk_on else None,
        )


def print_stages(stages: dict[str, StageTotal], elapsed: float) -> None:
    """Each stage's share of the run (clearance.stages), so that the next bottleneck is visible."""
    print("  per stage (wall time; records through the stage; share of the run):")
    for name, total in stages.items():
        rate = total.records / total.seconds if total.seconds else 0.0
        print(
            f"    {name:<17} {total.seconds:7.2f} s  {total.records:>9,} records  {rate:>11,.0f}/s"
            f"  {100 * total.seconds / elapsed:5.1f} %"
        )
    rest = elapsed - sum(total.seconds for total in stages.values())
    print(f"    {'(between stages)':<17} {rest:7.2f} s  {'':>9}          {'':>11}    {100 * rest / elapsed:5.1f} %")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file in a temp dir")
    parser.add_argument("--order", choices=["docs-first", "declarations-first"], default="docs-first")
    parser.add_argument("--no-revenue", action="store_true", help="skip the duty and tax assessment")
    parser.add_argument("--no-risk", action="store_true", help="skip data quality, screening, rules and lanes")
    parser.add_argument("--webhooks", action="store_true", help="subscribe every operator to every event type")
    parser.add_argument("--hs-model", default=Settings().hs_model_dir, help="the HS classifier's folder")
    parser.add_argument("--no-hs-check", action="store_true", help="risk without the HS code check")
    parser.add_argument(
        "--distinct-titles",
        action="store_true",
        help="every item's description a distinct marketplace-style title (the HS check's worst case)",
    )
    args = parser.parse_args()

    tmp = tempfile.mkdtemp(prefix="clearway-bench-")
    atexit.register(shutil.rmtree, tmp, True)  # the database and traffic: hundreds of MB a run
    url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
    upgrade(url)
    Switched.revenue_on, Switched.risk_on = not args.no_revenue, not args.no_risk
    hs_model = str(Path(tmp) / "no-hs-model") if args.no_hs_check else args.hs_model
    # From the environment like the command line (CLEARWAY_HS_CHECK_AHEAD=0: the HS check in this process).
    settings = Settings.from_env(database_url=url, secret_key_file=str(Path(tmp) / "secret.key"), hs_model_dir=hs_model)
    svc = Switched(settings)

    t = time.perf_counter()
    folder = Path(tmp) / "traffic"
    folder.mkdir()
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        operators = pool.apply(write_traffic, (args.count, args.seed, str(folder), args.distinct_titles))
    known = Traffic(seed=args.seed, start=DEFAULT_START, operators=[Operator(**o) for o in operators])
    register_traffic_operators(svc, known)
    if args.webhooks:
        for op in operators:
            svc.webhooks.subscribe(op["id"], f"https://93.184.215.14/{op['id']}", list(EVENT_TYPES))
    print(
        f"generated and wrote {args.count:,} consignments with documents in {time.perf_counter() - t:.1f} s (not timed)"
    )

    # The risk step (rules, lists, the targeting model, the HS classifier) is loaded before the clock
    # starts, as a running server has it loaded: the run measures the pipeline, not start-up.
    if svc.risk_on:
        svc.risk.step()
    started = time.perf_counter()
    cpu_started = time.process_time()
    children_started = children_cpu()
    before = STAGES.snapshot()
    # As a run of several files would: the HS check's process (if used) loads its model while the
    # documents go through, inside the timed part, its CPU counted below.
    start_check_ahead(svc)
    kinds = [kind for kind, _ in KINDS]
    if args.order == "docs-first":
        kinds = kinds[1:] + kinds[:1]
    counts, timings = run(svc, kinds, folder)
    elapsed = time.perf_counter() - started
    # With the HS check's process (app/hs_ahead.py) counted: the work it does is still work.
    helpers = children_cpu() - children_started
    cpu = time.process_time() - cpu_started + helpers
    stages = since(before, STAGES.snapshot())

    with svc.engine.connect() as conn:
        found = conn.execute(sa.text("SELECT state, count(*) FROM consignments GROUP BY state")).all()
        states: dict[str, int] = {str(state): int(n) for state, n in found}
        assessed = conn.execute(sa.text("SELECT count(*) FROM assessments")).scalar_one()
        risked = conn.execute(sa.text("SELECT count(*) FROM risk_results")).scalar_one()
        queued = conn.execute(sa.text("SELECT count(*) FROM webhook_deliveries")).scalar_one()
    hs_check = "off" if svc.risk.step().hs_mismatch is None else f"on ({hs_model})"
    svc.close()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    titles = "distinct titles" if args.distinct_titles else "the catalogue's titles"
    print(f"database: {svc.engine.dialect.name}; order: {args.order}; HS code check: {hs_check}; {titles}")
    for kind, seconds in timings.items():
        rate = counts[kind] / seconds if seconds else 0.0
        print(f"  {kind:<12} {counts[kind]:>9,} stored in {seconds:6.1f} s  ({rate:>9,.0f}/s)")
    print(f"  final states: {states}")
    print(f"  assessments stored: {assessed:,}; risk results stored: {risked:,}; webhook deliveries queued: {queued:,}")
    print_stages(stages, elapsed)
    print(
        f"TOTAL {counts['consignment']:,} declarations with their documents in {elapsed:.1f} s: "
        f"{counts['consignment'] / elapsed:,.0f} declarations/s; peak memory {peak_mb:,.0f} MB"
    )
    # CPU time of this process (all its threads) and of its child processes in the timed part:
    # steadier than the wall clock on a machine shared with other work.
    print(
        f"CPU {cpu:.1f} s in the timed part ({helpers:.1f} s of it in child processes): "
        f"{counts['consignment'] / cpu:,.0f} declarations per CPU second"
    )


def children_cpu() -> float:
    """CPU seconds so far of this process's live child processes, from /proc (Linux; 0 elsewhere):
    the HS check's process (app/hs_ahead.py) lives on after the run, so getrusage never counts it."""
    total = 0.0
    tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    for children in Path(f"/proc/{os.getpid()}/task").glob("*/children"):
        for pid in children.read_text().split():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue  # ended meanwhile
            total += (int(fields[11]) + int(fields[12])) / tick  # utime, stime
    return total


if __name__ == "__main__":
    main()
