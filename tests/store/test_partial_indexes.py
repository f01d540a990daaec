"""The link keys' partial indexes (store.tables) are the ones the linking queries use: a query that
said the state with a bound parameter instead of the index's literal would scan the table."""

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


def plan(conn: sa.Connection, statement: str, params: Any) -> str:
    if conn.dialect.name == "sqlite":
        rows = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", params).all()
        return "\n".join(str(row[-1]) for row in rows)
    # A few rows make a sequential scan cheapest: the test asks which index the query can use.
    conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
    return "\n".join(str(row[0]) for row in conn.exec_driver_sql(f"EXPLAIN {statement}", params).all())


def explain_last(clean_engine: sa.Engine, statements: list[tuple[str, Any]]) -> str:
    """The plan of the last query of the consignments, with the parameters it ran with."""
    statement, params = next(found for found in reversed(statements) if "FROM consignments" in found[0])
    with clean_engine.begin() as conn:
        return plan(conn, statement.replace(" FOR UPDATE OF c", ""), params)


def assert_uses(engine: sa.Engine, found: str, index: str) -> None:
    """SQLite is told the index (its planner has no statistics); PostgreSQL's planner chooses among
    the indexes whose condition the query implies, and with empty tables any of them is as cheap:
    there the query must reach the consignments through a partial or key index, not the state's."""
    if engine.dialect.name == "sqlite":
        assert index in found, found
    else:
        assert "Index Scan using ix_consignments_" in found and "ix_consignments_state_deadline" not in found, found


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
    assert_uses(clean_engine, explain_last(clean_engine, statements), index)


def test_controlled_declarations_are_found_through_the_partial_index(
    clean_engine: sa.Engine, statements: list[tuple[str, Any]]
) -> None:
    with clean_engine.begin() as conn:
        SqlClearanceStore(conn).controlled_by_order(["ORD-1"])
    assert_uses(clean_engine, explain_last(clean_engine, statements), "ix_consignments_controlled_order_number")
