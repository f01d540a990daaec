"""The depths of the queues operations watch, read in one round of indexed counts (metrics scrape)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa

from clearway.store.queue_repo import QUEUE_STATES
from clearway.store.tables import consignments
from clearway.store.webhook_repo import PENDING
from clearway.store.webhook_tables import webhook_deliveries


@dataclass(frozen=True)
class Backlog:
    officer_queue: int
    awaiting_documents: int
    webhooks_pending: int
    oldest_pending_seconds: float


def backlog(conn: sa.Connection, now: dt.datetime) -> Backlog:
    # Each count is served by an index on state (ix_consignments_state_deadline,
    # ix_webhook_deliveries_state_next_attempt_at); the pending deliveries are few unless a receiver
    # is down, which is what the oldest one's age is there to show.
    c, d = consignments, webhook_deliveries
    states = (
        sa.select(c.c.state, sa.func.count())
        .where(c.c.state.in_([*QUEUE_STATES, "awaiting_documents"]))
        .group_by(c.c.state)
    )
    counts = {state: int(n) for state, n in conn.execute(states)}
    pending, oldest = conn.execute(
        sa.select(sa.func.count(), sa.func.min(d.c.queued_at)).where(d.c.state == PENDING)
    ).one()
    age = 0.0
    if oldest is not None:
        # min() over a column loses its type's conversion on SQLite: the text comes back as written.
        queued = oldest if isinstance(oldest, dt.datetime) else dt.datetime.fromisoformat(str(oldest))
        queued = queued if queued.tzinfo else queued.replace(tzinfo=dt.UTC)
        age = max(0.0, (now - queued).total_seconds())
    return Backlog(
        officer_queue=sum(counts.get(s, 0) for s in QUEUE_STATES),
        awaiting_documents=counts.get("awaiting_documents", 0),
        webhooks_pending=int(pending),
        oldest_pending_seconds=age,
    )
