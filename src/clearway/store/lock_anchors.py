"""Rows that exist to be locked: what several processes on one PostgreSQL database take turns on.

A buyer's per-person quota (``quota_buyers``, store/revenue_repo.py) and a declarant's order
(``order_locks``, store/order_locks.py) have no row of their own to lock, so each gets an anchor: a
one-column row, inserted when first needed and locked ``FOR UPDATE`` by the transaction that reads
and then writes what depends on it. The second of two transactions waits for the first to commit
and then reads after it (READ COMMITTED takes a new snapshot per statement). Keys in sorted order,
so that two batches never wait for each other in a circle. Row locks, not advisory locks: a batch of
100,000 keys would overflow PostgreSQL's lock table, and a row lock costs nothing there.

Anchors hold nothing, so they may be deleted any time they are not locked (``prune``: the tables
grow by one row per buyer or order, hundreds of megabytes a week at a large administration's flow).
A transaction whose anchor was deleted between its insert and its lock finds it missing, lets go of
that attempt's locks and takes them all again, until it holds every key it asked for.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Final

import sqlalchemy as sa

# The tables of anchors and their key columns.
ANCHORS: Final = {"quota_buyers": "buyer_key", "order_locks": "order_key"}
# Pruned when a table holds more rows than this (PostgreSQL's estimate), in pieces of PIECE.
PRUNE_ABOVE: Final = 1_000_000
PIECE: Final = 50_000


def lock(conn: sa.Connection, table: str, keys: Collection[str]) -> None:
    """Hold the anchors of ``keys`` in ``table`` until the transaction ends (inserted if missing)."""
    column = ANCHORS[table]
    wanted = sorted(set(keys))
    if not wanted:
        return
    while True:
        # In a savepoint: an anchor ``prune`` deleted between the two statements (it skips locked rows
        # only) leaves this pass short of it, and then every lock of the pass is let go and all are
        # taken again, in order. Taking only the missing one, after later keys, could wait in a
        # circle with a transaction that took it first.
        attempt = conn.begin_nested()
        conn.exec_driver_sql(
            f"INSERT INTO {table} ({column}) SELECT k FROM unnest(%s::text[]) AS k ORDER BY k "
            f"ON CONFLICT ({column}) DO NOTHING",
            (wanted,),
        )
        held = conn.exec_driver_sql(
            f"SELECT {column} FROM {table} WHERE {column} = ANY(%s) ORDER BY {column} FOR UPDATE", (wanted,)
        )
        if len(held.all()) == len(wanted):
            attempt.commit()
            return
        attempt.rollback()


def prune(engine: sa.Engine, *, above: int = PRUNE_ABOVE) -> dict[str, int]:
    """Delete the anchors no transaction holds, in each table grown past ``above`` rows; the rows
    deleted per table (PostgreSQL; SQLite keeps no anchors)."""
    if engine.dialect.name != "postgresql":
        return {}
    deleted: dict[str, int] = {}
    for table, column in ANCHORS.items():
        with engine.connect() as conn:
            rows = conn.exec_driver_sql(
                "SELECT GREATEST(reltuples, 0)::bigint FROM pg_class WHERE oid = %s::regclass", (table,)
            ).scalar_one()
        if rows <= above:
            continue
        deleted[table] = 0
        while True:
            # Its own transaction per piece: the rows deleted are locked only until it commits.
            with engine.begin() as conn:
                done = conn.exec_driver_sql(
                    f"DELETE FROM {table} WHERE {column} IN "
                    f"(SELECT {column} FROM {table} LIMIT %s FOR UPDATE SKIP LOCKED)",
                    (PIECE,),
                ).rowcount
            deleted[table] += done
            if done < PIECE:
                break
        with engine.connect() as conn:
            conn.exec_driver_sql(f"ANALYZE {table}")  # the estimate above, brought up to date
            conn.commit()
    return deleted
