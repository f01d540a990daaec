"""Access: operators and their API keys, people and their sessions

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 12:19:22.549930
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import clearway.store.types

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "operators",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("eori", sa.String(length=35), nullable=True),
        sa.Column("tax_scheme_id", sa.String(length=35), nullable=True),
        sa.Column("contact_email", sa.String(length=254), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", clearway.store.types.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_operators")),
    )
    op.create_table(
        "people",
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("failed_logins", sa.Integer(), nullable=False),
        sa.Column("locked_until", clearway.store.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", clearway.store.types.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("username", name=op.f("pk_people")),
    )
    op.create_table(
        "api_keys",
        sa.Column("key_id", sa.String(length=12), nullable=False),
        sa.Column("operator_id", sa.String(length=64), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", clearway.store.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", clearway.store.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", clearway.store.types.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["operator_id"], ["operators.id"], name=op.f("fk_api_keys_operator_id_operators")),
        sa.PrimaryKeyConstraint("key_id", name=op.f("pk_api_keys")),
    )
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.create_index("ix_api_keys_operator_id", ["operator_id"], unique=False)

    op.create_table(
        "sessions",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("csrf_token", sa.String(length=64), nullable=False),
        sa.Column("created_at", clearway.store.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", clearway.store.types.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["username"], ["people.username"], name=op.f("fk_sessions_username_people")),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_sessions")),
    )
    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.create_index("ix_sessions_username", ["username"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.drop_index("ix_sessions_username")

    op.drop_table("sessions")
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.drop_index("ix_api_keys_operator_id")

    op.drop_table("api_keys")
    op.drop_table("people")
    op.drop_table("operators")
