"""The link keys indexed only where they are looked up: the order number and the payment key of
declarations waiting for their documents, and the order number of declarations under customs
control, instead of every declaration ever received (store.tables)

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07 07:45:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

AWAITING = "state = 'awaiting_documents'"
CONTROLLED = "control IS NOT NULL"


def _where(condition: str) -> dict[str, sa.TextClause]:
    return {"sqlite_where": sa.text(condition), "postgresql_where": sa.text(condition)}


def upgrade() -> None:
    with op.batch_alter_table("consignments", schema=None) as batch_op:
        batch_op.create_index("ix_consignments_awaiting_order_number", ["order_number"], **_where(AWAITING))
        batch_op.create_index("ix_consignments_awaiting_payment_key", ["payment_key"], **_where(AWAITING))
        batch_op.create_index("ix_consignments_controlled_order_number", ["order_number"], **_where(CONTROLLED))
        batch_op.drop_index("ix_consignments_order_number")
        batch_op.drop_index("ix_consignments_payment_key")


def downgrade() -> None:
    with op.batch_alter_table("consignments", schema=None) as batch_op:
        batch_op.create_index("ix_consignments_order_number", ["order_number"], unique=False)
        batch_op.create_index("ix_consignments_payment_key", ["payment_key"], unique=False)
        batch_op.drop_index("ix_consignments_controlled_order_number")
        batch_op.drop_index("ix_consignments_awaiting_payment_key")
        batch_op.drop_index("ix_consignments_awaiting_order_number")
