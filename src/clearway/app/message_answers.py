"""The answers a kept message's standard expects, from what became of each of its records now.

A family's responder (messages.registry) writes the response messages; this module tells it each
record's state in one set of reads: the declarations' states and latest assessments, the pre-loading
filings' answers. What a sender is told comes from the same functions as its JSON view: the
instructions of clearance.instructions for a declaration, risk.preloading.carrier_reasons for a
pre-loading filing (never a rule's name, a score or a screening hit).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from clearway.app.preloading import PreloadingService
from clearway.clearance.instructions import duties_due, requested
from clearway.clearance.model import StoredConsignment
from clearway.messages.model import MessageError, RecordState, Response
from clearway.messages.registry import adapter_for, responder_for
from clearway.revenue.model import Assessment
from clearway.risk.preloading import PlaciReason, carrier_reasons
from clearway.store.message_tables import message_records, messages
from clearway.store.repository import SqlClearanceStore
from clearway.store.revenue_repo import latest_assessments


def answers(
    engine: sa.Engine,
    preloading: PreloadingService,
    *,
    message_id: str,
    standard: str,
    operator_id: str,
    received_at: dt.datetime,
    body: bytes | None,
    records: Sequence[Any],
) -> list[Response]:
    """The responses to one kept message. Empty when its family has none, or retention has cleared
    the original (the answers echo keys only the original holds)."""
    responder = responder_for(standard)
    adapter = adapter_for(standard)
    if responder is None or adapter is None or body is None:
        return []
    mapped = adapter.parse(body)
    by_position = {o.position: o for o in records}
    ids = [o.id for o in records if o.kind == "consignment" and o.id is not None]
    filing_ids = [o.id for o in records if o.kind == "preloading" and o.id is not None]
    with engine.connect() as conn:
        # Every declaration's state and latest assessment in one read each (up to 100 per message).
        stored = SqlClearanceStore(conn).consignments_by_id(ids) if ids else {}
        assessed = latest_assessments(conn, ids)
    filings = preloading.current(operator_id, filing_ids)
    states = [_state(by_position.get(one.index), received_at, stored, assessed, filings) for one in mapped]
    # The same states give the same answer id: asking again is not a new answer.
    marks = "|".join("-" if s is None else f"{s.number}:{s.key}" for s in states)
    guid = str(uuid.uuid5(uuid.NAMESPACE_URL, f"clearway:{message_id}:{marks}")).upper()
    return responder(mapped, body, states, guid=guid, message_id=message_id)


def _state(
    record: Any,
    at: dt.datetime,
    stored: dict[str, StoredConsignment],
    assessed: dict[str, Assessment],
    filings: dict[str, dict[str, Any]],
) -> RecordState | None:
    if record is None:
        return None
    if record.status in ("rejected", "conflict") or record.id is None:
        errors = tuple(MessageError(e.where, e.detail, e.pointer) for e in record.errors)
        return RecordState("rejected", at, errors=errors, received_at=at)
    if record.kind == "preloading":
        return _filing(filings.get(record.id), at)
    if record.kind != "consignment":
        # A document's outcome is fixed when it is received: its receipt carries that time.
        return RecordState("stored", at, number=record.id)
    row = stored.get(record.id)
    if row is None:
        return None
    status = row.status
    assessment = assessed.get(row.id)
    asked = requested(status.state, status.hold_reason)
    due = duties_due(assessment, status.state)
    duties = None
    if due is not None and assessment is not None and assessment.total is not None:
        duties = (Decimal(assessment.total), assessment.currency)
        asked = [*asked, due]
    return RecordState(
        status.state.value,
        status.updated_at,
        hold_reason=None if status.hold_reason is None else status.hold_reason.value,
        number=row.id,
        duties=duties,
        reasons=tuple(i.message for i in asked),
        received_at=at,
    )


def _filing(view: dict[str, Any] | None, received: dt.datetime) -> RecordState | None:
    """A pre-loading filing's answer now: an expired referral is "do not load"."""
    if view is None:
        return None
    answer = str(view["answer"])
    reasons = carrier_reasons(answer, [PlaciReason(**r) for r in view["reasons"]])
    return RecordState(
        answer,
        view.get("answered_at") or view["received_at"] or received,
        number=view["id"],
        reasons=tuple(r.message for r in reasons),
        due_at=view["due_at"] if view["status"] == "open" else None,
        received_at=view["received_at"] or received,
    )


def messages_of(engine: sa.Engine, record_id: str, operator_id: str | None) -> list[str]:
    """The kept messages that carried a record (a consignment may come in several: amendments),
    oldest first; only ``operator_id``'s when given."""
    query = (
        sa.select(message_records.c.message_id)
        .join(messages, messages.c.id == message_records.c.message_id)
        .where(message_records.c.record_id == record_id)
        .order_by(messages.c.received_at, messages.c.id)
    )
    if operator_id is not None:
        query = query.where(messages.c.operator_id == operator_id)
    with engine.connect() as conn:
        return list(dict.fromkeys(conn.execute(query).scalars()))


def kept_for(engine: sa.Engine, record_ids: Sequence[str]) -> list[dict[str, Any]]:
    """The kept messages that carried these records (a declaration and its documents), one entry per
    record and message, oldest first: what the officer's page lists as "received as"."""
    if not record_ids:
        return []
    query = (
        sa.select(
            message_records.c.record_id,
            message_records.c.kind,
            message_records.c.message_ref,
            messages.c.id,
            messages.c.standard,
            messages.c.message_type,
            messages.c.received_at,
            messages.c.size,
            messages.c.sha256,
            messages.c.operator_id,
            (messages.c.body.is_not(None)).label("kept"),
        )
        .join(messages, messages.c.id == message_records.c.message_id)
        .where(message_records.c.record_id.in_(list(record_ids)))
        .order_by(messages.c.received_at, messages.c.id)
    )
    with engine.connect() as conn:
        return [dict(row) for row in conn.execute(query).mappings()]
