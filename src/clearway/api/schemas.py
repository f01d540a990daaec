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
from clearway.clearance.lifecycle import HoldReason, State
from clearway.clearance.linking import LinkResult
from clearway.clearance.model import StoredDocument
from clearway.dataset.errors import FieldError
from clearway.dataset.records import Consignment, Order, Payment, Waybill
from clearway.revenue.model import Assessment
from clearway.risk.lanes import RiskResult

_RESPONSE = {"kw_only": True, "omit_defaults": True}


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


class OrderDocument(msgspec.Struct, kw_only=True):
    id: str
    number: str
    received_at: dt.datetime
    record: Order


class PaymentDocument(msgspec.Struct, kw_only=True):
    id: str
    number: str
    received_at: dt.datetime
    record: Payment


class WaybillDocument(msgspec.Struct, kw_only=True):
    id: str
    number: str
    received_at: dt.datetime
    record: Waybill


class LinkedDocuments(msgspec.Struct, kw_only=True, omit_defaults=True):
    """The order, payment and waybill linked to a declaration, as far as they have arrived."""

    order: OrderDocument | None = None
    payment: PaymentDocument | None = None
    waybill: WaybillDocument | None = None


class ConsignmentSummary(msgspec.Struct, kw_only=True, omit_defaults=True):
    """Where a consignment stands: what a list shows and the head of the full view."""

    id: str
    reference: str
    version: int
    state: State
    hold_reason: HoldReason | None = None
    lane: str | None = None
    link_status: str | None = None
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


class ConsignmentPage(msgspec.Struct, kw_only=True):
    """A page of consignments, newest first; pass ``next_cursor`` as ``cursor`` for the next one."""

    items: list[ConsignmentSummary]
    next_cursor: str | None


class CancelRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=500)]


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
    ConsignmentPage,
    CancelRequest,
    Problem,
    Health,
]


def openapi_components() -> dict[str, Any]:
    _, components = msgspec.json.schema_components(SCHEMA_TYPES, ref_template="#/components/schemas/{name}")
    return components


def ref(cls: type) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{cls.__name__}"}


def linked_documents(stored: dict[str, StoredDocument]) -> LinkedDocuments:
    views = LinkedDocuments()
    for doc in stored.values():
        common: dict[str, Any] = {"id": doc.id, "number": doc.number, "received_at": doc.received_at}
        if isinstance(doc.record, Order):
            views.order = OrderDocument(**common, record=doc.record)
        elif isinstance(doc.record, Payment):
            views.payment = PaymentDocument(**common, record=doc.record)
        else:
            views.waybill = WaybillDocument(**common, record=doc.record)
    return views
