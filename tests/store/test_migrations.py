"""The migrated schema is exactly the schema the code uses, on SQLite and on PostgreSQL."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from clearway.store.migrate import MIGRATIONS, alembic_config
from clearway.store.tables import metadata


def test_migrations_match_the_tables(engine: sa.Engine) -> None:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, metadata) == []


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
