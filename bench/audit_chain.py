"""Appending to and verifying the audit chain, alone: what the record stage pays for it.

    .venv/bin/python bench/audit_chain.py [--count 40000] [--batch 40000] [--database-url URL]

Appends ``count`` events shaped like the pipeline's (a declaration's state changes and decision:
codes, ids, a body hash) to an empty chain, ``batch`` events per append (one append per pipeline
call: a chunk of 10,000 declarations makes about 40,000 events), each append in its own
transaction, then verifies the whole chain. Prints events per second for both, and the bytes the
chain's tables take per event (SQLite only). Without ``--database-url``: a fresh SQLite file.
"""

from __future__ import annotations

import argparse
import atexit
import datetime as dt
import shutil
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

from clearway.audit.chain import AuditEvent
from clearway.store.audit_log import SqlAuditLog
from clearway.store.engine import create_engine
from clearway.store.migrate import upgrade

T0 = dt.datetime(2026, 12, 7, 10, 0, tzinfo=dt.UTC)


def events(count: int) -> list[AuditEvent]:
    """Per declaration: received (with its body hash), the decision, and the state it led to."""
    found: list[AuditEvent] = []
    for n in range(count // 4 + 1):
        cid = f"c-{n:012d}-0000-0000-0000-000000000000"
        found.append(
            AuditEvent(
                at=T0,
                actor="operator:op-courier-1",
                action="consignment.state",
                subject=cid,
                detail={"to": "received", "version": 1, "body_hash": f"{n:064x}"},
            )
        )
        found.append(
            AuditEvent(
                at=T0,
                actor="engine:risk-1",
                action="consignment.decision",
                subject=cid,
                detail={"version": 1, "link": "linked", "lane": "green", "codes": ["documents_match"], "irg": 2},
            )
        )
        found.append(
            AuditEvent(
                at=T0,
                actor="engine:risk-1",
                action="consignment.state",
                subject=cid,
                detail={"from": "received", "to": "released"},
            )
        )
        found.append(
            AuditEvent(at=T0, actor="engine:risk-1", action="consignment.state", subject=cid, detail={"to": "x"})
        )
    return found[:count]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=40_000)
    parser.add_argument("--batch", type=int, default=40_000)
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file (emptied if given)")
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="clearway-audit-bench-")
    atexit.register(shutil.rmtree, tmp, True)  # the database and traffic: hundreds of MB a run
    url = args.database_url or f"sqlite:///{Path(tmp) / 'audit.db'}"
    upgrade(url)
    engine = create_engine(url)
    todo = events(args.count)

    started = time.perf_counter()
    for at in range(0, len(todo), args.batch):
        with engine.begin() as conn:
            SqlAuditLog(conn).append(todo[at : at + args.batch])
    appended = time.perf_counter() - started

    started = time.perf_counter()
    with engine.connect() as conn:
        verdict = SqlAuditLog(conn).verify()
    verified = time.perf_counter() - started
    assert verdict.ok, verdict

    print(f"database: {engine.dialect.name}; {len(todo):,} events, {args.batch:,} an append")
    print(f"  append  {appended:6.2f} s  {len(todo) / appended:>9,.0f} events/s")
    print(f"  verify  {verified:6.2f} s  {len(todo) / verified:>9,.0f} events/s")
    if engine.dialect.name == "sqlite":
        with engine.connect() as conn:
            sizes = dict(conn.execute(sa.text("SELECT name, sum(pgsize) FROM dbstat GROUP BY name")).all())  # type: ignore[arg-type]
        chain = sum(v for k, v in sizes.items() if "audit" in str(k))
        print(f"  stored  {chain / len(todo):6.0f} bytes an event (audit tables and their indexes)")
    engine.dispose()


if __name__ == "__main__":
    main()
