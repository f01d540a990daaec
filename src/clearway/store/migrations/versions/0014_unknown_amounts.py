"""Unknown amounts: an assessment whose duty (or the tax on it) is unknown stores no figure for it
and none for the total, instead of a partial sum; the quota ledger likewise for its tax

Revision ID: 0014
Revises: 0013
"""

from __future__ import annotations

from alembic import op

import clearway.store.types

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

_AMOUNTS = ("duty", "tax", "fees", "total")


def upgrade() -> None:
    with op.batch_alter_table("assessments", schema=None) as batch_op:
        for column in _AMOUNTS:
            batch_op.alter_column(column, existing_type=clearway.store.types.Money(), nullable=True)
    with op.batch_alter_table("quota_ledger", schema=None) as batch_op:
        batch_op.alter_column("tax", existing_type=clearway.store.types.Money(), nullable=True)


def downgrade() -> None:
    # A downgrade cannot invent the unknown figures: rows with one are refused by the NOT NULL.
    with op.batch_alter_table("quota_ledger", schema=None) as batch_op:
        batch_op.alter_column("tax", existing_type=clearway.store.types.Money(), nullable=False)
    with op.batch_alter_table("assessments", schema=None) as batch_op:
        for column in _AMOUNTS:
            batch_op.alter_column(column, existing_type=clearway.store.types.Money(), nullable=False)
