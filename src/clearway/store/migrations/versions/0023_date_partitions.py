"""Consignments and the tables keyed by a consignment id partitioned by month on PostgreSQL (by the
time-ordered id), one unpartitioned table of (operator, reference) keys for idempotency, and the log of
months purged (docs/adr/0008-date-partitions.md)

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-07 10:00:00.000000
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from alembic import op

import clearway.store.types
from clearway.store import partitions

revision = "0023"
# The family of tables partitioned is read from the catalogue (every table with a foreign key on
# consignments.id), so a table an earlier migration added is partitioned too.
down_revision = "0022"
branch_labels = None
depends_on = None

# Tables whose primary key is a serial id of their own: a partitioned table's primary key must hold
# the partition key, so theirs becomes (id, consignment_id); the id stays unique by its sequence.
SERIAL_KEYED = {"history", "results", "inspection_outcomes"}
AHEAD = 3


def upgrade() -> None:
    op.create_table(
        "purged_months",
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("purged_at", clearway.store.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.Column("consignments", sa.Integer(), nullable=False),
        sa.Column("rows", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("month", name=op.f("pk_purged_months")),
    )
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        _partition(bind)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        _unpartition(bind)
    op.drop_table("purged_months")


def _sql(bind: sa.Connection, statement: str, **params: object) -> Any:
    return bind.execute(sa.text(statement), params)


def _shape(bind: sa.Connection, table: str) -> tuple[list[str], list[str]]:
    """The table's plain indexes (CREATE INDEX statements) and its foreign keys (ALTER TABLE ADD ...)."""
    indexes = [
        # An index of a partitioned table reads "ON ONLY t"; the twin's must cover its partitions.
        str(row[0]).replace(" ON ONLY ", " ON ")
        for row in _sql(
            bind,
            """SELECT pg_get_indexdef(i.indexrelid) FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid
               WHERE t.relname = :t AND t.relnamespace = current_schema()::regnamespace
                 AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)""",
            t=table,
        )
    ]
    foreign = [
        f'ALTER TABLE "{table}" ADD CONSTRAINT "{row[0]}" {row[1]}'
        for row in _sql(
            bind,
            """SELECT c.conname, pg_get_constraintdef(c.oid) FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid
               WHERE t.relname = :t AND c.contype = 'f' AND c.conparentid = 0
                 AND t.relnamespace = current_schema()::regnamespace""",
            t=table,
        )
    ]
    return indexes, foreign


def _triggers(bind: sa.Connection, tables: list[str]) -> None:
    found = _sql(
        bind,
        """SELECT tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
           WHERE c.relname = ANY(:tables) AND NOT t.tgisinternal""",
        tables=tables,
    ).all()
    if found:  # none today; rebuilding the tables would lose them silently
        raise RuntimeError(f"triggers on the tables to partition, recreate them in this migration: {found}")


def _rebuild(bind: sa.Connection, table: str, key: str, *, partitioned: bool, months: list[partitions.Month]) -> None:
    """Replace ``table`` by a twin (partitioned by ``key`` or plain) holding the same rows, with the
    same columns, defaults, primary key and plain indexes (foreign keys are the caller's)."""
    indexes, _ = _shape(bind, table)
    old = f"{table}_unpartitioned" if partitioned else f"{table}_partitioned"
    pk_columns = [
        str(row[0])
        for row in _sql(
            bind,
            """SELECT a.attname FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid
               CROSS JOIN LATERAL unnest(c.conkey) WITH ORDINALITY AS k(attnum, n)
               JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
               WHERE t.relname = :t AND c.contype = 'p' AND t.relnamespace = current_schema()::regnamespace
               ORDER BY k.n""",
            t=table,
        )
    ]
    if partitioned and key not in pk_columns:
        pk_columns.append(key)
    if not partitioned and table in SERIAL_KEYED:
        pk_columns = ["id"]
    _sql(bind, f'ALTER TABLE "{table}" RENAME TO "{old}"')
    pk_name = _sql(
        bind, "SELECT conname FROM pg_constraint WHERE conrelid = CAST(:t AS regclass) AND contype = 'p'", t=old
    ).scalar_one()
    _sql(bind, f'ALTER TABLE "{old}" RENAME CONSTRAINT "{pk_name}" TO "{pk_name}_old"')
    tail = f' PARTITION BY RANGE ("{key}")' if partitioned else ""
    _sql(bind, f'CREATE TABLE "{table}" (LIKE "{old}" INCLUDING DEFAULTS INCLUDING STORAGE){tail}')
    # A serial column's sequence belongs to the old table and would go with it.
    for row in _sql(
        bind,
        """SELECT a.attname, pg_get_serial_sequence(:t, a.attname) FROM pg_attribute a
           WHERE a.attrelid = CAST(:t AS regclass) AND a.attnum > 0 AND NOT a.attisdropped""",
        t=old,
    ).all():
        if row[1] is not None:
            _sql(bind, f'ALTER SEQUENCE {row[1]} OWNED BY "{table}"."{row[0]}"')
    if partitioned:
        _sql(bind, f'CREATE TABLE "{table}_default" PARTITION OF "{table}" DEFAULT')
        for month in months:
            _sql(
                bind,
                f'CREATE TABLE "{table}_{month.suffix()}" PARTITION OF "{table}" '
                f"FOR VALUES FROM ('{month.low}') TO ('{month.high}')",
            )
    _sql(bind, f'INSERT INTO "{table}" SELECT * FROM "{old}"')
    _sql(bind, f'DROP TABLE "{old}"')
    columns = ", ".join(f'"{column}"' for column in pk_columns)
    _sql(bind, f'ALTER TABLE "{table}" ADD CONSTRAINT "{pk_name}" PRIMARY KEY ({columns})')
    for statement in indexes:
        _sql(bind, statement)


def _children(bind: sa.Connection) -> list[tuple[str, str, str]]:
    """(table, column, ADD CONSTRAINT statement) of every foreign key on consignments.id."""
    result = []
    for member in partitions.family(bind)[1:]:
        _, foreign = _shape(bind, member.table)
        for statement in foreign:
            if "REFERENCES consignments(id)" in statement:
                result.append((member.table, member.key, statement))
    return result


def _data_months(bind: sa.Connection) -> list[partitions.Month]:
    """Every month from the oldest consignment's (an id new_id made) to AHEAD months from now."""
    now = partitions.Month.of(dt.datetime.now(dt.UTC))
    oldest = _sql(bind, "SELECT min(id) FROM consignments WHERE id ~ '^[0-9a-f]{12}'").scalar_one()
    first = partitions.month_of_id(oldest) if oldest else None
    first = min(first, now) if first is not None and first.year >= 2000 else now
    found = []
    month = first
    while month <= now.plus(AHEAD):
        found.append(month)
        month = month.plus(1)
    return found


def _partition(bind: sa.Connection) -> None:
    children = _children(bind)
    _triggers(bind, ["consignments"] + [table for table, _, _ in children])
    months = _data_months(bind)
    for table, _, _ in children:
        for (name,) in _sql(
            bind,
            """SELECT c.conname FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid
               WHERE t.relname = :t AND c.contype = 'f' AND c.confrelid = CAST('consignments' AS regclass)""",
            t=table,
        ).all():
            _sql(bind, f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
    # A unique index of a partitioned table must hold the partition key: (operator, reference) would
    # be unique within a month only. The keys move to a table of their own, filled by the database
    # in the statement that inserts the consignments, so a second insert of a reference still fails
    # with a unique violation (which the pipeline runs again and answers as a duplicate).
    _sql(bind, 'ALTER TABLE consignments DROP CONSTRAINT "uq_consignments_operator_id_reference"')
    _rebuild(bind, "consignments", "id", partitioned=True, months=months)
    _sql(bind, 'CREATE INDEX "ix_consignments_operator_id_reference" ON consignments (operator_id, reference)')
    for table, key, _ in children:
        _rebuild(bind, table, key, partitioned=True, months=months)
    for _, _, statement in children:
        _sql(bind, statement)
    _sql(
        bind,
        """CREATE TABLE consignment_keys (
               operator_id varchar(64) NOT NULL, reference varchar(64) NOT NULL,
               consignment_id varchar(32) NOT NULL,
               CONSTRAINT pk_consignment_keys PRIMARY KEY (operator_id, reference))""",
    )
    _sql(bind, "CREATE INDEX ix_consignment_keys_consignment_id ON consignment_keys (consignment_id)")
    _sql(bind, "INSERT INTO consignment_keys SELECT operator_id, reference, id FROM consignments")
    _sql(
        bind,
        """CREATE FUNCTION consignment_keys_added() RETURNS trigger LANGUAGE plpgsql AS $$
           BEGIN INSERT INTO consignment_keys SELECT operator_id, reference, id FROM added; RETURN NULL; END $$""",
    )
    _sql(
        bind,
        """CREATE FUNCTION consignment_keys_removed() RETURNS trigger LANGUAGE plpgsql AS $$
           BEGIN DELETE FROM consignment_keys k USING removed r
                 WHERE k.operator_id = r.operator_id AND k.reference = r.reference; RETURN NULL; END $$""",
    )
    # Statement triggers with transition tables: one INSERT of the keys per statement, whatever
    # the batch's size. Neither operator_id nor reference is ever updated (an amendment keeps them).
    _sql(
        bind,
        """CREATE TRIGGER consignment_keys_added AFTER INSERT ON consignments
           REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION consignment_keys_added()""",
    )
    _sql(
        bind,
        """CREATE TRIGGER consignment_keys_removed AFTER DELETE ON consignments
           REFERENCING OLD TABLE AS removed FOR EACH STATEMENT EXECUTE FUNCTION consignment_keys_removed()""",
    )
    # Autovacuum never analyzes a partitioned parent, and a parent never analyzed has no row count
    # (reltuples -1): the bulk writer would then ANALYZE it, and all its partitions, after each large
    # COPY (store/bulk.py BulkWriter._added). Once here, the parents have a count to start from.
    for table in ["consignments", *(table for table, _, _ in children), "consignment_keys"]:
        _sql(bind, f'ANALYZE "{table}"')


def _unpartition(bind: sa.Connection) -> None:
    children = _children(bind)
    for table, _, _ in children:
        for (name,) in _sql(
            bind,
            """SELECT c.conname FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid
               WHERE t.relname = :t AND c.contype = 'f' AND c.conparentid = 0
                 AND c.confrelid = CAST('consignments' AS regclass)""",
            t=table,
        ).all():
            _sql(bind, f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
    _sql(bind, "DROP TRIGGER consignment_keys_added ON consignments")
    _sql(bind, "DROP TRIGGER consignment_keys_removed ON consignments")
    _sql(bind, "DROP FUNCTION consignment_keys_added()")
    _sql(bind, "DROP FUNCTION consignment_keys_removed()")
    _sql(bind, "DROP TABLE consignment_keys")
    _sql(bind, 'DROP INDEX "ix_consignments_operator_id_reference"')
    for table, key, _ in children:
        _rebuild(bind, table, key, partitioned=False, months=[])
    _rebuild(bind, "consignments", "id", partitioned=False, months=[])
    _sql(
        bind,
        'ALTER TABLE consignments ADD CONSTRAINT "uq_consignments_operator_id_reference" '
        "UNIQUE (operator_id, reference)",
    )
    for _, _, statement in children:
        _sql(bind, statement)
