"""Fewer writes: the audit chain appended per batch (one batch entry commits to the content hashes
of the entries it covers, in order; append-only by trigger like the log), and the parts that
assessments and risk results repeat stored once

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07 10:00:00.000000

Nothing already stored changes: entries chained one by one before this migration keep their links
and still verify; the chain continues from the same head, in either shape (clearway.audit.chain).
Assessments and risk results stored whole keep their bodies and are read as before; new ones are
stored compactly (store.assessment_codec; a risk result's rule versions in ``rule_set``).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from clearway.store import append_only

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_batches",
        sa.Column(
            "first_seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=False, nullable=False
        ),
        sa.Column("last_seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("digests", sa.LargeBinary(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("first_seq", name=op.f("pk_audit_batches")),
    )
    append_only.create(op.get_bind(), ["audit_batches"])
    op.create_table(
        "body_parts",
        sa.Column("digest", sa.String(length=32), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("digest", name=op.f("pk_body_parts")),
    )
    op.add_column("risk_results", sa.Column("rule_set", sa.String(length=32), nullable=True))


def downgrade() -> None:
    # The batch entries are audit evidence (without them the entries appended in batches never verify
    # again) and the parts are what compact assessments and risk results are read with: a database
    # holding either is refused rather than destroyed. An empty one (a test, a fresh install) goes back.
    bind = op.get_bind()
    for table in ("audit_batches", "body_parts"):
        if bind.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one():
            raise RuntimeError(
                f"{table} holds rows: downgrading below 0022 would make the audit chain or stored assessments "
                "unreadable; restore a backup taken before 0022 instead"
            )
    with op.batch_alter_table("risk_results", schema=None) as batch_op:
        batch_op.drop_column("rule_set")
    op.drop_table("body_parts")
    append_only.drop(op.get_bind(), ["audit_batches"])
    op.drop_table("audit_batches")
