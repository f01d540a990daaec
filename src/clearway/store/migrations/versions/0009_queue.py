"""The inspection queue: origin, HS chapter and priority on each risk result

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 19:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Officers filter the queue by origin and HS chapter and sort it by priority: as columns (not
    # inside the JSON body) so that the queue is one indexed query however large the store.
    with op.batch_alter_table("risk_results") as batch:
        batch.add_column(sa.Column("origin", sa.String(length=2), nullable=True))
        batch.add_column(sa.Column("hs_chapter", sa.String(length=2), nullable=True))
        batch.add_column(sa.Column("priority", sa.Float(), nullable=True))
    # Results stored before this migration get the priority they would have had (lane, then score;
    # they carry no model score), so the queue keeps ordering them among the new ones.
    op.execute(
        "UPDATE risk_results SET priority = (CASE lane WHEN 'do_not_load' THEN 3 WHEN 'red' THEN 2 "
        "WHEN 'yellow' THEN 1 ELSE 0 END) * 1000000 + score * 1000 WHERE priority IS NULL"
    )
    op.create_index("ix_risk_results_priority", "risk_results", ["priority"])


def downgrade() -> None:
    op.drop_index("ix_risk_results_priority", table_name="risk_results")
    with op.batch_alter_table("risk_results") as batch:
        batch.drop_column("priority")
        batch.drop_column("hs_chapter")
        batch.drop_column("origin")
