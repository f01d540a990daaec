"""Statistics on a million consignments: the facts refresh and every dashboard query, timed.

    .venv/bin/python bench/stats.py [--count 1000000] [--seed 7] [--keep DB] [--threads 2]

The store tables are filled directly, not through the pipeline (a million declarations through it
would take the better part of an hour, see docs/benchmarks.md): a temporary SQLite database is
migrated, then consignments with their latest version's body (canonical JSON of realistic size,
buyer and seller included), their history (received, assessed, then released, or held, inspected,
seized...), risk results (with the quality codes the facts read), assessments (with a body) and
inspection outcomes are written with the store's bulk writer (executemany), seeded and untimed.

Timed: a full load of the facts frame, an incremental refresh after 1,000 consignments changed
and 100 outcomes were recorded, an incremental refresh when nothing changed, then each query the
dashboard and /v1/stats run, over all the data and over the last 30 days. The target: every
dashboard query under 1 s on 1,000,000 consignments.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import resource
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

CHUNK = 50_000
START = dt.datetime(2025, 12, 1, tzinfo=dt.UTC)
DAYS = 365
ORIGINS = [
    c for c, n in (("CN", 60), ("HK", 8), ("US", 8), ("GB", 6), ("TR", 6), ("KR", 4), ("JP", 8)) for _ in range(n)
]
DESTINATIONS = [
    c for c, n in (("DE", 30), ("FR", 20), ("NL", 12), ("IT", 12), ("ES", 10), ("PL", 16)) for _ in range(n)
]
HS = ["620610", "610910", "640399", "420221", "851830", "950300", "392690", "330499", "711719", "910211", "847130"]
RULES = [f"rule_{n:02d}@1" for n in range(17)]


def _body(rng: random.Random, n: int, origin: str, destination: str, post: bool, departure: dt.date) -> str:
    items = [
        {
            "line": i + 1,
            "description": f"Item {n}-{i}",
            "hs_code": rng.choice(HS),
            "quantity": str(rng.randint(1, 3)),
            "unit_price": f"{rng.uniform(1, 80):.2f}",
            "origin_country": origin,
            "sku": f"SKU-{n}-{i}",
        }
        for i in range(rng.choice((1, 1, 1, 2, 3)))
    ]
    goods = sum(float(i["quantity"]) * float(i["unit_price"]) for i in items)
    seller_address = {"line1": "1 Road", "city": "Town", "country": origin}
    buyer_address = {"line1": f"{n} Street", "city": "City", "postcode": "10000", "country": destination}
    record = {
        "reference": f"BENCH-{n}",
        "destination_country": destination,
        "parties": {
            "seller": {"name": f"Seller {n % 5000}", "country": origin, "address": seller_address},
            "buyer": {"name": f"Buyer {n}", "country": destination, "email": f"b{n}@example.org",
                      "address": buyer_address},
            "platform": {"name": "Marketplace", "country": "IE"},
        },
        "transaction": {"order_number": f"O{n}", "order_date": "2026-01-01T00:00:00+00:00", "currency": "EUR",
                        "goods_value": f"{goods:.2f}", "amount_paid": f"{goods + 3:.2f}", "freight": "3.00",
                        "payment_id": f"P{n}"},
        "items": items,
        "logistics": {"transport_document": f"T{n}", "document_type": "upu_s10" if post else "house_waybill",
                      "transport_mode": "post" if post else "air", "packages": 1, "gross_weight_kg": "0.50",
                      "departure_date": departure.isoformat()},
        "flags": {"nature": "sale", "relationship": rng.choice(("B2C",) * 8 + ("C2C", "B2B"))},
    }  # fmt: skip
    return json.dumps(record, separators=(",", ":"))


def _fate(rng: random.Random) -> tuple[str, list[str], str | None]:
    """(final state, transitions after receipt, outcome) drawn with realistic shares."""
    draw = rng.random()
    if draw < 0.86:
        return "released", ["assessed", "released"], None
    if draw < 0.91:
        return "released", ["assessed", "held", "released"], None
    if draw < 0.925:
        outcome = rng.choice(("compliant",) * 3 + ("undervalued", "misclassified"))
        return "released", ["assessed", "held", "inspected", "released"], outcome
    if draw < 0.928:
        return "seized", ["assessed", "held", "inspected", "seized"], rng.choice(("counterfeit", "prohibited"))
    if draw < 0.930:
        return "returned", ["assessed", "held", "inspected", "returned"], "prohibited"
    if draw < 0.96:
        return "held", ["assessed", "held"], None
    if draw < 0.99:
        return "awaiting_documents", ["awaiting_documents"], None
    return "cancelled", ["awaiting_documents", "cancelled"], None


def _rows(count: int, seed: int) -> Iterator[dict[str, list[tuple[Any, ...]]]]:
    rng = random.Random(seed)
    t = _sqlite_time
    for start in range(0, count, CHUNK):
        chunk: dict[str, list[tuple[Any, ...]]] = {k: [] for k in ("c", "v", "h", "r", "a", "o")}
        for n in range(start, min(start + CHUNK, count)):
            cid = f"{n:032x}"
            received = START + dt.timedelta(seconds=rng.randrange(DAYS * 86400))
            origin, destination, post = rng.choice(ORIGINS), rng.choice(DESTINATIONS), rng.random() < 0.3
            departure = (received + dt.timedelta(hours=rng.uniform(-6, 48))).date()
            body = _body(rng, n, origin, destination, post, departure)
            state, steps, outcome = _fate(rng)
            at = received
            for step in ["received", *steps]:
                chunk["h"].append((cid, t(at), "bench", None, step, None, "bench"))
                at += dt.timedelta(minutes=rng.expovariate(1 / 90) if step in ("held", "inspected") else 0)
            value = float(json.loads(body)["transaction"]["goods_value"])
            lane = {"released": "green", "awaiting_documents": None, "cancelled": None}.get(state, "red")
            chunk["c"].append(
                (cid, f"op-{n % 40}", f"R{n}", 1, "h", state, None, lane, "linked", destination, f"O{n}", f"P{n}",
                 f"T{n}", "EUR", f"{value:.2f}", t(received), t(at), None)
            )  # fmt: skip
            chunk["v"].append((cid, 1, "h", t(received), body))
            if steps[0] == "assessed":
                codes = ["late_filing"] if rng.random() < 0.04 else []
                risk = {"lane": lane, "score": 0, "quality_score": 100, "quality_codes": codes, "rule_hits": [],
                        "rule_versions": RULES, "screening_hits": [], "reasons": [], "value_eur": value}  # fmt: skip
                chunk["r"].append((cid, 1, t(received), lane, 0, 100, f"op-{n % 40}", f"b{n}", value, json.dumps(risk)))
                duty, tax = 3.0 * rng.randint(1, 2), round((value + 3) * 0.19, 2)
                assessment = {"lines": [{"kind": "tax", "description": "VAT " * 40}] * 3, "parameters": RULES}
                chunk["a"].append(
                    (cid, 1, f"op-{n % 40}", received.date().isoformat(), "EU", destination, "EUR", 3,
                     rng.choice(("vendor", "vendor", "intermediary", "buyer")), None, None, f"{value:.2f}",
                     f"{duty:.2f}", f"{tax:.2f}", "0.00", f"{duty + tax:.2f}", 1, json.dumps(assessment), t(received))
                )  # fmt: skip
            if outcome is not None:
                chunk["o"].append((cid, 1, outcome, None, None, "", "bench", t(at), "[]", "red"))
        yield chunk


def _sqlite_time(value: dt.datetime) -> str:
    """A UTC time as the store keeps it on SQLite (clearway.store.bulk.BulkWriter.time)."""
    return value.isoformat(" ", "microseconds")[:26]


def build(url: str, count: int, seed: int) -> float:
    from clearway.store.bulk import BulkWriter
    from clearway.store.engine import create_engine
    from clearway.store.migrate import upgrade
    from clearway.store.revenue_tables import assessments
    from clearway.store.risk_tables import inspection_outcomes, risk_results
    from clearway.store.tables import consignment_versions, consignments, history

    upgrade(url)
    engine = create_engine(url)
    columns = {
        "c": (consignments, [c.name for c in consignments.columns]),
        "v": (consignment_versions, [c.name for c in consignment_versions.columns]),
        "h": (history, [c.name for c in history.columns if c.name != "id"]),
        "r": (risk_results, ["consignment_id", "version", "assessed_at", "lane", "score", "quality_score",
                              "operator_id", "buyer_key", "value_eur", "body"]),
        "a": (assessments, [c.name for c in assessments.columns]),
        "o": (inspection_outcomes, [c.name for c in inspection_outcomes.columns if c.name != "id"]),
    }  # fmt: skip
    started = time.perf_counter()
    done = 0
    for chunk in _rows(count, seed):
        with engine.begin() as conn:
            writer = BulkWriter(conn)
            for key, (table, names) in columns.items():
                writer.insert(table, names, chunk[key])
        done += len(chunk["c"])
        print(f"\r  stored {done:,} consignments", end="", flush=True)
    print()
    engine.dispose()
    return time.perf_counter() - started


def timed(label: str, call: Callable[[], Any], results: list[tuple[str, float]], repeat: int = 3) -> Any:
    best, answer = float("inf"), None
    for _ in range(repeat):
        started = time.perf_counter()
        answer = call()
        best = min(best, time.perf_counter() - started)
    results.append((label, best))
    return answer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", type=Path, help="Build into (or reuse) this SQLite file instead of a temporary one")
    parser.add_argument("--threads", type=int, default=2, help="Polars threads (the machine has 2 cores)")
    args = parser.parse_args()
    os.environ["POLARS_MAX_THREADS"] = str(args.threads)  # read when Polars is first imported

    import polars as pl
    import sqlalchemy as sa

    from clearway.app.stats import StatsService
    from clearway.settings import Settings
    from clearway.stats.model import DIMENSIONS, METRICS, PERIODS
    from clearway.stats.queries import Window
    from clearway.store.engine import create_engine

    folder = tempfile.TemporaryDirectory(prefix="clearway-stats-")
    path = args.keep or Path(folder.name) / "stats.db"
    url = f"sqlite:///{path}"
    if args.keep is None or not path.exists():
        print(f"building {args.count:,} consignments in {path} (untimed for the statistics)")
        print(f"  built in {build(url, args.count, args.seed):.0f} s, {path.stat().st_size / 1e9:.1f} GB")
    engine = create_engine(url)
    stats = StatsService(engine, Settings(database_url=url, stats_refresh_seconds=3600))
    results: list[tuple[str, float]] = []

    refresh = timed("full load of the facts frame", lambda: stats.refresh(full=True), results, repeat=1)
    facts = stats.facts()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6
    print(f"facts: {facts.height:,} rows, {facts.estimated_size() / 1e6:.0f} MB in memory; peak RSS {peak:.1f} GB")
    assert refresh.rows == args.count

    with engine.begin() as conn:  # 1,000 consignments change now, 100 of them get an outcome
        now = dt.datetime.now(dt.UTC).replace(tzinfo=None).isoformat(" ", "microseconds")
        ids = [f"{n:032x}" for n in range(0, args.count, max(1, args.count // 1000))][:1000]
        conn.execute(sa.text("UPDATE consignments SET state = 'released', updated_at = :t WHERE id = :id"),
                     [{"t": now, "id": i} for i in ids])  # fmt: skip
        conn.execute(
            sa.text("INSERT INTO inspection_outcomes (consignment_id, version, outcome, note, officer, recorded_at,"
                    " rule_hits, lane) VALUES (:id, 1, 'compliant', '', 'bench', :t, '[]', 'red')"),
            [{"t": now, "id": i} for i in ids[:100]],
        )  # fmt: skip
    changed = timed("incremental refresh, 1,000 changed", lambda: stats.refresh(), results, repeat=1)
    assert not changed.full and changed.read >= 1000, changed
    timed("incremental refresh, nothing changed", lambda: stats.refresh(), results)

    last = facts["received_at"].max()
    assert last is not None
    month = Window(last.date() - dt.timedelta(days=29), last.date())
    for name, window in (("all", Window()), ("30 days", month)):
        timed(f"kpis ({name})", lambda w=window: stats.kpis(w), results)
        for by in DIMENSIONS:
            timed(f"breakdown by {by} ({name})", lambda w=window, b=by: stats.breakdown(w, by=b), results)
        for period in PERIODS:
            for metric in ("consignments", "revenue_eur"):
                for by in (None, "origin", "operator"):
                    timed(
                        f"series {metric} per {period} by {by or 'none'} ({name})",
                        lambda w=window, p=period, m=metric, b=by: stats.series(w, metric=m, period=p, by=b),
                        results,
                    )
    timed("export csv (30 days)", lambda: stats.export(month, "csv"), results, repeat=1)
    timed("export parquet (30 days)", lambda: stats.export(month, "parquet"), results, repeat=1)
    timed("export parquet (all)", lambda: stats.export(Window(), "parquet"), results, repeat=1)

    print(f"\n{'query':58} {'seconds':>9}")
    for label, seconds in results:
        print(f"{label:58} {seconds:9.3f}")
    dashboard = [s for label, s in results if label.startswith(("kpis", "breakdown", "series"))]
    print(f"\nslowest dashboard query: {max(dashboard):.3f} s over {facts.height:,} consignments (target < 1 s)")
    print(f"Polars threads: {pl.thread_pool_size()}; metrics available: {', '.join(METRICS)}")
    folder.cleanup()


if __name__ == "__main__":
    main()
