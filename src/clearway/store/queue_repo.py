"""The inspection queue: consignments held for customs action, highest priority first.

One query joins each held or inspected consignment to the risk result of its current version and
orders by the result's ``priority`` (lane, then risk score, then the model's expected value; see
``RiskResult.priority``). Paging is by keyset (priority, id) so that the hundredth page costs what
the first does, however many consignments the store holds.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from clearway.store.risk_tables import risk_results, risk_rule_hits
from clearway.store.tables import consignments, operators

QUEUE_STATES = ("held", "inspected")


@dataclass(frozen=True)
class QueueFilter:
    lane: str | None = None
    operator_id: str | None = None
    origin: str | None = None
    hs_chapter: str | None = None
    rule: str | None = None
    # Only consignments received at least this many hours ago (the oldest waiting first).
    min_age_hours: int | None = None


def queue_page(
    conn: sa.Connection,
    where: QueueFilter,
    *,
    now: dt.datetime,
    after: tuple[float, str] | None = None,
    limit: int = 50,
) -> list[dict[str, Any]]:
    """Up to ``limit`` + 1 rows (the extra one says there is a next page), after the keyset ``after``."""
    c, r = consignments, risk_results
    # The bare column (migration 0009 filled it for older results), so the index can serve the order.
    priority = r.c.priority
    query = (
        sa.select(
            c.c.id,
            c.c.reference,
            c.c.operator_id,
            c.c.state,
            c.c.hold_reason,
            c.c.received_at,
            c.c.updated_at,
            c.c.destination_country,
            c.c.currency,
            c.c.goods_value,
            r.c.lane,
            r.c.score,
            r.c.origin,
            r.c.hs_chapter,
            r.c.value_eur,
            r.c.body,
            priority,
        )
        .join(r, sa.and_(r.c.consignment_id == c.c.id, r.c.version == c.c.version))
        .where(c.c.state.in_(QUEUE_STATES))
    )
    if where.lane:
        query = query.where(r.c.lane == where.lane)
    if where.operator_id:
        query = query.where(c.c.operator_id == where.operator_id)
    if where.origin:
        query = query.where(r.c.origin == where.origin)
    if where.hs_chapter:
        query = query.where(r.c.hs_chapter == where.hs_chapter)
    if where.rule:
        h = risk_rule_hits
        hit = sa.select(h.c.rule).where(
            h.c.consignment_id == c.c.id, h.c.version == c.c.version, h.c.rule == where.rule
        )
        query = query.where(hit.exists())
    if where.min_age_hours:
        query = query.where(c.c.received_at <= now - dt.timedelta(hours=where.min_age_hours))
    if after is not None:
        query = query.where(sa.or_(priority < after[0], sa.and_(priority == after[0], c.c.id < after[1])))
    query = query.order_by(priority.desc(), c.c.id.desc()).limit(limit + 1)
    return [dict(row._mapping) for row in conn.execute(query)]


def queue_counts(conn: sa.Connection) -> dict[str, int]:
    """Held and inspected consignments by lane (the queue's tabs)."""
    c, r = consignments, risk_results
    query = (
        sa.select(r.c.lane, sa.func.count())
        .join(c, sa.and_(r.c.consignment_id == c.c.id, r.c.version == c.c.version))
        .where(c.c.state.in_(QUEUE_STATES))
        .group_by(r.c.lane)
    )
    return {str(lane): int(n) for lane, n in conn.execute(query)}


def operator_ids(conn: sa.Connection) -> list[str]:
    return [str(i) for (i,) in conn.execute(sa.select(operators.c.id).order_by(operators.c.id))]
