"""The migrated schema is exactly the schema the code uses, on SQLite and on PostgreSQL."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from clearway.store.migrate import MIGRATIONS, alembic_config
from clearway.store.tables import metadata

# On PostgreSQL, migration 0023 partitions consignments and the tables keyed by them by month
# (docs/adr/0008-date-partitions.md): the partitions are tables of their own, and idempotency's
# (operator, reference) keys live in consignment_keys, since a partitioned table's unique index must
# hold the partition key. Those are the only differences from the tables the code uses.
PG_ONLY_TABLES = {"consignment_keys"}


def _partitions(conn: sa.Connection) -> set[str]:
    if conn.dialect.name != "postgresql":
        return set()
    return set(conn.execute(sa.text("SELECT relname FROM pg_class WHERE relispartition AND relkind = 'r'")).scalars())


def test_migrations_match_the_tables(engine: sa.Engine) -> None:
    with engine.connect() as conn:
        skipped = _partitions(conn) | PG_ONLY_TABLES

        def include_name(name: str | None, kind: str, parent: object) -> bool:
            return not (kind == "table" and name in skipped)

        context = MigrationContext.configure(conn, opts={"compare_type": True, "include_name": include_name})
        diff = compare_metadata(context, metadata)
        if conn.dialect.name == "postgresql":
            # A foreign key on a partitioned table is cloned by PostgreSQL for each partition it
            # refers to (conparentid names the one declared): those clones are not the schema's.
            clones = set(conn.execute(sa.text("SELECT conname FROM pg_constraint WHERE conparentid <> 0")).scalars())
            diff = [change for change in diff if not (change[0] == "remove_fk" and change[1].name in clones)]
            assert sorted(_describe(change) for change in diff) == [
                ("add_constraint", "uq_consignments_operator_id_reference"),
                ("remove_index", "ix_consignments_operator_id_reference"),
            ]
        else:
            assert diff == []


def _describe(change: object) -> tuple[str, str]:
    kind, thing = change[0], change[1]  # type: ignore[index]
    return str(kind), str(getattr(thing, "name", thing))


def test_partitioned_tables_keep_their_keys_unique(clean_engine: sa.Engine) -> None:
    """The (operator, reference) key stays unique on PostgreSQL, in its own table."""
    if clean_engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only: SQLite keeps the unique constraint on consignments")
    with clean_engine.connect() as conn:
        assert conn.execute(sa.text("SELECT relkind FROM pg_class WHERE relname = 'consignments'")).scalar_one() == "p"
        pk = conn.execute(
            sa.text("SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = 'pk_consignment_keys'")
        ).scalar_one()
        assert pk == "PRIMARY KEY (operator_id, reference)"


def test_schema_is_at_head(engine: sa.Engine) -> None:
    with engine.connect() as conn:
        version = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar_one()
    # The newest migration file is the head, and its number is the count of migrations.
    head = ScriptDirectory.from_config(alembic_config(str(engine.url))).get_current_head()
    assert version == head == f"{len(list(MIGRATIONS.glob('versions/0*.py'))):04d}"


def test_downgrade_and_upgrade_round_trip(tmp_path: object) -> None:
    from pathlib import Path

    from clearway.store.migrate import downgrade, upgrade

    url = f"sqlite:///{Path(str(tmp_path)) / 'roundtrip.db'}"
    upgrade(url)
    downgrade(url, "base")
    engine = sa.create_engine(url)
    assert set(sa.inspect(engine).get_table_names()) == {"alembic_version"}
    engine.dispose()
    upgrade(url)
    engine = sa.create_engine(url)
    assert {"consignments", "documents", "history", "results", "consignment_versions"} <= set(
        sa.inspect(engine).get_table_names()
    )
    engine.dispose()
