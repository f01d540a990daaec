"""The store: SQLAlchemy Core tables, the clearance repository, Alembic migrations.

SQLite (WAL) is the embedded default; PostgreSQL (psycopg 3) through CLEARWAY_DATABASE_URL.
"""

# Tables defined beside the features that own them register on the shared metadata when imported.
from clearway.store import (
    alert_tables,  # noqa: F401
    body_parts,  # noqa: F401
    coordination_tables,  # noqa: F401
    message_tables,  # noqa: F401
    privacy_tables,  # noqa: F401
    revenue_tables,  # noqa: F401
    risk_tables,  # noqa: F401
    webhook_tables,  # noqa: F401
)
