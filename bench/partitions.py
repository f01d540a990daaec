"""Monthly partitions on PostgreSQL against plain tables: lookups, inserts and dropping a month.

    .venv/bin/python bench/partitions.py --database-url postgresql+psycopg://... [--months 36] [--per-month 20000]

EMPTIES the database it is given (drops the public schema). Fills MONTHS months of synthetic
consignments (ids made as clearance.model.new_id makes them, one history and one version row each),
then measures, on the partitioned schema (migration 0023) and again on the same rows after a
downgrade to plain tables (0022, the revision before partitions): a lookup by id, by operator and
reference, by an awaiting link key
(one at a time, microseconds each), an insert of 10,000 consignments with their history in one
transaction, and removing one month (DROP of its partitions, or DELETE of its rows; rolled back).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import time
from decimal import Decimal

import sqlalchemy as sa

from clearway.store.bulk import BulkWriter
from clearway.store.migrate import downgrade, upgrade
from clearway.store.partitions import Month, drop_month
from clearway.store.tables import consignments, history

OPERATORS = [f"op-{n}" for n in range(20)]
CONSIGNMENT_COLUMNS = (
    "id",
    "operator_id",
    "reference",
    "version",
    "body_hash",
    "state",
    "destination_country",
    "order_number",
    "payment_key",
    "transport_document",
    "currency",
    "goods_value",
    "received_at",
    "updated_at",
)


def new_id(at: dt.datetime) -> str:
    return f"{int(at.timestamp() * 1000):012x}{os.urandom(10).hex()}"


def fill(engine: sa.Engine, months: list[Month], per_month: int) -> list[tuple[str, str, str]]:
    """Consignments spread over the months; (id, operator, reference) of a sample to look up."""
    sample: list[tuple[str, str, str]] = []
    rng = random.Random(7)
    n = 0
    with engine.begin() as conn:
        for month in months:
            rows, hist, vers = [], [], []
            for i in range(per_month):
                at = month.start + dt.timedelta(seconds=rng.uniform(0, month.days * 86400 - 1))
                cid, op, ref = new_id(at), OPERATORS[n % len(OPERATORS)], f"REF-{n}"
                n += 1
                state = "awaiting_documents" if month == months[-1] and i % 10 == 0 else "released"
                rows.append(_row(cid, op, ref, state, at))
                hist.append(
                    {
                        "consignment_id": cid,
                        "at": at,
                        "actor": "bench",
                        "from_state": None,
                        "to_state": state,
                        "hold_reason": None,
                        "reason": "bench",
                    }
                )
                vers.append(
                    {"consignment_id": cid, "version": 1, "body_hash": "0" * 64, "received_at": at, "body": "{}"}
                )
                if rng.random() < 1000 / (per_month * len(months)):
                    sample.append((cid, op, ref))
            conn.execute(sa.text(INSERT_CONSIGNMENT), rows)
            conn.execute(sa.text(INSERT_HISTORY), hist)
            conn.execute(sa.text(INSERT_VERSION), vers)
        conn.execute(sa.text("ANALYZE"))
    return sample


INSERT_CONSIGNMENT = (
    "INSERT INTO consignments (id, operator_id, reference, version, body_hash, state, destination_country, "
    "order_number, payment_key, transport_document, currency, goods_value, received_at, updated_at) VALUES "
    "(:id, :operator_id, :reference, 1, :h, :state, 'DE', :o, :p, :t, 'EUR', 10, :at, :at)"
)
INSERT_HISTORY = (
    "INSERT INTO history (consignment_id, at, actor, from_state, to_state, hold_reason, reason) "
    "VALUES (:consignment_id, :at, :actor, :from_state, :to_state, :hold_reason, :reason)"
)
INSERT_VERSION = (
    "INSERT INTO consignment_versions (consignment_id, version, body_hash, received_at, body) "
    "VALUES (:consignment_id, :version, :body_hash, :received_at, :body)"
)


def _row(cid: str, op: str, ref: str, state: str, at: dt.datetime) -> dict[str, object]:
    return {
        "id": cid,
        "operator_id": op,
        "reference": ref,
        "h": "0" * 64,
        "state": state,
        "o": f"O-{ref}",
        "p": f"P-{ref}",
        "t": f"T-{ref}",
        "at": at,
    }


def per_call(conn: sa.Connection, statement: str, params: list[dict[str, str]]) -> float:
    """Median microseconds of one statement, over the parameters (after one warm-up pass)."""
    query = sa.text(statement)
    for p in params[:50]:
        conn.execute(query, p).all()
    times = []
    for p in params:
        start = time.perf_counter()
        conn.execute(query, p).all()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e6


def measure(engine: sa.Engine, sample: list[tuple[str, str, str]], month: Month, now: dt.datetime) -> dict[str, float]:
    result = {}
    with engine.connect() as conn:
        result["lookup by id (µs)"] = per_call(
            conn, "SELECT * FROM consignments WHERE id = :i", [{"i": s[0]} for s in sample]
        )
        result["history by consignment id (µs)"] = per_call(
            conn, "SELECT * FROM history WHERE consignment_id = :i", [{"i": s[0]} for s in sample]
        )
        result["lookup by operator and reference (µs)"] = per_call(
            conn,
            "SELECT id FROM consignments WHERE operator_id = :o AND reference = :r",
            [{"o": s[1], "r": s[2]} for s in sample],
        )
        result["awaiting by order number (µs)"] = per_call(
            conn,
            "SELECT id FROM consignments WHERE order_number = :k AND state = 'awaiting_documents'",
            [{"k": f"O-{s[2]}"} for s in sample],
        )
    # As the pipeline writes them (store.bulk: COPY on PostgreSQL), so that a statement trigger runs
    # once for the batch as it does there.
    batch = 10_000
    stamp = time.time_ns()
    rows, hist = [], []
    for n in range(batch):
        cid = new_id(now + dt.timedelta(milliseconds=n))
        row = _row(cid, "op-new", f"NEW-{n}-{stamp}", "released", now)
        rows.append(
            (
                cid,
                "op-new",
                row["reference"],
                1,
                "0" * 64,
                "released",
                "DE",
                row["o"],
                row["p"],
                row["t"],
                "EUR",
                Decimal(10),
                now,
                now,
            )
        )
        hist.append((cid, now, "b", None, "released", None, "b"))
    with engine.connect() as conn:
        start = time.perf_counter()
        with conn.begin():
            writer = BulkWriter(conn)
            writer.insert(consignments, CONSIGNMENT_COLUMNS, rows)
            writer.insert(
                history, ("consignment_id", "at", "actor", "from_state", "to_state", "hold_reason", "reason"), hist
            )
        result["COPY 10,000 consignments + history (ms)"] = (time.perf_counter() - start) * 1000
    with engine.connect() as conn:
        kind = conn.execute(sa.text("SELECT relkind FROM pg_class WHERE relname = 'consignments'")).scalar_one()
        conn.rollback()
        partitioned = kind == "p"
        transaction = conn.begin()
        start = time.perf_counter()
        if partitioned:
            drop_month(conn, month)
        else:
            bounds = {"low": month.low, "high": month.high}
            for table in ("history", "consignment_versions"):
                conn.execute(
                    sa.text(f"DELETE FROM {table} WHERE consignment_id >= :low AND consignment_id < :high"), bounds
                )
            conn.execute(sa.text("DELETE FROM consignments WHERE id >= :low AND id < :high"), bounds)
        result["remove one month (ms)"] = (time.perf_counter() - start) * 1000
        transaction.rollback()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--months", type=int, default=36)
    parser.add_argument("--per-month", type=int, default=20_000)
    parser.add_argument("--again", action="store_true", help="measure the rows a previous run left (no filling)")
    args = parser.parse_args()
    engine = sa.create_engine(args.database_url)
    if args.again:
        upgrade(args.database_url)
        with engine.connect() as conn:
            sample = [
                (str(a), str(b), str(c))
                for a, b, c in conn.execute(
                    sa.text(
                        "SELECT id, operator_id, reference FROM consignments WHERE reference LIKE 'REF-%' "
                        "ORDER BY md5(id) LIMIT 1000"
                    )
                ).all()
            ]
        now = dt.datetime.now(dt.UTC)
        run(args, engine, sample, Month.of(now).plus(-args.months + 1), now)
        return
    with engine.begin() as conn:
        conn.execute(sa.text("DROP SCHEMA public CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA public"))
    upgrade(args.database_url)
    now = dt.datetime.now(dt.UTC)
    first = Month.of(now).plus(-args.months + 1)
    months = [first.plus(n) for n in range(args.months)]
    with engine.begin() as conn:
        from clearway.store.partitions import create_ahead, ensure_month

        for month in months:
            ensure_month(conn, month)
        create_ahead(conn, now, 3)
    start = time.perf_counter()
    sample = fill(engine, months, args.per_month)
    print(
        f"{args.months} months x {args.per_month:,} consignments filled in {time.perf_counter() - start:.1f} s; "
        f"{len(sample)} looked up"
    )
    run(args, engine, sample, months[0], now)


def run(
    args: argparse.Namespace, engine: sa.Engine, sample: list[tuple[str, str, str]], oldest: Month, now: dt.datetime
) -> None:
    with engine.begin() as conn:
        conn.execute(sa.text("ANALYZE"))
    parted = measure(engine, sample, oldest, now)
    engine.dispose()
    start = time.perf_counter()
    downgrade(args.database_url, "0022")
    back = time.perf_counter() - start
    with engine.begin() as conn:
        conn.execute(sa.text("ANALYZE"))
    plain = measure(engine, sample, oldest, now + dt.timedelta(seconds=30))
    engine.dispose()
    start = time.perf_counter()
    upgrade(args.database_url)
    forth = time.perf_counter() - start
    print(f"{'':<44} {'partitioned':>12} {'plain':>12}")
    for key in parted:
        print(f"{key:<44} {parted[key]:>12.1f} {plain[key]:>12.1f}")
    with engine.connect() as conn:
        total = conn.execute(sa.text("SELECT count(*) FROM consignments")).scalar_one()
    print(f"migration 0023 on {total:,} consignments (3 rows each): upgrade {forth:.1f} s, downgrade {back:.1f} s")


if __name__ == "__main__":
    main()
