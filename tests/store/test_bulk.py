"""The bulk writer keeps PostgreSQL's statistics of a table it grows, however small its batches: with
none, the planner scans the whole table for the numbers a batch looks up (CLEARWAY_TEST_DATABASE_URL).
The ANALYZE runs after the batch's commit, never inside its transaction."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from clearway.store.bulk import ANALYZE_AFTER, BulkWriter, analyze_due, take_due


def _has_statistics(conn: sa.Connection, table: str) -> bool:
    return bool(conn.exec_driver_sql("SELECT count(*) FROM pg_stats WHERE tablename = %s", (table,)).scalar_one())


def test_small_batches_that_grow_a_table_refresh_its_statistics(engine: sa.Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only (CLEARWAY_TEST_DATABASE_URL): SQLite's planner keeps no such statistics")
    name = f"bulk_probe_{uuid.uuid4().hex[:12]}"
    table = sa.Table(name, sa.MetaData(), sa.Column("n", sa.Integer), sa.Column("word", sa.Text))
    with engine.begin() as conn:
        # Autovacuum held off, so that only the writer can have analyzed the table.
        conn.exec_driver_sql(f"CREATE TABLE {name} (n integer, word text) WITH (autovacuum_enabled = false)")
        conn.exec_driver_sql(f"CREATE INDEX {name}_word ON {name} (word)")
    try:
        batch, written = 500, 0
        while written + batch < ANALYZE_AFTER:
            with engine.begin() as conn:
                BulkWriter(conn).insert(table, ["n", "word"], [(i, f"w{i}") for i in range(written, written + batch)])
                assert not take_due(conn)  # under ANALYZE_AFTER rows: not looked at yet
            written += batch
        with engine.begin() as conn:
            BulkWriter(conn).insert(table, ["n", "word"], [(i, f"w{i}") for i in range(written, written + batch)])
            due = take_due(conn)
            assert due == {name}
            assert not _has_statistics(conn, name)  # marked, not analyzed inside the batch
        written += batch
        analyze_due(engine, due)  # as app.concurrency.batch does after the commit
        with engine.begin() as conn:
            assert _has_statistics(conn, name)
            assert conn.exec_driver_sql("SELECT reltuples FROM pg_class WHERE relname = %s", (name,)).scalar_one() > 0
            # What a batch's lookup then gets: the index, not a scan of every row.
            conn.exec_driver_sql("SET LOCAL plan_cache_mode = force_custom_plan")
            wanted = [f"w{i}" for i in range(0, written, 997)]
            plan = conn.exec_driver_sql(f"EXPLAIN SELECT n FROM {name} WHERE word = ANY(%s)", (wanted,)).scalars()
            assert "Seq Scan" not in "\n".join(plan)
    finally:
        with engine.begin() as conn:
            conn.exec_driver_sql(f"DROP TABLE {name}")


def test_a_failed_analyze_after_the_commit_is_logged_not_raised(
    engine: sa.Engine, caplog: pytest.LogCaptureFixture
) -> None:
    """The batch it follows is stored: an error here must not make its caller run the batch again."""
    if engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only (CLEARWAY_TEST_DATABASE_URL): SQLite marks no table for ANALYZE")
    analyze_due(engine, {"no_such_table_here"})
    assert "could not refresh the statistics of no_such_table_here" in caplog.text
