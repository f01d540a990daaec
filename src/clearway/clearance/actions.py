"""What a declarant or an officer does to one consignment: amend, cancel, control.

The declarant's changes stop where customs control begins (lifecycle.declarant_may_change: Union
Customs Code Art. 173(2) and 174(1)); the officer's steps are what the lifecycle allows. Each is one
consignment in one transaction, recorded in its history and the audit chain like the pipeline's.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from clearway.clearance.changes import Changes
from clearway.clearance.documents import link_views_for
from clearway.clearance.errors import Conflict, InvalidRecord, NotFound, UnderCustomsControl
from clearway.clearance.lifecycle import (
    AMENDMENT_LAW,
    CONTROLLING_HOLDS,
    INVALIDATION_LAW,
    Control,
    HoldReason,
    IllegalTransition,
    State,
    declarant_may_change,
)
from clearway.clearance.model import (
    StoredConsignment,
    SubmissionResult,
    SubmissionStatus,
    canonical_json,
    content_hash,
)
from clearway.clearance.pipeline import PipelineConfig, advance, transition
from clearway.clearance.store import ClearanceStore
from clearway.dataset.errors import FieldError
from clearway.dataset.records import Consignment


def _own(store: ClearanceStore, operator_id: str, consignment_id: str) -> StoredConsignment:
    # Locked until the transaction ends: an officer's step committed meanwhile is seen, not undone.
    row = store.consignments_by_id([consignment_id], lock=True).get(consignment_id)
    # Another operator's consignment is reported exactly like a missing one: its existence is
    # not the caller's business.
    if row is None or row.operator_id != operator_id:
        raise NotFound(f"no consignment '{consignment_id}'")
    return row


def amend(
    store: ClearanceStore,
    operator_id: str,
    consignment_id: str,
    record: Consignment,
    *,
    now: dt.datetime,
    actor: str,
    config: PipelineConfig,
) -> SubmissionResult:
    """Store a new version of a declaration (never an overwrite) and link and assess it again."""
    row = _own(store, operator_id, consignment_id)
    if record.reference != row.reference:
        raise InvalidRecord(
            "an amendment keeps the consignment's reference",
            [FieldError("/reference", f"expected '{row.reference}', the reference of the amended consignment")],
        )
    digest = content_hash(canonical_json(record))
    if digest == row.body_hash:
        return _result(row, "duplicate")
    # The same content again is answered as a duplicate above (a retried request); anything else is
    # refused once customs has the consignment in hand.
    refusal = declarant_may_change(row.status.state, row.status.control)
    if refusal is not None:
        raise UnderCustomsControl(f"the declaration can no longer be amended: {refusal}", law=AMENDMENT_LAW)
    changes = Changes()
    row.version += 1
    row.record = record
    row.body_hash = digest
    if row.status.control == Control.REQUESTED:
        # The answer to an officer's request: a new version for the officer to judge, still held.
        reason = f"amended (version {row.version}): answer to the request for information"
        hold = HoldReason.REQUEST_FOR_INFORMATION
        transition(row, changes, State.HELD, at=now, actor=actor, reason=reason, hold_reason=hold)
        store.insert_version(row)
    else:
        transition(row, changes, State.RECEIVED, at=now, actor=actor, reason=f"amended (version {row.version})")
        store.insert_version(row)
        changes.prefetch_usage(store, [row], config.revenue, now)
        advance(store, [row], link_views_for(store, [row]), changes, now=now, actor=actor, config=config)
    store.update_states([(row.id, row.status)])
    changes.flush(store)
    return _result(row, "accepted")


def _result(row: StoredConsignment, status: SubmissionStatus) -> SubmissionResult:
    return SubmissionResult(
        index=0, status=status, id=row.id, reference=row.reference, state=row.status.state, version=row.version
    )


def cancel(
    store: ClearanceStore, operator_id: str, consignment_id: str, *, reason: str, now: dt.datetime, actor: str
) -> StoredConsignment:
    """Withdraw a declaration that customs has not taken into control nor released."""
    row = _own(store, operator_id, consignment_id)
    refusal = declarant_may_change(row.status.state, row.status.control, cancel=True)
    if refusal is not None:
        raise UnderCustomsControl(f"the declaration can no longer be cancelled: {refusal}", law=INVALIDATION_LAW)
    changes = Changes()
    try:
        transition(row, changes, State.CANCELLED, at=now, actor=actor, reason=reason)
    except IllegalTransition as exc:
        raise Conflict(str(exc)) from exc
    row.status.deadline = None
    store.update_states([(row.id, row.status)])
    changes.flush(store)
    return row


def control(
    store: ClearanceStore,
    consignment_id: str,
    target: State,
    *,
    reason: str,
    now: dt.datetime,
    actor: str,
    hold_reason: HoldReason | None = None,
) -> StoredConsignment:
    """A customs control step on a consignment: hold, inspect, release, seize or return.

    The officer workbench and the risk engine drive these; the lifecycle decides what is allowed.
    """
    row = store.consignments_by_id([consignment_id], lock=True).get(consignment_id)
    if row is None:
        raise NotFound(f"no consignment '{consignment_id}'")
    if target is State.CANCELLED or target is State.RECEIVED:
        raise Conflict(f"customs does not move a consignment to '{target}'; its declarant does")
    changes = Changes()
    try:
        transition(row, changes, target, at=now, actor=actor, reason=reason, hold_reason=hold_reason)
    except (IllegalTransition, ValueError) as exc:
        raise Conflict(str(exc)) from exc
    row.status.deadline = None
    if row.status.control is None and target in (State.HELD, State.INSPECTED):
        # Taken into control now: a parcel of the same order another process is deciding at this
        # moment waits for this commit and then sees the control (store/order_locks.py).
        store.lock_orders({(row.record.transaction.order_number, row.operator_id)})
    if target is State.INSPECTED or (target is State.HELD and hold_reason in CONTROLLING_HOLDS):
        # An officer's hold for examination, or the examination: whatever the declarant sends now
        # changes nothing.
        row.status.control = Control.OFFICER
    elif target is State.HELD and row.status.control is None:
        # An officer's request for information: answered by an amendment, decided by the officer.
        row.status.control = Control.REQUESTED
    store.update_states([(row.id, row.status)])
    changes.flush(store)
    return row


__all__ = ["amend", "cancel", "control"]


# What a declarant's standard message may ask of a declaration it filed before (China's appType 2
# and 3 on a CEB621): a new version, or its withdrawal.
Change = Literal["change", "delete"]
WITHDRAWN_BY_MESSAGE = "withdrawn by the declarant's message (a deletion)"


def change_by_reference(
    store: ClearanceStore,
    operator_id: str,
    change: Change,
    record: Consignment,
    *,
    now: dt.datetime,
    actor: str,
    config: PipelineConfig,
) -> SubmissionResult:
    """Amend or withdraw the operator's declaration under the record's reference, as the API's
    amendment and cancellation do, with the same controls: a declaration in customs' hands is
    neither changed nor withdrawn (``conflict``), one the operator never filed is not found."""
    row = store.consignments_by_reference(operator_id, [record.reference]).get(record.reference)
    if row is None:
        missing = FieldError("/reference", f"no declaration of yours under reference '{record.reference}' to {change}")
        return SubmissionResult(index=0, status="rejected", reference=record.reference, errors=[missing])
    try:
        if change == "change":
            return amend(store, operator_id, row.id, record, now=now, actor=actor, config=config)
        done = cancel(store, operator_id, row.id, reason=WITHDRAWN_BY_MESSAGE, now=now, actor=actor)
        return _result(done, "accepted")
    except Conflict as exc:
        detail = f"{exc.detail} ({exc.law})" if isinstance(exc, UnderCustomsControl) else exc.detail
        return SubmissionResult(
            index=0, status="conflict", id=row.id, reference=row.reference, state=row.status.state,
            errors=exc.errors or [FieldError("", detail)],
        )  # fmt: skip
    except InvalidRecord as exc:
        return SubmissionResult(index=0, status="rejected", reference=record.reference, errors=exc.errors)
