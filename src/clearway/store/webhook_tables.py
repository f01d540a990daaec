"""Signed notifications (webhooks): operators' subscriptions, the outbox of events, the delivery log.

Kept apart from clearway.store.tables (on the same ``metadata``), like the privacy and risk tables.
An event is written to ``webhook_events`` and one ``webhook_deliveries`` row per subscription that
wants it, in the transaction of the state change it reports: a process that dies after the commit
still has the delivery to make when it (or another) starts again. Every try is a row of
``webhook_attempts``, which is the log the operator reads.
"""

from __future__ import annotations

import sqlalchemy as sa

from clearway.store.tables import ID, OPERATOR, metadata
from clearway.store.types import UtcDateTime

webhook_subscriptions = sa.Table(
    "webhook_subscriptions",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("operator_id", OPERATOR, sa.ForeignKey("operators.id"), nullable=False),
    sa.Column("url", sa.String(2048), nullable=False),
    # The event types, space-separated (clearance.notices.EVENT_TYPES).
    sa.Column("event_types", sa.String(400), nullable=False),
    sa.Column("description", sa.String(200), nullable=False),
    # The signing secret is never stored: it is derived from the platform's secret and this random
    # salt (app/webhooks/signing.py), so that a copy of the database alone cannot sign a notification.
    sa.Column("secret_salt", sa.String(64), nullable=False),
    # The secret before the last rotation, still signing (beside the new one) until previous_until.
    sa.Column("previous_salt", sa.String(64)),
    sa.Column("previous_until", UtcDateTime),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("secret_rotated_at", UtcDateTime),
    # Set when the operator deletes the subscription: kept for the audit trail and the delivery log's
    # foreign keys, never shown or delivered to again.
    sa.Column("deleted_at", UtcDateTime),
    sa.Index("ix_webhook_subscriptions_operator_id", "operator_id"),
)

webhook_events = sa.Table(
    "webhook_events",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("operator_id", OPERATOR, nullable=False),
    sa.Column("type", sa.String(48), nullable=False),
    # What the event is about: a consignment id (or a message id for message events).
    sa.Column("subject", sa.String(64), nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    # The JSON body sent, fixed when the event is written: every try sends the same bytes.
    sa.Column("payload", sa.Text, nullable=False),
)

webhook_deliveries = sa.Table(
    "webhook_deliveries",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("event_id", ID, sa.ForeignKey("webhook_events.id"), nullable=False),
    sa.Column("subscription_id", ID, sa.ForeignKey("webhook_subscriptions.id"), nullable=False),
    # pending (to be sent, or being sent), delivered, failed (every try refused), cancelled (the
    # subscription was deleted before it was delivered).
    sa.Column("state", sa.String(16), nullable=False),
    # A subscription's deliveries go out in (queued_at, id) order, each after the one before it is
    # delivered or has failed; a redelivery is queued again behind what waits already.
    sa.Column("queued_at", UtcDateTime, nullable=False),
    # When the next try is due; while a deliverer sends it, the end of its claim (a deliverer that
    # dies mid-send leaves it to be tried again when the claim runs out).
    sa.Column("next_attempt_at", UtcDateTime),
    # Tries since it was (re)queued, which the retry schedule counts; and tries in all.
    sa.Column("tries", sa.Integer, nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    # The claim of the deliverer sending it now: a result is recorded only under the claim it was sent under.
    sa.Column("claim", sa.String(32)),
    sa.Column("delivered_at", UtcDateTime),
    # The due pending deliveries, soonest first (the deliverer's claim).
    sa.Index("ix_webhook_deliveries_state_next_attempt_at", "state", "next_attempt_at"),
    # A subscription's queue in its order, to the id (a batch queues thousands at one instant): its
    # first waiting delivery, and those behind it, are one index seek (webhook_repo.claim_due).
    sa.Index("ix_webhook_deliveries_subscription_id_state_queued_at_id", "subscription_id", "state", "queued_at", "id"),
    sa.Index("ix_webhook_deliveries_subscription_id_id", "subscription_id", "id"),
)

webhook_attempts = sa.Table(
    "webhook_attempts",
    metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True),
    sa.Column("delivery_id", ID, sa.ForeignKey("webhook_deliveries.id"), nullable=False),
    sa.Column("at", UtcDateTime, nullable=False),
    # The receiver's HTTP status; None when there was no answer (refused address, timeout, no connection).
    sa.Column("status_code", sa.Integer),
    # Why a try failed without an answer, in a sentence (never the receiver's body).
    sa.Column("error", sa.String(300)),
    sa.Column("duration_ms", sa.Integer, nullable=False),
    sa.Index("ix_webhook_attempts_delivery_id", "delivery_id"),
)
