"""A subscription's queue read in its full order (queued_at, id): the index gains the id, so that the
first waiting delivery of a subscription, and those right behind it, are found by one index seek
even when a batch queued thousands at the same instant

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07 03:50:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0018"
# Written beside another branch's 0017 and renumbered at the merge (the index depends on neither).
down_revision = "0017"
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
