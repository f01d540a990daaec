"""Triggers that make the audit tables append-only, for SQLite and PostgreSQL.

Defence in depth: the application never updates or deletes audit rows, and the database refuses
to. Whoever can drop a trigger can still edit rows by hand; `clearway audit verify` catches that.
Shared by the migrations that install them (audit_log in 0003, audit_batches in 0022) and the
test fixtures that empty the database.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

# Every append-only table, in the order the migrations created them.
TABLES = ("audit_log", "audit_batches")


def _create(dialect: str, table: str) -> list[str]:
    if dialect == "sqlite":
        return [
            f"""CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table}
               BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END""",
            f"""CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table}
               BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END""",
        ]
    return [
        f"""CREATE FUNCTION {table}_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
           BEGIN RAISE EXCEPTION '{table} is append-only'; END $$""",
        f"""CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}
           FOR EACH ROW EXECUTE FUNCTION {table}_append_only()""",
    ]


def _drop(dialect: str, table: str) -> list[str]:
    if dialect == "sqlite":
        return [f"DROP TRIGGER IF EXISTS {table}_no_update", f"DROP TRIGGER IF EXISTS {table}_no_delete"]
    return [f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}", f"DROP FUNCTION IF EXISTS {table}_append_only()"]


def create(conn: sa.Connection, tables: Sequence[str] = ("audit_log",)) -> None:
    for table in tables:
        for statement in _create(conn.dialect.name, table):
            conn.execute(sa.text(statement))


def drop(conn: sa.Connection, tables: Sequence[str] = ("audit_log",)) -> None:
    for table in tables:
        for statement in _drop(conn.dialect.name, table):
            conn.execute(sa.text(statement))
