"""People controls: sign-in throttling replaces the account lockout; sessions get an idle clock

The lockout's columns (people.failed_logins, locked_until) go; failed sign-ins are counted per
account and per address in sign_in_failures. Sessions gain last_seen_at for the idle timeout.
Upgrading ends every open session (people sign in again): that also lets SQLite rebuild the
people table, which open sessions would otherwise pin through their foreign key.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 16:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import clearway.store.types

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("DELETE FROM sessions")
    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_seen_at", clearway.store.types.UtcDateTime(timezone=True), nullable=False))
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.drop_column("failed_logins")
        batch_op.drop_column("locked_until")
    op.create_table(
        "sign_in_failures",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failure_at", clearway.store.types.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_sign_in_failures")),
    )
    with op.batch_alter_table("sign_in_failures", schema=None) as batch_op:
        batch_op.create_index("ix_sign_in_failures_last_failure_at", ["last_failure_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("sign_in_failures", schema=None) as batch_op:
        batch_op.drop_index("ix_sign_in_failures_last_failure_at")
    op.drop_table("sign_in_failures")
    op.execute("DELETE FROM sessions")
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.add_column(sa.Column("failed_logins", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("locked_until", clearway.store.types.UtcDateTime(timezone=True), nullable=True))
    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.drop_column("last_seen_at")
