"""Standard messages kept as received (bytes and hash), and the records each became

Revision ID: 0015
Revises: 0014
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import clearway.store.types

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "messages",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("standard", sa.String(length=16), nullable=False),
        sa.Column("message_type", sa.String(length=16), nullable=True),
        sa.Column("operator_id", sa.String(length=64), nullable=False),
        sa.Column("received_at", clearway.store.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("media_type", sa.String(length=100), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=True),
        sa.Column("records", sa.Integer(), nullable=False),
        sa.Column("accepted", sa.Integer(), nullable=False),
        sa.Column("result", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_messages")),
    )
    op.create_index("ix_messages_operator_id_received_at", "messages", ["operator_id", "received_at"])
    op.create_table(
        "message_records",
        sa.Column("message_id", sa.String(length=32), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("record_id", sa.String(length=32), nullable=False),
        sa.Column("message_ref", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(["message_id"], ["messages.id"], name=op.f("fk_message_records_message_id_messages")),
        sa.PrimaryKeyConstraint("message_id", "position", name=op.f("pk_message_records")),
    )
    op.create_index("ix_message_records_record_id", "message_records", ["record_id"])


def downgrade() -> None:
    op.drop_index("ix_message_records_record_id", table_name="message_records")
    op.drop_table("message_records")
    op.drop_index("ix_messages_operator_id_received_at", table_name="messages")
    op.drop_table("messages")
