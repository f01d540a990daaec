"""Customs control attached to the consignment: once selected for control, held by an officer or
found incorrect, no amendment or cancellation by the declarant (UCC Art. 173(2), 174(1))

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 15:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("consignments") as batch:
        batch.add_column(sa.Column("control", sa.String(length=24), nullable=True))
    # Documents remember what kind of operator sent them: only the kinds that hold the facts
    # (platforms' orders, payment providers' payments, carriers' waybills) are independent sources.
    with op.batch_alter_table("documents") as batch:
        batch.add_column(sa.Column("sender_kind", sa.String(length=24), nullable=True))
    op.execute(
        "UPDATE documents SET sender_kind = (SELECT kind FROM operators WHERE operators.id = documents.operator_id)"
    )
    # Consignments held for inspection or not to be loaded before this migration are under control
    # already; those an officer acted on are too (their history names a person as the actor).
    op.execute(
        "UPDATE consignments SET control = 'selected' "
        "WHERE state IN ('held', 'inspected') AND hold_reason IN ('inspection', 'do_not_load')"
    )
    op.execute(
        "UPDATE consignments SET control = 'officer' WHERE control IS NULL AND state IN ('held', 'inspected') "
        "AND id IN (SELECT consignment_id FROM history WHERE actor LIKE 'person:%')"
    )


def downgrade() -> None:
    with op.batch_alter_table("documents") as batch:
        batch.drop_column("sender_kind")
    with op.batch_alter_table("consignments") as batch:
        batch.drop_column("control")
