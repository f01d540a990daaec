"""The webhook outbox on SQL: subscribers of a batch, events written with the state change, the
deliverer's claim of due deliveries, the results of its tries, and the operator's delivery log."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import sqlalchemy as sa

from clearway.clearance.model import new_id
from clearway.clearance.notices import Notice
from clearway.store.bulk import BulkWriter
from clearway.store.tables import operators, plain_row
from clearway.store.webhook_tables import (
    webhook_attempts,
    webhook_deliveries,
    webhook_events,
    webhook_subscriptions,
)

_CHUNK = 2000
PENDING, DELIVERED, FAILED, CANCELLED = "pending", "delivered", "failed", "cancelled"
# Only an active operator is notified: a suspended one has no new events written for it, and what it
# has pending waits (neither sent nor tried) until it is active again (docs/webhooks.md).
ACTIVE = "active"
SUB = webhook_subscriptions.c
DLV = webhook_deliveries.c
EVT = webhook_events.c
ATT = webhook_attempts.c

# -- written by the pipeline, in its transaction ------------------------------------------------------


def subscribers(bulk: BulkWriter, operator_ids: Collection[str]) -> dict[str, list[tuple[str, frozenset[str]]]]:
    """Per operator, its live subscriptions and the event types each wants (operators without any, and
    suspended operators, are left out): one query on the operator index for a batch's few operators."""
    found: dict[str, list[tuple[str, frozenset[str]]]] = {}
    ids = list(operator_ids)
    for start in range(0, len(ids), _CHUNK):
        among, params = bulk.among("s.operator_id", ids[start : start + _CHUNK])
        sql = (
            "SELECT s.id, s.operator_id, s.event_types FROM webhook_subscriptions s"
            " JOIN operators o ON o.id = s.operator_id"
            f" WHERE {among} AND s.deleted_at IS NULL AND o.status = '{ACTIVE}'"
        )
        for sid, operator, types in bulk.conn.exec_driver_sql(sql, params):
            found.setdefault(operator, []).append((sid, frozenset(types.split())))
    return found


def append_notices(bulk: BulkWriter, notices: Sequence[Notice]) -> None:
    """Each event once, and a pending delivery of it to every subscription it names."""
    events = []
    deliveries = []
    # A subscription's deliveries go out in (queued_at, id) order. Ids of one millisecond are in
    # random order, so the batch's ids are sorted and handed out in the order the notices were made.
    ids = sorted(new_id() for n in notices for _ in n.subscriptions)
    next_id = iter(ids)
    for n in notices:
        at = bulk.time(n.at)
        events.append((n.id, n.operator_id, n.type, n.subject, at, n.payload().decode()))
        deliveries += [(next(next_id), n.id, sid, PENDING, at, at, 0, 0) for sid in n.subscriptions]
    bulk.insert(webhook_events, ("id", "operator_id", "type", "subject", "created_at", "payload"), events)
    columns = ("id", "event_id", "subscription_id", "state", "queued_at", "next_attempt_at", "tries", "attempts")
    bulk.insert(webhook_deliveries, columns, deliveries)


# -- subscriptions ----------------------------------------------------------------------------------


def lock_operator(conn: sa.Connection, operator_id: str) -> None:
    """Hold the operator's row until the transaction ends (PostgreSQL): two subscriptions made at once
    are counted and compared one after the other."""
    if conn.dialect.name != "sqlite":
        conn.execute(sa.select(operators.c.id).where(operators.c.id == operator_id).with_for_update())


def live_subscriptions(conn: sa.Connection, operator_id: str) -> list[dict[str, Any]]:
    query = (
        sa.select(webhook_subscriptions)
        .where(SUB.operator_id == operator_id, SUB.deleted_at.is_(None))
        .order_by(SUB.created_at, SUB.id)
    )
    return [plain_row(r) for r in conn.execute(query).mappings()]


def subscription(
    conn: sa.Connection, operator_id: str, subscription_id: str, *, lock: bool = False
) -> dict[str, Any] | None:
    """The operator's live subscription (another operator's is reported as missing)."""
    query = sa.select(webhook_subscriptions).where(
        SUB.id == subscription_id, SUB.operator_id == operator_id, SUB.deleted_at.is_(None)
    )
    if lock:
        query = query.with_for_update()
    row = conn.execute(query).mappings().first()
    return plain_row(row) if row is not None else None


def insert_subscription(conn: sa.Connection, row: dict[str, Any]) -> None:
    conn.execute(webhook_subscriptions.insert().values(**row))


def rotate_secret(
    conn: sa.Connection, subscription_id: str, salt: str, *, keep: str, until: dt.datetime, now: dt.datetime
) -> None:
    conn.execute(
        webhook_subscriptions.update()
        .where(SUB.id == subscription_id)
        .values(secret_salt=salt, previous_salt=keep, previous_until=until, secret_rotated_at=now)
    )


def delete_subscription(conn: sa.Connection, subscription_id: str, now: dt.datetime) -> int:
    """Mark it deleted and cancel what it still had to deliver; the number cancelled."""
    conn.execute(webhook_subscriptions.update().where(SUB.id == subscription_id).values(deleted_at=now))
    done = conn.execute(
        webhook_deliveries.update()
        .where(DLV.subscription_id == subscription_id, DLV.state == PENDING)
        .values(state=CANCELLED, next_attempt_at=None, claim=None)
    )
    return int(done.rowcount or 0)


# -- the delivery log -------------------------------------------------------------------------------

_LOG_COLUMNS = (
    DLV.id,
    DLV.state,
    DLV.queued_at,
    DLV.next_attempt_at,
    DLV.attempts,
    DLV.delivered_at,
    EVT.id.label("event_id"),
    EVT.type,
    EVT.subject,
    EVT.created_at,
)


def deliveries_page(
    conn: sa.Connection, subscription_id: str, *, state: str | None, before: str | None, limit: int
) -> list[dict[str, Any]]:
    """A subscription's deliveries, newest first, each with its tries (oldest first)."""
    query = (
        sa.select(*_LOG_COLUMNS)
        .join_from(webhook_deliveries, webhook_events, DLV.event_id == EVT.id)
        .where(DLV.subscription_id == subscription_id)
    )
    if state is not None:
        query = query.where(DLV.state == state)
    if before is not None:
        query = query.where(DLV.id < before)
    rows = [plain_row(r) for r in conn.execute(query.order_by(DLV.id.desc()).limit(limit)).mappings()]
    tries = attempts_of(conn, [r["id"] for r in rows])
    for row in rows:
        row["tries"] = tries.get(row["id"], [])
    return rows


def delivery(conn: sa.Connection, subscription_id: str, delivery_id: str) -> dict[str, Any] | None:
    query = (
        sa.select(*_LOG_COLUMNS)
        .join_from(webhook_deliveries, webhook_events, DLV.event_id == EVT.id)
        .where(DLV.subscription_id == subscription_id, DLV.id == delivery_id)
    )
    row = conn.execute(query).mappings().first()
    if row is None:
        return None
    found = plain_row(row)
    found["tries"] = attempts_of(conn, [delivery_id]).get(delivery_id, [])
    return found


def attempts_of(conn: sa.Connection, delivery_ids: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    if not delivery_ids:
        return found
    query = (
        sa.select(ATT.delivery_id, ATT.at, ATT.status_code, ATT.error, ATT.duration_ms)
        .where(ATT.delivery_id.in_(delivery_ids))
        .order_by(ATT.id)
    )
    for row in conn.execute(query).mappings():
        found.setdefault(row["delivery_id"], []).append(plain_row(row))
    return found


def requeue(conn: sa.Connection, delivery_id: str, now: dt.datetime) -> None:
    """Send it again, behind what the subscription already has waiting, with a new round of tries."""
    conn.execute(
        webhook_deliveries.update()
        .where(DLV.id == delivery_id)
        .values(state=PENDING, queued_at=now, next_attempt_at=now, tries=0, claim=None, delivered_at=None)
    )


# -- the deliverer ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Claimed:
    """A delivery a deliverer has claimed, with what it needs to send it."""

    id: str
    claim: str
    event_id: str
    payload: bytes
    subscription_id: str
    url: str
    secret_salt: str
    previous_salt: str | None
    previous_until: dt.datetime | None
    tries: int


def claim_due(conn: sa.Connection, now: dt.datetime, until: dt.datetime, limit: int, *, run: int = 1) -> list[Claimed]:
    """Claim due deliveries of up to ``limit`` subscriptions until ``until``: the first each has
    waiting (so that its deliveries go out in order) and, with ``run`` above 1, up to ``run - 1``
    of those queued behind it, which a deliverer sends one after the other, after the first is
    delivered (one claim and one record for many deliveries to an endpoint that keeps up). None of
    a suspended operator's, which wait where they are until it is active again. On PostgreSQL,
    first deliveries another deliverer is claiming are skipped rather than waited for (FOR UPDATE
    SKIP LOCKED), and what waits behind one is claimed with it only; SQLite has one writer at a
    time. The claimed deliveries, a subscription's together, in the order they are to be sent."""
    # Each live subscription's first waiting delivery, by one index seek per subscription (a
    # subscription's queue may hold thousands queued at one instant: its order is (queued_at, id)).
    queue = webhook_deliveries.alias("queue")
    first = (
        sa.select(queue.c.id)
        .where(queue.c.subscription_id == SUB.id, queue.c.state == PENDING)
        .order_by(queue.c.queued_at, queue.c.id)
        .limit(1)
        .scalar_subquery()
    )
    firsts = (
        sa.select(first)
        .select_from(webhook_subscriptions)
        .join(operators, operators.c.id == SUB.operator_id)
        .where(SUB.deleted_at.is_(None), operators.c.status == ACTIVE)
    )
    query = (
        sa.select(DLV.id, DLV.subscription_id, DLV.queued_at)
        .where(DLV.id.in_(firsts), DLV.state == PENDING, DLV.next_attempt_at <= now)
        .order_by(DLV.next_attempt_at)
        .limit(limit)
    )
    if conn.dialect.name != "sqlite":
        query = query.with_for_update(skip_locked=True, of=webhook_deliveries)
    heads = conn.execute(query).all()
    if not heads:
        return []
    ids = [h.id for h in heads]
    if run > 1:
        for head in heads:
            ids += _behind(conn, head.subscription_id, head.queued_at, head.id, now, run - 1)
    claim = new_id()
    conn.execute(
        webhook_deliveries.update()
        .where(DLV.id.in_(ids), DLV.state == PENDING)
        .values(next_attempt_at=until, claim=claim)
    )
    rows = conn.execute(
        sa.select(
            DLV.id,
            DLV.event_id,
            DLV.subscription_id,
            DLV.tries,
            EVT.payload,
            SUB.url,
            SUB.secret_salt,
            SUB.previous_salt,
            SUB.previous_until,
        )
        .join_from(webhook_deliveries, webhook_events, DLV.event_id == EVT.id)
        .join(webhook_subscriptions, DLV.subscription_id == SUB.id)
        .where(DLV.claim == claim)
        .order_by(DLV.subscription_id, DLV.queued_at, DLV.id)
    ).mappings()
    return [
        Claimed(
            id=r["id"],
            claim=claim,
            event_id=r["event_id"],
            payload=r["payload"].encode(),
            subscription_id=r["subscription_id"],
            url=r["url"],
            secret_salt=r["secret_salt"],
            previous_salt=r["previous_salt"],
            previous_until=r["previous_until"],
            tries=r["tries"],
        )
        for r in rows
    ]


def _at(value: dt.datetime) -> sa.BindParameter[dt.datetime]:
    return sa.bindparam(None, value, type_=DLV.queued_at.type)


def _id(value: str) -> sa.BindParameter[str]:
    return sa.bindparam(None, value, type_=DLV.id.type)


def _behind(
    conn: sa.Connection, subscription_id: str, queued_at: dt.datetime, head: str, now: dt.datetime, count: int
) -> list[str]:
    """Up to ``count`` deliveries queued right behind a subscription's first, all due (a gap ends it)."""
    rows = conn.execute(
        sa.select(DLV.id, DLV.next_attempt_at)
        .where(
            DLV.subscription_id == subscription_id,
            DLV.state == PENDING,
            sa.tuple_(DLV.queued_at, DLV.id) > sa.tuple_(_at(queued_at), _id(head)),
        )
        .order_by(DLV.queued_at, DLV.id)
        .limit(count)
    ).all()
    found = []
    for r in rows:
        if r.next_attempt_at is None or r.next_attempt_at > now:
            break
        found.append(r.id)
    return found


@dataclass(frozen=True)
class Attempt:
    """The result of one try: the receiver's status, or why there was none."""

    at: dt.datetime
    status_code: int | None
    error: str | None
    duration_ms: int


class Outcome(NamedTuple):
    """A try's result and where it leaves the delivery: its state, and when it is tried next."""

    claimed: Claimed
    attempt: Attempt
    state: str
    next_at: dt.datetime | None


_LOG_TRY = webhook_attempts.insert().values(
    delivery_id=sa.bindparam("k_id"),
    at=sa.bindparam("v_at"),
    status_code=sa.bindparam("v_status"),
    error=sa.bindparam("v_error"),
    duration_ms=sa.bindparam("v_ms"),
)
_MOVE_ON = (
    webhook_deliveries.update()
    .where(DLV.id == sa.bindparam("k_id"), DLV.claim == sa.bindparam("k_claim"), DLV.state == PENDING)
    .values(
        state=sa.bindparam("v_state"),
        tries=DLV.tries + 1,
        attempts=DLV.attempts + 1,
        next_attempt_at=sa.bindparam("v_next"),
        claim=None,
        delivered_at=sa.bindparam("v_delivered"),
    )
)


def record_attempts(conn: sa.Connection, outcomes: Sequence[Outcome]) -> set[str]:
    """Log each try, and move each delivery on if it is still under the claim it was sent under (a
    deliverer whose claim ran out meanwhile logs its try but leaves the delivery to the next): two
    statements for the whole pass. The ids of the deliveries moved on."""
    if not outcomes:
        return set()
    tries = [
        {
            "k_id": o.claimed.id,
            "v_at": o.attempt.at,
            "v_status": o.attempt.status_code,
            "v_error": o.attempt.error[:300] if o.attempt.error else None,
            "v_ms": o.attempt.duration_ms,
        }
        for o in outcomes
    ]
    conn.execute(_LOG_TRY, tries)
    held = set(
        conn.execute(
            sa.select(DLV.id).where(
                DLV.id.in_([o.claimed.id for o in outcomes]),
                DLV.claim.in_(sorted({o.claimed.claim for o in outcomes})),
                DLV.state == PENDING,
            )
        ).scalars()
    )
    moves = [
        {
            "k_id": o.claimed.id,
            "k_claim": o.claimed.claim,
            "v_state": o.state,
            "v_next": o.next_at,
            "v_delivered": o.attempt.at if o.state == DELIVERED else None,
        }
        for o in outcomes
        if o.claimed.id in held
    ]
    if moves:
        conn.execute(_MOVE_ON, moves)
    return held


def record_attempt(
    conn: sa.Connection, claimed: Claimed, attempt: Attempt, *, state: str, next_at: dt.datetime | None
) -> bool:
    """One try's result (record_attempts); whether the delivery was still under its claim."""
    return claimed.id in record_attempts(conn, [Outcome(claimed, attempt, state, next_at)])


_HAND_BACK = (
    webhook_deliveries.update()
    .where(DLV.id == sa.bindparam("k_id"), DLV.claim == sa.bindparam("k_claim"), DLV.state == PENDING)
    .values(next_attempt_at=sa.bindparam("v_now"), claim=None)
)


def release_claims(conn: sa.Connection, claims: Collection[Claimed], now: dt.datetime) -> None:
    """Hand claimed deliveries back, due now (a deliverer stopping before it sent them: those behind
    a failed try of their subscription, which then wait behind it again)."""
    if claims:
        conn.execute(_HAND_BACK, [{"k_id": c.id, "k_claim": c.claim, "v_now": now} for c in claims])


def subscriptions_of_operator(conn: sa.Connection, operator_id: str) -> list[dict[str, Any]]:
    """What `clearway webhooks list` shows: the live subscriptions with the count of each delivery state."""
    rows = live_subscriptions(conn, operator_id)
    if not rows:
        return rows
    counts = conn.execute(
        sa.select(DLV.subscription_id, DLV.state, sa.func.count())
        .where(DLV.subscription_id.in_([r["id"] for r in rows]))
        .group_by(DLV.subscription_id, DLV.state)
    ).all()
    for row in rows:
        row["deliveries"] = {state: n for sid, state, n in counts if sid == row["id"]}
    return rows
