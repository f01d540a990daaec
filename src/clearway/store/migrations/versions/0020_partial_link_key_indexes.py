"""The link keys of declarations waiting for their documents indexed on their own (partial indexes):
linking looks up only those, a small share of the table (store.tables)

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


def _where(condition: str) -> dict[str, sa.TextClause]:
    return {"sqlite_where": sa.text(condition), "postgresql_where": sa.text(condition)}


def upgrade() -> None:
    with op.batch_alter_table("consignments", schema=None) as batch_op:
        batch_op.create_index("ix_consignments_awaiting_order_number", ["order_number"], **_where(AWAITING))
        batch_op.create_index("ix_consignments_awaiting_payment_key", ["payment_key"], **_where(AWAITING))


def downgrade() -> None:
    with op.batch_alter_table("consignments", schema=None) as batch_op:
        batch_op.drop_index("ix_consignments_awaiting_payment_key")
        batch_op.drop_index("ix_consignments_awaiting_order_number")
