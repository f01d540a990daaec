"""Turn service results into API response bodies: customs' view of a consignment (in full or
pseudonymised) and its declarant's view (what it must do, never how customs targeted it)."""

from __future__ import annotations

from typing import Any

import msgspec

from clearway.api import schemas
from clearway.app.dossier import ConsignmentDossier
from clearway.clearance.instructions import requested
from clearway.clearance.lifecycle import HoldReason, State
from clearway.clearance.linking import LinkResult
from clearway.clearance.model import StoredDocument
from clearway.dataset.records import Order, Payment
from clearway.privacy.pseudonymise import Redaction, personal_values, pseudonymise


def _history(entry: dict[str, Any]) -> schemas.HistoryView:
    return schemas.HistoryView(
        at=entry["at"],
        actor=entry["actor"],
        from_state=State(entry["from_state"]) if entry["from_state"] else None,
        to_state=State(entry["to_state"]),
        hold_reason=HoldReason(entry["hold_reason"]) if entry["hold_reason"] else None,
        reason=entry["reason"],
    )


def _head(d: ConsignmentDossier) -> dict[str, Any]:
    """What both views say of where a consignment stands (the lane is added for customs only)."""
    c = d.consignment
    s = c.status
    return {
        "id": c.id,
        "reference": c.reference,
        "version": c.version,
        "state": s.state,
        "hold_reason": s.hold_reason,
        "link_status": s.link_status,
        "received_at": c.received_at,
        "updated_at": s.updated_at,
        "deadline": s.deadline,
        "destination_country": c.record.destination_country,
        "currency": c.record.transaction.currency,
        "goods_value": c.record.transaction.goods_value,
        "declaration": c.record,
        "versions": [schemas.VersionView(**v) for v in d.versions],  # type: ignore[arg-type]
    }


def consignment_view(d: ConsignmentDossier) -> schemas.ConsignmentView:
    s = d.consignment.status
    return schemas.ConsignmentView(
        **_head(d),
        lane=s.lane,
        history=[_history(h) for h in d.history],
        documents=schemas.linked_documents(d.documents, with_senders=True),
        link=d.link,
        decision=d.decision,
        assessment=d.assessment,
        risk=d.risk,
        other_documents=[
            schemas.OtherDocument(
                kind=doc.kind,
                id=doc.id,
                number=doc.number,
                sent_by=doc.operator_id,
                received_at=doc.received_at,
                why=why,  # type: ignore[arg-type]
            )
            for doc, why in d.other_documents
        ],
        control=s.control,  # type: ignore[arg-type]
    )


def pseudonymised_view(d: ConsignmentDossier, key: bytes) -> schemas.ConsignmentView:
    """The view with personal fields as keyed pseudonyms and names removed from reasons."""
    view = consignment_view(d)
    values = personal_values(d.consignment.record)
    for doc in d.documents.values():
        values += personal_values(doc.record)
    redact = Redaction(values)
    docs = view.documents
    return msgspec.structs.replace(
        view,
        declaration=pseudonymise(view.declaration, key),
        documents=schemas.LinkedDocuments(
            order=msgspec.structs.replace(docs.order, record=pseudonymise(docs.order.record, key))
            if docs.order
            else None,
            payment=msgspec.structs.replace(docs.payment, record=pseudonymise(docs.payment.record, key))
            if docs.payment
            else None,
            waybill=msgspec.structs.replace(docs.waybill, record=pseudonymise(docs.waybill.record, key))
            if docs.waybill
            else None,
        ),
        history=[msgspec.structs.replace(h, reason=redact(h.reason)) for h in view.history],
        link=msgspec.structs.replace(
            view.link, reasons=[msgspec.structs.replace(r, message=redact(r.message)) for r in view.link.reasons]
        )
        if view.link
        else None,
        decision=msgspec.structs.replace(
            view.decision,
            reasons=[msgspec.structs.replace(r, message=redact(r.message)) for r in view.decision.reasons],
        )
        if view.decision
        else None,
    )


# -- the declarant's view ---------------------------------------------------------------------------

# The history in fixed words: stored reasons are the engine's decision summary (rule descriptions,
# the random-selection note) or an officer's free text, and neither is the operator's to read.
_STEP_NOTES: dict[tuple[State, HoldReason | None], str] = {
    (State.RECEIVED, None): "declaration received",
    (State.AWAITING_DOCUMENTS, None): "waiting for documents",
    (State.ASSESSED, None): "assessed",
    (State.HELD, HoldReason.REQUEST_FOR_INFORMATION): "held: request for information",
    (State.HELD, HoldReason.INSPECTION): "held for examination",
    (State.HELD, HoldReason.DO_NOT_LOAD): "not to be loaded",
    (State.INSPECTED, None): "examination started",
    (State.RELEASED, None): "released",
    (State.SEIZED, None): "seized",
    (State.RETURNED, None): "to be returned to the sender",
    (State.CANCELLED, None): "cancelled",
}
# Steps the declarant itself takes: a submission or amendment, a cancellation (with its own reason).
_DECLARANT_STEPS = frozenset({State.RECEIVED, State.CANCELLED})


def _declarant_step(entry: dict[str, Any], own_actor: str) -> schemas.DeclarantStep:
    to_state = State(entry["to_state"])
    hold = HoldReason(entry["hold_reason"]) if entry["hold_reason"] else None
    mine = entry["actor"] == own_actor and to_state in _DECLARANT_STEPS
    note = _STEP_NOTES.get((to_state, hold), to_state.value.replace("_", " "))
    if mine and to_state is State.RECEIVED and entry["from_state"]:
        note = "declaration amended"
    elif mine and to_state is State.CANCELLED:
        note = f"cancelled: {entry['reason']}"  # the operator's own words
    return schemas.DeclarantStep(
        at=entry["at"],
        by="you" if mine else "customs",
        from_state=State(entry["from_state"]) if entry["from_state"] else None,
        to_state=to_state,
        hold_reason=hold,
        note=note,
    )


def _declarant_documents(stored: dict[str, StoredDocument], operator_id: str) -> schemas.DeclarantDocuments:
    """The linked documents: the caller's own in full; another sender's only by number (its data,
    personal data of buyers and payers included, is that sender's)."""
    views = schemas.DeclarantDocuments()
    for doc in stored.values():
        own = doc.operator_id == operator_id
        common: dict[str, Any] = {"number": doc.number, "status": "linked", "sent_by_you": own}
        if own:
            common.update(id=doc.id, received_at=doc.received_at, record=doc.record)
        if isinstance(doc.record, Order):
            views.order = schemas.DeclarantOrder(**common)
        elif isinstance(doc.record, Payment):
            views.payment = schemas.DeclarantPayment(**common)
        else:
            views.waybill = schemas.DeclarantWaybill(**common)
    return views


def _declarant_link(link: LinkResult | None, others: list[StoredDocument]) -> LinkResult | None:
    """The link result with other senders' personal values removed from its sentences: the operator
    learns that the order's buyer differs from its declaration, not who the order names."""
    if link is None:
        return None
    redact = Redaction(value for doc in others for value in personal_values(doc.record))
    return msgspec.structs.replace(
        link, reasons=[msgspec.structs.replace(r, message=redact(r.message)) for r in link.reasons]
    )


def _requested(d: ConsignmentDossier, link: LinkResult | None) -> list[schemas.Requested]:
    """What the operator must do now, from the state, the hold and its own data; never why customs chose it."""
    status = d.consignment.status
    found = requested(
        status.state,
        status.hold_reason,
        link=link,
        decision=d.decision,
        assessment=d.assessment,
        deadline=status.deadline,
    )
    return [schemas.Requested(**msgspec.structs.asdict(i)) for i in found]


def declarant_view(d: ConsignmentDossier) -> schemas.DeclarantView:
    """A consignment as its declarant sees it (the dossier must be the caller's own)."""
    c = d.consignment
    others = [doc for doc in d.documents.values() if doc.operator_id != c.operator_id]
    link = _declarant_link(d.link, others)
    return schemas.DeclarantView(
        **_head(d),
        history=[_declarant_step(h, f"operator:{c.operator_id}") for h in d.history],
        documents=_declarant_documents(d.documents, c.operator_id),
        requested=_requested(d, link),
        link=link,
        assessment=d.assessment,
    )
