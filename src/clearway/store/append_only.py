"""Triggers that make audit_log append-only, for SQLite and PostgreSQL.

Defence in depth: the application never updates or deletes audit rows, and the database refuses
to. Whoever can drop a trigger can still edit rows by hand; `clearway audit verify` catches that.
Shared by the migration that installs them and the test fixtures that empty the database.
"""

from __future__ import annotations

import sqlalchemy as sa

_CREATE = {
    "sqlite": [
        """CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
           BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END""",
        """CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
           BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END""",
    ],
    "postgresql": [
        """CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
           BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$""",
        """CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
           FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()""",
    ],
}
_DROP = {
    "sqlite": ["DROP TRIGGER IF EXISTS audit_log_no_update", "DROP TRIGGER IF EXISTS audit_log_no_delete"],
    "postgresql": [
        "DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log",
        "DROP FUNCTION IF EXISTS audit_log_append_only()",
    ],
}


def create(conn: sa.Connection) -> None:
    for statement in _CREATE[conn.dialect.name]:
        conn.execute(sa.text(statement))


def drop(conn: sa.Connection) -> None:
    for statement in _DROP[conn.dialect.name]:
        conn.execute(sa.text(statement))
