"""Lock anchors (PostgreSQL): rows that exist to be locked, pruned when a table grows, and taken
again by a transaction whose anchor was deleted between its insert and its lock."""

from __future__ import annotations

import os
from typing import Any

import psycopg
import pytest
import sqlalchemy as sa

from clearway.store import lock_anchors
from clearway.store.order_locks import lock_orders, order_key

pytestmark = pytest.mark.skipif(
    not os.environ.get("CLEARWAY_TEST_DATABASE_URL"),
    reason="PostgreSQL-only: SQLite has one writing process and keeps no anchors",
)


def anchors(engine: sa.Engine, table: str = "order_locks") -> set[str]:
    with engine.connect() as conn:
        return {str(k) for (k,) in conn.exec_driver_sql(f"SELECT {lock_anchors.ANCHORS[table]} FROM {table}")}


def held_elsewhere(database_url: str, key: str) -> bool:
    """Whether another session holds this order anchor (a session taking it as lock_anchors does
    must wait: on the row's lock, or on the unique index for a row inserted and not committed)."""
    with psycopg.connect(database_url.replace("+psycopg", ""), autocommit=False) as other:
        other.execute("SET lock_timeout = '200ms'")
        try:
            other.execute("INSERT INTO order_locks (order_key) VALUES (%s) ON CONFLICT DO NOTHING", (key,))
            other.execute("SELECT 1 FROM order_locks WHERE order_key = %s FOR UPDATE", (key,))
        except psycopg.errors.LockNotAvailable:
            return True
        finally:
            other.rollback()
        return False


def test_prune_deletes_the_anchors_nobody_holds_and_keeps_the_held_ones(
    clean_engine: sa.Engine, database_url: str
) -> None:
    with clean_engine.begin() as conn:
        lock_orders(conn, [(f"ORD-{n}", "op-courier-1") for n in range(120)])
    with clean_engine.connect() as conn:
        conn.exec_driver_sql("ANALYZE order_locks")
        conn.commit()
    held = order_key("ORD-7", "op-courier-1")
    with clean_engine.begin() as conn:
        lock_orders(conn, [("ORD-7", "op-courier-1")])
        assert "order_locks" not in lock_anchors.prune(clean_engine, above=1_000)  # under the size: nothing
        assert lock_anchors.prune(clean_engine, above=100)["order_locks"] == 119
        assert anchors(clean_engine) == {held}
        assert held_elsewhere(database_url, held)
    assert not held_elsewhere(database_url, held)


def test_an_anchor_deleted_between_its_insert_and_its_lock_is_inserted_and_locked_again(
    clean_engine: sa.Engine, database_url: str
) -> None:
    key = order_key("ORD-1", "op-courier-1")
    with clean_engine.begin() as conn:
        lock_orders(conn, [("ORD-1", "op-courier-1")])  # the anchor exists: the next insert adds nothing
    deleted: list[str] = []

    def prune_after_the_insert(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.startswith("INSERT INTO order_locks") and not deleted:
            with psycopg.connect(database_url.replace("+psycopg", ""), autocommit=True) as other:
                other.execute("DELETE FROM order_locks WHERE order_key = %s", (key,))
            deleted.append(key)

    with clean_engine.begin() as conn:
        sa.event.listen(conn, "after_cursor_execute", prune_after_the_insert)
        try:
            lock_orders(conn, [("ORD-1", "op-courier-1")])
        finally:
            sa.event.remove(conn, "after_cursor_execute", prune_after_the_insert)
        assert deleted == [key]
        assert held_elsewhere(database_url, key), "the transaction went on without its order's lock"
    assert anchors(clean_engine) == {key}
