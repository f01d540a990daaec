"""What the pipeline made of a declaration, without the ids and times that differ between runs: how
a standard message and its canonical JSON twin are compared end to end."""

from __future__ import annotations

from typing import Any

from clearway.app.platform import Clearway


def summary(service: Clearway, operator: str, consignment_id: str) -> dict[str, Any]:
    dossier = service.dossier(operator, consignment_id)
    assert dossier is not None
    assessment = dossier.assessment
    return {
        "state": dossier.consignment.status.state,
        "hold": dossier.consignment.status.hold_reason,
        "lane": dossier.consignment.status.lane,
        "link": None if dossier.link is None else (dossier.link.status, sorted(r.code for r in dossier.link.reasons)),
        "documents": sorted(dossier.documents),
        "decision": None if dossier.decision is None else sorted(r.code for r in dossier.decision.reasons),
        "total": None if assessment is None else (assessment.duty, assessment.tax, assessment.total),
        "collection": None if assessment is None else assessment.collection_model,
    }
