"""Customs control attached to the consignment: once selected for control, held by an officer or
found incorrect, no amendment or cancellation by the declarant (UCC Art. 173(2), 174(1))

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 15:30:00
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    _rewrite_reasons()
    with op.batch_alter_table("consignments") as batch:
        batch.add_column(sa.Column("control", sa.String(length=24), nullable=True))
    # Documents remember what kind of operator sent them: only the kinds that hold the facts
    # (platforms' orders, payment providers' payments, carriers' waybills) are independent sources.
    with op.batch_alter_table("documents") as batch:
        batch.add_column(sa.Column("sender_kind", sa.String(length=24), nullable=True))
    op.execute(
        "UPDATE documents SET sender_kind = (SELECT kind FROM operators WHERE operators.id = documents.operator_id)"
    )
    # Consignments held for inspection or not to be loaded before this migration are under control
    # already; those an officer acted on are too (their history names a person as the actor).
    op.execute(
        "UPDATE consignments SET control = 'selected' "
        "WHERE state IN ('held', 'inspected') AND hold_reason IN ('inspection', 'do_not_load')"
    )
    op.execute(
        "UPDATE consignments SET control = 'officer' WHERE control IS NULL AND state IN ('held', 'inspected') "
        "AND id IN (SELECT consignment_id FROM history WHERE actor LIKE 'person:%')"
    )


# Link reasons used to quote the names on the documents; they are stored in results (the link and
# the decision's reasons) and in the history's reasons, and shown where personal data may not go.
_QUOTED = (
    (re.compile(r"the order's buyer '.*?' is not the declared buyer"), "the order's buyer is not the declared buyer"),
    (
        re.compile(r"payer '.*?' is not the buyer and was not authenticated"),
        "the payer is not the buyer and was not authenticated",
    ),
    (
        re.compile(r"the waybill's consignee '.*?' is not the declared one"),
        "the waybill's consignee is not the declared one",
    ),
)
_CODES = ("buyer_mismatch", "payer_not_buyer", "consignee_mismatch")


def _unquote(text: str) -> str:
    for pattern, plain in _QUOTED:
        text = pattern.sub(plain, text)
    return text


def _rewrite_reasons() -> None:
    conn = op.get_bind()
    marks = " OR ".join(f"link LIKE '%{code}%'" for code in _CODES)
    for rid, link, decision in conn.execute(sa.text(f"SELECT id, link, decision FROM results WHERE {marks}")).all():
        conn.execute(
            sa.text("UPDATE results SET link = :link, decision = :decision WHERE id = :id"),
            {"id": rid, "link": _unquote(link), "decision": _unquote(decision) if decision else decision},
        )
    # Stored reasons are append-only by intent, but these are the history's copies of the same
    # sentences: keeping the names there would defeat the rewrite.
    marks = " OR ".join(
        f"reason LIKE '%{text}%'" for text in ("declared buyer", "was not authenticated", "not the declared one")
    )
    for hid, reason in conn.execute(sa.text(f"SELECT id, reason FROM history WHERE {marks}")).all():
        conn.execute(
            sa.text("UPDATE history SET reason = :reason WHERE id = :id"), {"id": hid, "reason": _unquote(reason)}
        )


def downgrade() -> None:
    with op.batch_alter_table("documents") as batch:
        batch.drop_column("sender_kind")
    with op.batch_alter_table("consignments") as batch:
        batch.drop_column("control")
