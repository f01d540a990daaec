"""Turn service results into API response bodies."""

from __future__ import annotations

from typing import Any

import msgspec

from clearway.api import schemas
from clearway.clearance.lifecycle import HoldReason, State
from clearway.privacy.pseudonymise import Redaction, personal_values, pseudonymise
from clearway.service import ConsignmentDossier


def _history(entry: dict[str, Any]) -> schemas.HistoryView:
    return schemas.HistoryView(
        at=entry["at"],
        actor=entry["actor"],
        from_state=State(entry["from_state"]) if entry["from_state"] else None,
        to_state=State(entry["to_state"]),
        hold_reason=HoldReason(entry["hold_reason"]) if entry["hold_reason"] else None,
        reason=entry["reason"],
    )


def consignment_view(d: ConsignmentDossier) -> schemas.ConsignmentView:
    c = d.consignment
    s = c.status
    return schemas.ConsignmentView(
        id=c.id,
        reference=c.reference,
        version=c.version,
        state=s.state,
        hold_reason=s.hold_reason,
        lane=s.lane,
        link_status=s.link_status,
        received_at=c.received_at,
        updated_at=s.updated_at,
        deadline=s.deadline,
        destination_country=c.record.destination_country,
        currency=c.record.transaction.currency,
        goods_value=c.record.transaction.goods_value,
        declaration=c.record,
        versions=[schemas.VersionView(**v) for v in d.versions],  # type: ignore[arg-type]
        history=[_history(h) for h in d.history],
        documents=schemas.linked_documents(d.documents),
        link=d.link,
        decision=d.decision,
        assessment=d.assessment,
        risk=d.risk,
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
