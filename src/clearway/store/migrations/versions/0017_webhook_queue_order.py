"""A subscription's queue read in its full order (queued_at, id): the index gains the id, so that the
first waiting delivery of a subscription, and those right behind it, are found by one index seek
even when a batch queued thousands at the same instant

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 03:50:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0017"
# Written beside another branch's 0017 (partner alerts): when both are merged, this one becomes
# 0018 and revises that one (the index does not depend on it).
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("webhook_deliveries", schema=None) as batch_op:
        batch_op.create_index(
            "ix_webhook_deliveries_subscription_id_state_queued_at_id",
            ["subscription_id", "state", "queued_at", "id"],
            unique=False,
        )
        batch_op.drop_index("ix_webhook_deliveries_subscription_id_state_queued_at")


def downgrade() -> None:
    with op.batch_alter_table("webhook_deliveries", schema=None) as batch_op:
        batch_op.create_index(
            "ix_webhook_deliveries_subscription_id_state_queued_at",
            ["subscription_id", "state", "queued_at"],
            unique=False,
        )
        batch_op.drop_index("ix_webhook_deliveries_subscription_id_state_queued_at_id")
