"""`clearway db upgrade`: create or migrate the schema of whichever database the URL names."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    # Alembic's ini interpolation treats '%' specially; URLs may contain escaped characters.
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str = "base") -> None:
    command.downgrade(alembic_config(url), revision)


def drop_everything(url: str) -> None:
    """Drop every table Clearway made, with the append-only triggers' functions and the keys table, so
    that ``upgrade`` starts again from nothing: for tests and benchmarks, never for data you keep."""
    import sqlalchemy as sa

    from clearway.store import append_only, document_repo, partitions
    from clearway.store.engine import create_engine
    from clearway.store.tables import metadata

    engine = create_engine(url)
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            for table in append_only.TABLES:
                conn.execute(sa.text(f"DROP FUNCTION IF EXISTS {table}_append_only() CASCADE"))
            conn.execute(sa.text(f"DROP FUNCTION IF EXISTS {document_repo.TRIGGER}() CASCADE"))
            partitions.drop_keys_table(conn)
        metadata.drop_all(conn)
        conn.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
    engine.dispose()
