"""Index for paging an operator's consignments, newest first

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 11:58:39.073758
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("consignments", schema=None) as batch_op:
        batch_op.create_index("ix_consignments_operator_id_id", ["operator_id", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("consignments", schema=None) as batch_op:
        batch_op.drop_index("ix_consignments_operator_id_id")
