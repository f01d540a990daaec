"""Reads for the security events: refused requests in the audit chain, and whose a consignment is.

Security entries all have the subject ``security`` (clearway.audit.denials), which the audit log's
subject index finds without reading the rest of the chain.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec
import sqlalchemy as sa

from clearway.audit.chain import AuditEntry
from clearway.audit.denials import SUBJECT
from clearway.store.tables import audit_log, consignments
from clearway.store.webhook_tables import webhook_subscriptions

_DETAIL = msgspec.json.Decoder(dict[str, Any])


def security_entries(conn: sa.Connection, *, since: dt.datetime | None, after: int, limit: int) -> list[AuditEntry]:
    """Security entries in sequence order: after entry ``after``, from ``since`` on, at most ``limit``."""
    query = sa.select(audit_log).where(audit_log.c.subject == SUBJECT, audit_log.c.seq > after)
    if since is not None:
        query = query.where(audit_log.c.at >= since)
    rows = conn.execute(query.order_by(audit_log.c.seq).limit(limit)).mappings()
    return [
        AuditEntry(
            seq=row["seq"],
            at=row["at"],
            actor=row["actor"],
            action=row["action"],
            subject=row["subject"],
            detail=_DETAIL.decode(row["detail"]),
            prev_hash=row["prev_hash"],
            hash=row["hash"],
        )
        for row in rows
    ]


def consignment_owner(conn: sa.Connection, consignment_id: str) -> str | None:
    """The operator that submitted a consignment, or None when there is no such consignment."""
    query = sa.select(consignments.c.operator_id).where(consignments.c.id == consignment_id)
    owner = conn.execute(query).scalar()
    return None if owner is None else str(owner)


def subscription_owner(conn: sa.Connection, subscription_id: str) -> str | None:
    """The operator of a webhook subscription (deleted ones included), or None when there is none."""
    query = sa.select(webhook_subscriptions.c.operator_id).where(webhook_subscriptions.c.id == subscription_id)
    owner = conn.execute(query).scalar()
    return None if owner is None else str(owner)
