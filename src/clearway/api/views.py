"""Turn service results into API response bodies."""

from __future__ import annotations

from typing import Any

from clearway.api import schemas
from clearway.clearance.lifecycle import HoldReason, State
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
    )
