"""A consignment's dossier: everything known about it, read in one transaction for its owner or an officer."""

from __future__ import annotations

from collections.abc import Callable

import msgspec
import sqlalchemy as sa

from clearway.clearance.decision import Decision
from clearway.clearance.documents import documents_for
from clearway.clearance.linking import LinkResult
from clearway.clearance.model import StoredConsignment, StoredDocument
from clearway.revenue.model import Assessment
from clearway.risk.lanes import RiskResult
from clearway.store import revenue_repo, risk_repo
from clearway.store.repository import SqlClearanceStore


class ConsignmentDossier(msgspec.Struct, kw_only=True):
    """Everything known about one consignment, for its owner and, later, for officers."""

    consignment: StoredConsignment
    versions: list[dict[str, object]]
    history: list[dict[str, object]]
    documents: dict[str, StoredDocument]
    link: LinkResult | None
    decision: Decision | None
    assessment: Assessment | None = None
    risk: RiskResult | None = None
    # Documents under the same numbers that the declaration does not link: from senders it does not
    # name, or disagreeing with the linked one. For officers only (never the declarant's view).
    other_documents: list[tuple[StoredDocument, str]] = msgspec.field(default_factory=list)


# Explains a stored model score that the pipeline left unexplained (customs reads only).
Explain = Callable[[StoredConsignment, RiskResult], RiskResult]


def read_dossier(
    engine: sa.Engine, operator_id: str | None, consignment_id: str, *, explain: Explain | None = None
) -> ConsignmentDossier | None:
    """The consignment with its versions, history, documents and latest results.

    ``operator_id`` limits the answer to that operator's own consignments (None: any).
    """
    with engine.connect() as conn:
        store = SqlClearanceStore(conn)
        row = store.consignments_by_id([consignment_id]).get(consignment_id)
        if row is None or (operator_id is not None and row.operator_id != operator_id):
            return None
        latest = store.latest_result(consignment_id)
        linked, others = documents_for(store, [row]).for_dossier(row.record, row.operator_id)
        risk = risk_repo.latest_result(conn, consignment_id)
        if risk is not None and explain is not None:
            risk = (risk[0], explain(row, risk[1]))
        return ConsignmentDossier(
            consignment=row,
            versions=[dict(v) for v in store.versions_of(consignment_id)],
            history=[dict(h) for h in store.history_of(consignment_id)],
            documents=linked,
            other_documents=others,
            link=latest[0] if latest else None,
            decision=latest[1] if latest else None,
            assessment=revenue_repo.latest_assessment(conn, consignment_id),
            risk=risk[1] if risk else None,
        )
