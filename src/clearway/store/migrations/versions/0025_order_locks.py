"""The rows decisions on one declarant's order are serialised on (store/order_locks.py), UNLOGGED on
PostgreSQL

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-07 23:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Lock anchors only: a row lost in a crash is inserted again by the next decision on that order.
    unlogged = ["UNLOGGED"] if op.get_bind().dialect.name == "postgresql" else []
    op.create_table(
        "order_locks",
        sa.Column("order_key", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("order_key", name=op.f("pk_order_locks")),
        prefixes=unlogged,
    )


def downgrade() -> None:
    op.drop_table("order_locks")
