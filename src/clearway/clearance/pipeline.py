"""The clearance pipeline: intake -> store -> link -> assess -> decide, batch first.

Every entry point takes a batch and returns one result per record; a single submission is a
batch of one. The store is passed in (see ``store.ClearanceStore``) and all of a call's writes are
made by the caller inside one transaction, so a batch is stored whole or not at all while each bad
record is rejected on its own.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from clearway.clearance.assessment import AssessedConsignment, RevenueConfig, add_usage, assess_declaration
from clearway.clearance.changes import Changes
from clearway.clearance.decision import assess
from clearway.clearance.documents import DocumentSet, link_views_for
from clearway.clearance.lifecycle import (
    CONTROLLING_HOLDS,
    Control,
    HoldReason,
    State,
    move,
)
from clearway.clearance.link_view import LinkDocument
from clearway.clearance.linking import LinkResult, link, payment_key
from clearway.clearance.model import (
    ConsignmentState,
    StepResult,
    StoredConsignment,
    StoredDocument,
    SubmissionResult,
    canonical_json,
    content_hash,
    new_id,
)
from clearway.clearance.risk_step import RiskStep
from clearway.clearance.senders import SENDER_KINDS, may_declare, may_send
from clearway.clearance.stages import STAGES
from clearway.clearance.store import ClearanceStore
from clearway.dataset.errors import FieldError
from clearway.dataset.records import Consignment, Document, DocumentKind, Payment, document_number
from clearway.revenue.context import RevenueError
from clearway.risk.lanes import RiskResult


@dataclass(frozen=True)
class PipelineConfig:
    # How long a declaration waits for its order, payment and waybill before it is held for a
    # request for information. China's CBEC model releases within minutes once all three match;
    # three days covers documents sent in daily batches and weekends.
    document_wait: dt.timedelta = dt.timedelta(hours=72)
    # Duties and taxes: assessed when a consignment is decided (None: no revenue step, as in
    # tests of linking alone).
    revenue: RevenueConfig | None = None
    # Data quality, screening, targeting rules and lanes (None: no risk step).
    risk: RiskStep | None = None


def transition(
    row: StoredConsignment,
    changes: Changes,
    target: State,
    *,
    at: dt.datetime,
    actor: str,
    reason: str,
    hold_reason: HoldReason | None = None,
) -> None:
    step = move(row.status.state, target, at=at, actor=actor, reason=reason, hold_reason=hold_reason)
    changes.record(row, step)
    row.status.state = target
    row.status.hold_reason = step.hold_reason
    row.status.updated_at = at


def link_with(docs: DocumentSet[LinkDocument], row: StoredConsignment) -> LinkResult:
    """Match a stored declaration with the documents of ``docs`` it may link (clearance.documents)."""
    found = docs.linkable(row)
    return link(
        row.record, found.order, found.payment, found.waybill, sources=found.reasons, self_supplied=found.self_supplied
    )


def advance(
    store: ClearanceStore,
    rows: Sequence[StoredConsignment],
    docs: DocumentSet[LinkDocument],
    changes: Changes,
    *,
    now: dt.datetime,
    actor: str,
    config: PipelineConfig,
    expired: bool = False,
) -> None:
    """Link consignments with the documents at hand and move each as far as they allow.

    Linking goes first for the whole batch, so that risk (a frame over the batch) runs once, on
    exactly the consignments that are decided now; then each is recorded or decided in the batch's
    order, as if it had come alone after the ones before it.
    """
    linked: list[tuple[StoredConsignment, LinkResult]] = []
    clock = STAGES.clock
    started = clock()
    for row in rows:
        result = link_with(docs, row)
        row.status.link_status = result.status
        linked.append((row, result))
    deciding = [row for row, result in linked if not _waits(result, expired)]
    # Another process may be deciding a parcel of the same orders now: take them in turn, and read the
    # controls again once ours (store/order_locks.py). The orders that gained one are linked again.
    stale: set[str] = set()
    if deciding and store.lock_orders({(r.record.transaction.order_number, r.operator_id) for r in deciding}):
        stale = docs.see_controls(store.controlled_by_order({r.record.transaction.order_number for r in deciding}))
    STAGES.add("link", clock() - started, len(rows))
    risks: dict[str, RiskResult] = {}
    if config.risk is not None and deciding:
        with STAGES.stage("risk", len(deciding)):
            risks = config.risk.assess(store, deciding, now)
    started = clock()
    revenue_seconds = 0.0
    # (order number, declarant) of the declarations this batch put under control, so far.
    controlled_here: set[tuple[str, str]] = set()
    for row, result in linked:
        order = (row.record.transaction.order_number, row.operator_id)
        if order in controlled_here or order[0] in stale:
            # Another parcel of the order was put under control earlier in this batch (or by another
            # process meanwhile): linked again, this one sees it, as it would had the two come one
            # after the other. Otherwise two parcels of one order sent together would slip past
            # order_under_control (the link stage ran for the whole batch before any decision).
            # Whether documents are missing does not depend on it, so a declaration that waits still
            # waits; risk reads no link.
            result = link_with(docs, row)
            row.status.link_status = result.status
        if _waits(result, expired):
            _wait(row, result, changes, now=now, actor=actor, config=config)
            continue
        risk = risks.get(row.id)
        if risk is not None:
            changes.risks.append((row, risk, now))
        was_controlled = row.status.control is not None
        revenue_seconds += _decide(row, result, changes, now=now, actor=actor, config=config, risk=risk)
        if row.status.control is not None and not was_controlled:
            docs.note_controlled(order[0], row.id, row.operator_id)
            controlled_here.add(order)
    if not deciding:
        return
    if config.revenue is not None:
        STAGES.add("revenue", revenue_seconds, len(deciding))
    STAGES.add("decide", clock() - started - revenue_seconds, len(deciding))


def _waits(result: LinkResult, expired: bool) -> bool:
    """Documents are missing and the wait is not over: the declaration waits for them."""
    return result.status == "incomplete" and not expired


def _wait(
    row: StoredConsignment,
    result: LinkResult,
    changes: Changes,
    *,
    now: dt.datetime,
    actor: str,
    config: PipelineConfig,
) -> None:
    changes.results.append(StepResult(consignment_id=row.id, version=row.version, at=now, link=result, decision=None))
    if row.status.state is not State.AWAITING_DOCUMENTS:
        row.status.deadline = row.received_at + config.document_wait
        missing = ", ".join(result.missing)
        transition(row, changes, State.AWAITING_DOCUMENTS, at=now, actor=actor, reason=f"waiting for: {missing}")


def _decide(
    row: StoredConsignment,
    result: LinkResult,
    changes: Changes,
    *,
    now: dt.datetime,
    actor: str,
    config: PipelineConfig,
    risk: RiskResult | None,
) -> float:
    """Decide one linked declaration; return the seconds its revenue assessment took (a stage of its own)."""
    c = row.record
    revenue: AssessedConsignment | RevenueError | None = None
    revenue_seconds = 0.0
    if config.revenue is not None:
        started = STAGES.clock()
        revenue = assess_declaration(
            config.revenue,
            c,
            row_id=row.id,
            version=row.version,
            operator_id=row.operator_id,
            now=now,
            usage=changes.usage,
        )
        if isinstance(revenue, AssessedConsignment):
            changes.assessments.append(revenue)
            add_usage(changes.usage, revenue)
        revenue_seconds = STAGES.clock() - started
    decision = assess(
        result,
        now=now,
        revenue=revenue.assessment if isinstance(revenue, AssessedConsignment) else None,
        revenue_error=str(revenue) if isinstance(revenue, RevenueError) else None,
        risk=risk,
    )
    changes.decided(row, decision, result.status)
    changes.results.append(
        StepResult(consignment_id=row.id, version=row.version, at=now, link=result, decision=decision)
    )
    row.status.lane = decision.lane
    row.status.deadline = None
    summary = "; ".join(r.message for r in decision.reasons)
    if result.status == "incomplete":
        # The wait is over and documents are still missing: that becomes a request for information
        # (or an examination, when the targeting rules ask for one anyway).
        transition(row, changes, State.HELD, at=now, actor=actor, reason=summary, hold_reason=decision.hold_reason)
    else:
        lane = f"{decision.lane} lane ({decision.engine})"
        transition(row, changes, State.ASSESSED, at=now, actor=actor, reason=lane)
        if decision.hold_reason is None:
            transition(row, changes, State.RELEASED, at=now, actor=actor, reason=summary)
        else:
            transition(row, changes, State.HELD, at=now, actor=actor, reason=summary, hold_reason=decision.hold_reason)
    # Whatever path led to it, a hold for examination puts the consignment under control.
    if row.status.state is State.HELD and decision.hold_reason in CONTROLLING_HOLDS:
        row.status.control = Control.SELECTED
    changes.notify_decided(
        row, decision, result, revenue.assessment if isinstance(revenue, AssessedConsignment) else None
    )
    return revenue_seconds


def _refused(index: int, reference: str, pointer: str, detail: str) -> SubmissionResult:
    return SubmissionResult(index=index, status="rejected", reference=reference, errors=[FieldError(pointer, detail)])


def submit_consignments(
    store: ClearanceStore,
    operator_id: str,
    records: Sequence[Consignment],
    *,
    now: dt.datetime,
    actor: str,
    config: PipelineConfig,
) -> list[SubmissionResult]:
    """Store, link and assess new declarations; resubmissions are answered idempotently."""
    accepting = STAGES.clock()
    sender_kind = store.operator_kinds([operator_id]).get(operator_id)
    if not may_declare(sender_kind):
        detail = f"an operator of kind '{sender_kind}' does not lodge declarations"
        return [_refused(i, r.reference, "", detail) for i, r in enumerate(records)]
    existing = store.consignments_by_reference(operator_id, {r.reference for r in records})
    results: list[SubmissionResult] = []
    new_rows: list[StoredConsignment] = []
    for index, record in enumerate(records):
        body = canonical_json(record)
        digest = content_hash(body)
        prior = existing.get(record.reference)
        if prior is not None:
            results.append(_repeat(index, prior, digest))
            continue
        row = StoredConsignment(
            id=new_id(),
            operator_id=operator_id,
            reference=record.reference,
            version=1,
            body_hash=digest,
            received_at=now,
            record=record,
            status=ConsignmentState(state=State.RECEIVED, updated_at=now),
        )
        existing[record.reference] = row
        new_rows.append(row)
        results.append(SubmissionResult(index=index, status="accepted", id=row.id, reference=row.reference))
    changes = Changes()
    for row in new_rows:
        changes.record(row, move(None, State.RECEIVED, at=now, actor=actor, reason="declaration received (version 1)"))
    STAGES.add("accept", STAGES.clock() - accepting, len(records))
    with STAGES.stage("link_view", len(new_rows)):
        changes.prefetch_usage(store, new_rows, config.revenue, now)
        docs = link_views_for(store, new_rows)
    advance(store, new_rows, docs, changes, now=now, actor=actor, config=config)
    with STAGES.stage("store", len(new_rows)):
        store.insert_consignments(new_rows)
    with STAGES.stage("record", len(new_rows)):
        changes.flush(store)
    by_id = {row.id: row for row in new_rows}
    for result in results:
        if result.status == "accepted" and result.id in by_id:
            result.state = by_id[result.id].status.state
            result.version = 1
    return results


def _repeat(index: int, prior: StoredConsignment, digest: str) -> SubmissionResult:
    if prior.body_hash == digest:
        return SubmissionResult(
            index=index,
            status="duplicate",
            id=prior.id,
            reference=prior.reference,
            state=prior.status.state,
            version=prior.version,
        )
    return SubmissionResult(
        index=index,
        status="conflict",
        reference=prior.reference,
        errors=[
            FieldError(
                "/reference",
                f"reference '{prior.reference}' was already used for a different message; "
                "amend the consignment instead",
            )
        ],
    )


def submit_documents(
    store: ClearanceStore,
    kind: DocumentKind,
    operator_id: str,
    records: Sequence[Document],
    *,
    now: dt.datetime,
    actor: str,
    config: PipelineConfig,
    seen: set[str] | None = None,
) -> list[SubmissionResult]:
    """Store orders, payments or waybills and advance the declarations that were waiting for them.

    Each sender's numbers are its own: a number another operator already used is a different
    document, kept beside the first (clearance.senders decides which one a declaration links).
    ``seen`` gathers the waiting declarations linked again (clearance.catch_up need not look at them).
    """
    sender_kind = store.operator_kinds([operator_id]).get(operator_id)
    if not may_send(sender_kind, kind):
        allowed = ", ".join(sorted(SENDER_KINDS[kind]))
        detail = f"an operator of kind '{sender_kind}' may not send {kind}s ({kind}s come from: {allowed})"
        return [_refused(i, document_number(r), _NUMBER_POINTER[kind], detail) for i, r in enumerate(records)]
    accepting = STAGES.clock()
    numbers = {document_number(r) for r in records}
    existing = store.own_documents(kind, operator_id, numbers)
    results: list[SubmissionResult] = []
    new_docs: list[StoredDocument] = []
    for index, record in enumerate(records):
        number = document_number(record)
        digest = content_hash(canonical_json(record))
        prior = existing.get(number)
        if prior is not None:
            if prior.body_hash == digest:
                results.append(SubmissionResult(index=index, status="duplicate", id=prior.id, reference=number))
            else:
                results.append(
                    SubmissionResult(
                        index=index,
                        status="conflict",
                        reference=number,
                        errors=[
                            FieldError(
                                _NUMBER_POINTER[kind],
                                f"{kind} '{number}' was already sent with different content",
                            )
                        ],
                    )
                )
            continue
        doc = StoredDocument(
            id=new_id(),
            kind=kind,
            operator_id=operator_id,
            number=number,
            body_hash=digest,
            received_at=now,
            record=record,
            sender_kind=sender_kind,
        )
        existing[number] = doc
        new_docs.append(doc)
        results.append(SubmissionResult(index=index, status="accepted", id=doc.id, reference=number))
    STAGES.add("documents_accept", STAGES.clock() - accepting, len(records))
    with STAGES.stage("documents_store", len(new_docs)):
        store.insert_documents(new_docs)
    keys = {d.number for d in new_docs}
    if kind == "payment":
        keys |= {d.record.order_number for d in new_docs if isinstance(d.record, Payment)}
    if keys:
        with STAGES.stage("find_waiting", len(keys)):
            # Declarations another process is linking right now are left to it: once this batch
            # commits, its catch-up looks at them again (clearance.catch_up), instead of this
            # whole batch waiting for that transaction to end.
            waiting = in_arrival_order(kind, store.awaiting_by_keys(kind, keys, skip_locked=True), new_docs)
        if seen is not None:
            seen.update(row.id for row in waiting)
        relink(store, waiting, now=now, actor=actor, config=config)
    return results


def in_arrival_order(
    kind: DocumentKind, rows: Sequence[StoredConsignment], docs: Sequence[StoredDocument]
) -> list[StoredConsignment]:
    """Waiting declarations in the order their documents came in the batch: sent one at a time, the
    first document would have completed its declaration first, and what a declaration is compared
    with (the buyer's earlier consignments of the day, a person's quota) depends on that order."""
    position: dict[str, int] = {}
    for index, doc in enumerate(docs):
        position.setdefault(doc.number, index)
        if isinstance(doc.record, Payment):
            position.setdefault(doc.record.order_number, index)
    key = _WAITING_KEY[kind]
    return sorted(rows, key=lambda row: (position.get(key(row.record), len(docs)), row.id))


def _order_number(c: Consignment) -> str:
    return c.transaction.order_number


def _transport_document(c: Consignment) -> str:
    return c.logistics.transport_document


# The key a waiting declaration is found by for each kind of document (store.awaiting_by_keys).
_WAITING_KEY: dict[DocumentKind, Callable[[Consignment], str]] = {
    "order": _order_number,
    "payment": payment_key,
    "waybill": _transport_document,
}


_NUMBER_POINTER: dict[DocumentKind, str] = {
    "order": "/order_number",
    "payment": "/payment_id",
    "waybill": "/transport_document",
}


def relink(
    store: ClearanceStore,
    rows: Sequence[StoredConsignment],
    *,
    now: dt.datetime,
    actor: str,
    config: PipelineConfig,
    expired: bool = False,
) -> None:
    """Link waiting consignments again with the documents now stored, and move them on."""
    if not rows:
        return
    changes = Changes()
    with STAGES.stage("link_view", len(rows)):
        changes.prefetch_usage(store, rows, config.revenue, now)
        docs = link_views_for(store, rows)
    advance(store, rows, docs, changes, now=now, actor=actor, config=config, expired=expired)
    with STAGES.stage("store", len(rows)):
        store.update_states([(row.id, row.status) for row in rows])
    with STAGES.stage("record", len(rows)):
        changes.flush(store)


def expire_overdue(
    store: ClearanceStore, *, now: dt.datetime, actor: str, config: PipelineConfig, limit: int = 10_000
) -> int:
    """Hold, for a request for information, consignments whose documents did not come in time."""
    rows = store.overdue(now, limit)
    relink(store, rows, now=now, actor=actor, config=config, expired=True)
    return len(rows)


__all__ = [
    "PipelineConfig",
    "advance",
    "expire_overdue",
    "payment_key",
    "relink",
    "submit_consignments",
    "submit_documents",
]
