"""Pre-loading filings under retention: when a filing's personal data was anonymised

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 03:55:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import clearway.store.types

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("placi_filings") as batch:
        batch.add_column(sa.Column("anonymised_at", clearway.store.types.UtcDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("placi_filings") as batch:
        batch.drop_column("anonymised_at")
