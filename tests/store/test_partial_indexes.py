"""The link keys' partial indexes (store.tables) are the ones the linking queries can use: a query
that said the state with a bound parameter instead of the index's literal could not (on SQLite,
told the index, it would fail; on PostgreSQL it would scan)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from clearway.store.repository import SqlClearanceStore


@pytest.fixture
def statements(clean_engine: sa.Engine) -> Iterator[list[tuple[str, Any]]]:
    seen: list[tuple[str, Any]] = []

    def remember(conn: object, cursor: object, statement: str, parameters: Any, *args: object) -> None:
        seen.append((statement, parameters))

    sa.event.listen(clean_engine, "before_cursor_execute", remember)
    yield seen
    sa.event.remove(clean_engine, "before_cursor_execute", remember)


def plan(conn: sa.Connection, statement: str, params: Any, index: str) -> str:
    if conn.dialect.name == "sqlite":
        rows = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", params).all()
        return "\n".join(str(row[-1]) for row in rows)
    # PostgreSQL's planner chooses by statistics, and on a test's few rows any index (or none) is
    # as cheap: the question is whether the query CAN use the index. Inside this transaction, rolled
    # back, the consignments' other indexes are dropped and scans without an index discouraged.
    others = conn.exec_driver_sql(
        "SELECT indexname FROM pg_indexes WHERE tablename = 'consignments' AND indexname LIKE 'ix_%%'"
        " AND indexname <> %(index)s",
        {"index": index},
    ).scalars()
    for name in list(others):
        conn.exec_driver_sql(f'DROP INDEX "{name}"')
    conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
    # Consignments are partitioned (migration 0023): on analyzed, empty partitions walking each one's
    # primary key (a plain index scan, filtering every row) is as cheap as any index. Bitmap scans
    # need a condition on the index's columns, so with plain index scans off only a usable index
    # is chosen.
    conn.exec_driver_sql("SET LOCAL enable_indexscan = off")
    found = "\n".join(str(row[0]) for row in conn.exec_driver_sql(f"EXPLAIN {statement}", params).all())
    # Consignments are partitioned by month (migration 0023): the plan names each partition's copy
    # of the index, which PostgreSQL names itself; those count as the index.
    copies = conn.exec_driver_sql(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
        " JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = %(index)s",
        {"index": index},
    ).scalars()
    return found + "".join(f"\n(through {index})" for copy in copies if f" {copy} " in found)


def explain_last(clean_engine: sa.Engine, statements: list[tuple[str, Any]], index: str) -> str:
    """The plan of the last query of the consignments, with the parameters it ran with."""
    statement, params = next(found for found in reversed(statements) if "FROM consignments" in found[0])
    with clean_engine.connect() as conn, conn.begin() as transaction:
        try:
            return plan(conn, statement.replace(" FOR UPDATE OF c", ""), params, index)
        finally:
            transaction.rollback()


@pytest.mark.parametrize(
    ("kind", "index"),
    [
        ("order", "ix_consignments_awaiting_order_number"),
        ("payment", "ix_consignments_awaiting_payment_key"),
        ("waybill", "ix_consignments_transport_document"),
    ],
)
def test_waiting_declarations_are_found_through_the_partial_index(
    clean_engine: sa.Engine, statements: list[tuple[str, Any]], kind: str, index: str
) -> None:
    with clean_engine.begin() as conn:
        SqlClearanceStore(conn).awaiting_by_keys(kind, ["ORD-1", "ORD-2"])  # type: ignore[arg-type]
    found = explain_last(clean_engine, statements, index)
    assert index in found, found


def test_controlled_declarations_are_found_through_the_order_number(
    clean_engine: sa.Engine, statements: list[tuple[str, Any]]
) -> None:
    with clean_engine.begin() as conn:
        SqlClearanceStore(conn).controlled_by_order(["ORD-1"])
    index = "ix_consignments_order_number"
    found = explain_last(clean_engine, statements, index)
    assert index in found, found
