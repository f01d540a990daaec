"""API response and request bodies, separate from domain records and table rows.

Request bodies are the domain records themselves (clearway.dataset.records): the data set *is* the
public contract. Responses are shaped here, and their JSON Schemas go into the OpenAPI document.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

import msgspec

from clearway.api.problems import Problem
from clearway.clearance.decision import Decision
from clearway.clearance.instructions import RequestCode
from clearway.clearance.lifecycle import HoldReason, State
from clearway.clearance.linking import LinkResult, LinkStatus
from clearway.clearance.model import StoredDocument
from clearway.dataset.errors import FieldError
from clearway.dataset.records import Consignment, DocumentKind, Order, Payment, Reason, Waybill
from clearway.revenue.model import Assessment
from clearway.risk.lanes import RiskResult

_RESPONSE = {"kw_only": True, "omit_defaults": True}

# An amount already written as decimal text ("12.50"): documented as the Money component, like every
# Decimal the API answers with (api/contract.py).
MoneyText = Annotated[str, msgspec.Meta(extra_json_schema={"format": "decimal"})]


class SubmissionResponse(msgspec.Struct, **_RESPONSE):
    """The result of submitting one record: stored now (accepted) or earlier (duplicate)."""

    status: Literal["accepted", "duplicate"]
    id: str
    reference: str
    state: State | None = None
    version: int | None = None


class LineResult(msgspec.Struct, **_RESPONSE):
    """What happened to one line of a batch; ``line`` is its 1-based line number."""

    line: int
    status: Literal["accepted", "duplicate", "rejected", "conflict"]
    id: str | None = None
    reference: str | None = None
    state: State | None = None
    errors: list[FieldError] = []


class BatchResponse(msgspec.Struct, kw_only=True):
    accepted: int
    duplicates: int
    conflicts: int
    rejected: int
    results: list[LineResult]


class VersionView(msgspec.Struct, kw_only=True):
    version: int
    received_at: dt.datetime
    body_hash: str


class HistoryView(msgspec.Struct, kw_only=True, omit_defaults=True):
    at: dt.datetime
    actor: str
    from_state: State | None = None
    to_state: State
    hold_reason: HoldReason | None = None
    reason: str


class OrderDocument(msgspec.Struct, kw_only=True, omit_defaults=True):
    id: str
    number: str
    received_at: dt.datetime
    record: Order
    # The operator that sent it (customs' view only).
    sent_by: str | None = None


class PaymentDocument(msgspec.Struct, kw_only=True, omit_defaults=True):
    id: str
    number: str
    received_at: dt.datetime
    record: Payment
    # The operator that sent it (customs' view only).
    sent_by: str | None = None


class WaybillDocument(msgspec.Struct, kw_only=True, omit_defaults=True):
    id: str
    number: str
    received_at: dt.datetime
    record: Waybill
    # The operator that sent it (customs' view only).
    sent_by: str | None = None


class LinkedDocuments(msgspec.Struct, kw_only=True, omit_defaults=True):
    """The order, payment and waybill linked to a declaration, as far as they have arrived."""

    order: OrderDocument | None = None
    payment: PaymentDocument | None = None
    waybill: WaybillDocument | None = None


class OtherDocument(msgspec.Struct, kw_only=True):
    """A document under one of the declaration's numbers that is not linked to it (customs only)."""

    kind: Literal["order", "payment", "waybill"]
    id: str
    number: str
    sent_by: str
    received_at: dt.datetime
    # 'sender_not_named': from an operator the declaration does not name (never linked, never
    # shown to the declarant); 'conflicting': from a named sender, disagreeing with the linked one.
    why: Literal["sender_not_named", "conflicting"]


class ConsignmentSummary(msgspec.Struct, kw_only=True, omit_defaults=True):
    """Where a consignment stands: what a list shows and the head of the full view."""

    id: str
    reference: str
    version: int
    state: State
    hold_reason: HoldReason | None = None
    lane: str | None = None  # a Lane; documented as the shared component (api/contract.py)
    link_status: LinkStatus | None = None
    destination_country: str
    currency: str
    goods_value: Decimal
    received_at: dt.datetime
    updated_at: dt.datetime
    deadline: dt.datetime | None = None


class ConsignmentView(ConsignmentSummary, kw_only=True, omit_defaults=True):
    """A consignment with its declaration, versions, history, linked documents and results."""

    declaration: Consignment
    versions: list[VersionView]
    history: list[HistoryView]
    documents: LinkedDocuments
    link: LinkResult | None = None
    decision: Decision | None = None
    # Duties and taxes of the current version, with every line explained (none until decided).
    assessment: Assessment | None = None
    # Data quality findings, rules hit, screening hits, score and lane, each with its reason.
    risk: RiskResult | None = None
    # Documents under the same numbers that are not linked: another sender's, or a conflicting one.
    other_documents: list[OtherDocument] = msgspec.field(default_factory=list)
    # Why customs holds it: 'selected' (targeting), 'officer' (held for examination or examined by
    # hand): the declarant can neither amend nor cancel (UCC Art. 173(2), 174(1)); 'requested' (an
    # officer asked for information): the declarant answers by amending, the officer decides.
    control: Literal["selected", "officer", "requested"] | None = None


# -- what an operator sees of its own consignments ------------------------------------------------
#
# An operator is told what happens to its consignment and what it must do, never how customs chose
# it: no lane, score, rule, model contribution or random-selection flag, and no reason text written
# by the engine or an officer (they name rules). Duties and taxes stay, with every line explained:
# revenue is the law applied to the operator's own data, not targeting.


class DeclarantSummary(msgspec.Struct, kw_only=True, omit_defaults=True):
    """Where one of the caller's consignments stands: what a list shows and the head of the full view."""

    id: str
    reference: str
    version: int
    state: State
    hold_reason: HoldReason | None = None
    link_status: LinkStatus | None = None
    destination_country: str
    currency: str
    goods_value: Decimal
    received_at: dt.datetime
    updated_at: dt.datetime
    deadline: dt.datetime | None = None


class DeclarantPage(msgspec.Struct, kw_only=True):
    """A page of the caller's consignments, newest first; pass ``next_cursor`` as ``cursor`` for the next one."""

    items: list[DeclarantSummary]
    next_cursor: str | None


class Requested(msgspec.Struct, kw_only=True, omit_defaults=True):
    """Something the operator must do (or know) now, in a sentence, with the documents and deadline."""

    code: RequestCode
    message: str
    documents: list[DocumentKind] = []
    due_at: dt.datetime | None = None


class DeclarantStep(msgspec.Struct, kw_only=True, omit_defaults=True):
    """One step of the history as its declarant sees it: what happened and who acted, in fixed words."""

    at: dt.datetime
    by: Literal["you", "customs"]
    from_state: State | None = None
    to_state: State
    hold_reason: HoldReason | None = None
    note: str


class DeclarantOrder(msgspec.Struct, kw_only=True, omit_defaults=True):
    """The linked order: in full when the caller sent it; otherwise only its number and that it is linked."""

    number: str
    status: Literal["linked"]
    sent_by_you: bool
    id: str | None = None
    received_at: dt.datetime | None = None
    record: Order | None = None


class DeclarantPayment(msgspec.Struct, kw_only=True, omit_defaults=True):
    """The linked payment: in full when the caller sent it; otherwise only its number and that it is linked."""

    number: str
    status: Literal["linked"]
    sent_by_you: bool
    id: str | None = None
    received_at: dt.datetime | None = None
    record: Payment | None = None


class DeclarantWaybill(msgspec.Struct, kw_only=True, omit_defaults=True):
    """The linked waybill: in full when the caller sent it; otherwise only its number and that it is linked."""

    number: str
    status: Literal["linked"]
    sent_by_you: bool
    id: str | None = None
    received_at: dt.datetime | None = None
    record: Waybill | None = None


class DeclarantDocuments(msgspec.Struct, kw_only=True, omit_defaults=True):
    order: DeclarantOrder | None = None
    payment: DeclarantPayment | None = None
    waybill: DeclarantWaybill | None = None


class DeclarantView(DeclarantSummary, kw_only=True, omit_defaults=True):
    """One of the caller's consignments: its declaration, versions, history in fixed words, the
    documents linked to it, where they disagree with the declaration, what is requested of the
    caller, and the duties and taxes with every line explained."""

    declaration: Consignment
    versions: list[VersionView]
    history: list[DeclarantStep]
    documents: DeclarantDocuments
    requested: list[Requested]
    # Disagreements between the declaration and its documents; values from documents that other
    # operators sent are shown as [removed] where they are personal data.
    link: LinkResult | None = None
    assessment: Assessment | None = None


class CancelRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    reason: Reason


class Health(msgspec.Struct, kw_only=True):
    status: Literal["ok"]
    version: str
    database: str


SCHEMA_TYPES: list[Any] = [
    Consignment,
    Order,
    Payment,
    Waybill,
    SubmissionResponse,
    BatchResponse,
    ConsignmentView,
    DeclarantView,
    DeclarantPage,
    CancelRequest,
    Problem,
    Health,
]


def openapi_components() -> dict[str, Any]:
    _, components = msgspec.json.schema_components(SCHEMA_TYPES, ref_template="#/components/schemas/{name}")
    return components


def ref(cls: type) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{cls.__name__}"}


def linked_documents(stored: dict[str, StoredDocument], *, with_senders: bool = False) -> LinkedDocuments:
    views = LinkedDocuments()
    for doc in stored.values():
        common: dict[str, Any] = {
            "id": doc.id,
            "number": doc.number,
            "received_at": doc.received_at,
            "sent_by": doc.operator_id if with_senders else None,
        }
        if isinstance(doc.record, Order):
            views.order = OrderDocument(**common, record=doc.record)
        elif isinstance(doc.record, Payment):
            views.payment = PaymentDocument(**common, record=doc.record)
        else:
            views.waybill = WaybillDocument(**common, record=doc.record)
    return views
