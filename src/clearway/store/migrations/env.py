"""Alembic environment: runs migrations on the engine Clearway itself would use."""

from __future__ import annotations

from alembic import context

from clearway.store.engine import create_engine
from clearway.store.tables import metadata

config = context.config
url = config.get_main_option("sqlalchemy.url")
if url is None:
    raise RuntimeError("no database URL given to the migrations")

engine = create_engine(url)
with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
engine.dispose()
