"""Pruning the webhook outbox (store.webhook_tables), so that it does not grow for ever: finished
deliveries (delivered, failed, cancelled) queued before a cut-off are deleted with their tries, and
the events no delivery refers to any more with them. ``clearway privacy retention`` runs it beside
the anonymisation of personal data, with its own period (CLEARWAY_WEBHOOKS_RETENTION_DAYS).

A pending delivery is never pruned, however old: it is still to be sent (a suspended operator's
waits for its re-activation). A finished one is counted from when it was queued, or queued again by
a redelivery; it finished at most the retry schedule's day and a half later. Until it is pruned it
stays in the operator's delivery log and may be redelivered.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from clearway.store.webhook_repo import CANCELLED, DELIVERED, FAILED
from clearway.store.webhook_tables import webhook_attempts, webhook_deliveries, webhook_events

FINISHED = (DELIVERED, FAILED, CANCELLED)
# Ids per DELETE ... IN (...): well under SQLite's bound on parameters, and a short statement to plan.
_CHUNK = 1000

_d = webhook_deliveries.c
_e = webhook_events.c
_a = webhook_attempts.c


def prune_webhooks(conn: sa.Connection, cutoff: dt.datetime, *, limit: int = 10_000) -> int:
    """Delete up to ``limit`` finished deliveries queued before ``cutoff``, their tries, and the events
    left without a delivery; the number of deliveries deleted (0: nothing left to prune). A caller
    commits after each call and calls again until it answers 0, so that no transaction holds the
    write lock for the whole backlog."""
    if cutoff.tzinfo is None:
        raise ValueError("naive datetime given to webhook pruning; pass an aware UTC time")
    rows = conn.execute(
        sa.select(_d.id, _d.event_id).where(_d.state.in_(FINISHED), _d.queued_at < cutoff).limit(limit)
    ).all()
    for start in range(0, len(rows), _CHUNK):
        chunk = rows[start : start + _CHUNK]
        ids = [r.id for r in chunk]
        conn.execute(webhook_attempts.delete().where(_a.delivery_id.in_(ids)))
        conn.execute(webhook_deliveries.delete().where(_d.id.in_(ids)))
        # An event goes with its last delivery: one sent to two subscriptions stays while the other's
        # delivery is still pending or kept.
        events = sorted({r.event_id for r in chunk})
        still = sa.exists(sa.select(_d.id).where(_d.event_id == _e.id))
        conn.execute(webhook_events.delete().where(_e.id.in_(events), ~still))
    return len(rows)


__all__ = ["FINISHED", "prune_webhooks"]
