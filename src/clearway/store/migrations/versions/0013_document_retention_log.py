"""Document retention log: documents whose personal data retention has anonymised, so that
documents no kept consignment refers to (never linked, or newer than the cut-off when their
consignment was anonymised) are anonymised too, each once

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import clearway.store.types

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "document_retention_log",
        sa.Column("document_id", sa.String(length=32), nullable=False),
        sa.Column("anonymised_at", clearway.store.types.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["documents.id"],
            name=op.f("fk_document_retention_log_document_id_documents"),
        ),
        sa.PrimaryKeyConstraint("document_id", name=op.f("pk_document_retention_log")),
    )


def downgrade() -> None:
    op.drop_table("document_retention_log")
