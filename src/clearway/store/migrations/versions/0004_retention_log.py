"""Retention log: consignments whose personal data retention has anonymised

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import clearway.store.types

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "retention_log",
        sa.Column("consignment_id", sa.String(length=32), nullable=False),
        sa.Column("anonymised_at", clearway.store.types.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["consignment_id"],
            ["consignments.id"],
            name=op.f("fk_retention_log_consignment_id_consignments"),
        ),
        sa.PrimaryKeyConstraint("consignment_id", name=op.f("pk_retention_log")),
    )


def downgrade() -> None:
    op.drop_table("retention_log")
