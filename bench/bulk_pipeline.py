"""Bulk pipeline throughput: decode + validate + store + link + assess, on simulated traffic.

    .venv/bin/python bench/bulk_pipeline.py [--count 200000] [--database-url URL]
                                            [--order docs-first|declarations-first] [--no-revenue] [--no-risk]
                                            [--webhooks]

Traffic is generated and encoded to NDJSON first (not timed), as if read from files; the timed
part parses every line (strict decoding and validation) and submits in chunks of 10,000 through
the same service the API and `clearway ingest` use. Prints declarations per second (documents
included in the time, not in the count), assessments stored, and peak memory. ``--no-revenue``
runs the pipeline without the revenue step, to measure what the duty and tax engine costs.
``--webhooks`` subscribes every operator to every event type first (the worst case of the outbox: each
decision writes its notifications in the batch's transaction); nothing is delivered during the run.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path
from typing import Any

import msgspec
import sqlalchemy as sa

from clearway.app.demo import register_traffic_operators
from clearway.app.platform import Clearway
from clearway.clearance.notices import EVENT_TYPES
from clearway.clearance.pipeline import PipelineConfig
from clearway.clearance.stages import STAGES, StageTotal, since
from clearway.dataset.decode import RecordDecoder
from clearway.dataset.records import Consignment, Order, Payment, Waybill
from clearway.gc_pause import paused_gc
from clearway.intake.ndjson import parse_ndjson
from clearway.settings import Settings
from clearway.simulate import generate
from clearway.store.migrate import upgrade

CHUNK = 10_000
KINDS: list[tuple[str, type[Any], str]] = [
    ("order", Order, "orders"),
    ("payment", Payment, "payments"),
    ("waybill", Waybill, "waybills"),
]


def encode_by_operator(submissions: list[Any]) -> dict[str, bytes]:
    grouped: dict[str, list[bytes]] = {}
    encoder = msgspec.json.Encoder(decimal_format="string")
    for s in submissions:
        grouped.setdefault(s.operator_id, []).append(encoder.encode(s.record))
    return {op: b"\n".join(lines) + b"\n" for op, lines in grouped.items()}


def run(svc: Clearway, kind: str, cls: type[Any], payloads: dict[str, bytes]) -> int:
    decoder: RecordDecoder[Any] = RecordDecoder(cls)
    stored = 0
    for operator, body in payloads.items():
        with paused_gc(), STAGES.stage("decode", body.count(b"\n")):  # as `clearway ingest` parses
            parsed = parse_ndjson(body, decoder, max_lines=10**9)
        records = [p.record for p in parsed.parsed if p.record is not None]
        assert len(records) == len(parsed.parsed), "simulated traffic must be valid"
        for start in range(0, len(records), CHUNK):
            chunk = records[start : start + CHUNK]
            if kind == "consignment":
                results = svc.submit_consignments(operator, chunk)
            else:
                results = svc.submit_documents(kind, operator, chunk)  # type: ignore[arg-type]
            stored += sum(r.status == "accepted" for r in results)
    return stored


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
    args = parser.parse_args()

    tmp = tempfile.mkdtemp(prefix="clearway-bench-")
    url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
    upgrade(url)
    Switched.revenue_on, Switched.risk_on = not args.no_revenue, not args.no_risk
    svc = Switched(Settings(database_url=url, secret_key_file=str(Path(tmp) / "secret.key")))

    t = time.perf_counter()
    traffic = generate(args.count, args.seed)
    register_traffic_operators(svc, traffic)
    if args.webhooks:
        for op in traffic.operators:
            svc.webhooks.subscribe(op.id, f"https://93.184.215.14/{op.id}", list(EVENT_TYPES))
    declarations = encode_by_operator(traffic.consignments)
    documents = {kind: encode_by_operator(getattr(traffic, attr)) for kind, _, attr in KINDS}
    print(
        f"generated and encoded {args.count:,} consignments with documents "
        f"in {time.perf_counter() - t:.1f} s (not timed)"
    )
    del traffic

    started = time.perf_counter()
    before = STAGES.snapshot()
    timings: dict[str, float] = {}
    stages = [("consignment", Consignment, declarations)] + [(k, c, documents[k]) for k, c, _ in KINDS]
    if args.order == "docs-first":
        stages = stages[1:] + stages[:1]
    counts = {}
    for kind, cls, payloads in stages:
        t = time.perf_counter()
        counts[kind] = run(svc, kind, cls, payloads)
        timings[kind] = time.perf_counter() - t
    elapsed = time.perf_counter() - started
    stages = since(before, STAGES.snapshot())

    with svc.engine.connect() as conn:
        states = dict(conn.execute(sa.text("SELECT state, count(*) FROM consignments GROUP BY state")).all())  # type: ignore[arg-type]
        assessed = conn.execute(sa.text("SELECT count(*) FROM assessments")).scalar_one()
        risked = conn.execute(sa.text("SELECT count(*) FROM risk_results")).scalar_one()
        queued = conn.execute(sa.text("SELECT count(*) FROM webhook_deliveries")).scalar_one()
    svc.close()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"database: {svc.engine.dialect.name}; order: {args.order}")
    for kind, seconds in timings.items():
        print(f"  {kind:<12} {counts[kind]:>9,} stored in {seconds:6.1f} s  ({counts[kind] / seconds:>9,.0f}/s)")
    print(f"  final states: {states}")
    print(f"  assessments stored: {assessed:,}; risk results stored: {risked:,}; webhook deliveries queued: {queued:,}")
    print_stages(stages, elapsed)
    print(
        f"TOTAL {counts['consignment']:,} declarations with their documents in {elapsed:.1f} s: "
        f"{counts['consignment'] / elapsed:,.0f} declarations/s; peak memory {peak_mb:,.0f} MB"
    )


if __name__ == "__main__":
    main()
