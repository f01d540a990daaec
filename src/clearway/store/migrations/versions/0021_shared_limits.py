"""Limits shared by every process on one database: rate-limit buckets (UNLOGGED on PostgreSQL) and
the per-buyer rows that serialise per-person quota charges

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07 07:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021"
# Written beside another branch's 0020 and put after it at the merge (the tables depend on nothing else).
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Losing the buckets in a crash costs nothing (a missing row is a full bucket), so on PostgreSQL
    # they skip the write-ahead log: every allowed request writes its bucket.
    unlogged = ["UNLOGGED"] if op.get_bind().dialect.name == "postgresql" else []
    op.create_table(
        "rate_limit_buckets",
        sa.Column("key", sa.String(length=96), nullable=False),
        sa.Column("tokens", sa.Float(), nullable=False),
        sa.Column("updated_at", sa.Float(), nullable=False),
        sa.Column("taken", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_rate_limit_buckets")),
        prefixes=unlogged,
    )
    op.create_table(
        "quota_buyers",
        sa.Column("buyer_key", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("buyer_key", name=op.f("pk_quota_buyers")),
        # Lock anchors only: a row lost in a crash is inserted again by the next charge of that buyer.
        prefixes=unlogged,
    )


def downgrade() -> None:
    op.drop_table("quota_buyers")
    op.drop_table("rate_limit_buckets")
