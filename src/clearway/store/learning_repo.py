"""What the targeting model learns from in the store: inspected consignments and their outcomes,
and recent consignments for drift. Plain rows; the learning service decodes and assesses them."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import sqlalchemy as sa

from clearway.store.revenue_tables import assessments
from clearway.store.risk_tables import inspection_outcomes
from clearway.store.tables import audit_log, consignment_versions, consignments


def labelled_rows(conn: sa.Connection, since: dt.datetime | None = None) -> list[dict[str, Any]]:
    """One row per inspected consignment (its latest outcome): the declaration as inspected, who
    declared it and when, the outcome and corrected value, and the assessment's duty and tax."""
    latest = (
        sa.select(inspection_outcomes.c.consignment_id, sa.func.max(inspection_outcomes.c.id).label("last"))
        .group_by(inspection_outcomes.c.consignment_id)
        .subquery()
    )
    o, v, c, a = inspection_outcomes, consignment_versions, consignments, assessments
    query = (
        sa.select(
            c.c.id,
            c.c.operator_id,
            v.c.received_at,
            v.c.body,
            c.c.goods_value,
            o.c.outcome,
            o.c.corrected_value,
            o.c.recorded_at,
            a.c.duty,
            a.c.tax,
            a.c.intrinsic_value,
        )
        .join(latest, latest.c.last == o.c.id)
        .join(v, sa.and_(v.c.consignment_id == o.c.consignment_id, v.c.version == o.c.version))
        .join(c, c.c.id == o.c.consignment_id)
        .outerjoin(a, sa.and_(a.c.consignment_id == o.c.consignment_id, a.c.version == o.c.version))
        .order_by(v.c.received_at, c.c.id)
    )
    if since is not None:
        query = query.where(o.c.recorded_at >= since)
    return [dict(row._mapping) for row in conn.execute(query)]


def outcomes_since(conn: sa.Connection, since: dt.datetime) -> int:
    """Outcomes recorded since a time (a retraining is due only when there are new labels)."""
    query = sa.select(sa.func.count()).select_from(inspection_outcomes).where(inspection_outcomes.c.recorded_at > since)
    return int(conn.execute(query).scalar_one())


def recent_rows(conn: sa.Connection, since: dt.datetime, limit: int) -> list[dict[str, Any]]:
    """The latest version of consignments received since a time (newest first, at most ``limit``)."""
    c, v = consignments, consignment_versions
    query = (
        sa.select(c.c.operator_id, v.c.received_at, v.c.body)
        .join(v, sa.and_(v.c.consignment_id == c.c.id, v.c.version == c.c.version))
        .where(c.c.received_at >= since)
        .order_by(c.c.received_at.desc())
        .limit(limit)
    )
    return [dict(row._mapping) for row in conn.execute(query)]


def last_audit(conn: sa.Connection, subject: str, action: str) -> dict[str, Any] | None:
    """The latest audit entry of an action on a subject: its detail with ``at`` and ``actor``."""
    query = (
        sa.select(audit_log.c.at, audit_log.c.actor, audit_log.c.detail)
        .where(audit_log.c.subject == subject, audit_log.c.action == action)
        .order_by(audit_log.c.seq.desc())
        .limit(1)
    )
    row = conn.execute(query).first()
    if row is None:
        return None
    return {**json.loads(row.detail), "at": row.at, "actor": row.actor}
