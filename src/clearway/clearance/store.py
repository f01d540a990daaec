"""What the clearance pipeline needs from a store. The SQL adapter in clearway.store implements it.

Every method takes and returns whole batches: the pipeline never asks for one row inside a loop.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping, Sequence
from typing import Protocol

from clearway.audit.chain import AuditEvent
from clearway.clearance.assessment import AssessedConsignment
from clearway.clearance.link_view import LinkDocument
from clearway.clearance.linking import LinkResult
from clearway.clearance.model import (
    ConsignmentState,
    HistoryEntry,
    StepResult,
    StoredConsignment,
    StoredDocument,
)
from clearway.clearance.notices import Notice, Subscribers
from clearway.dataset.records import DocumentKind
from clearway.revenue.model import PriorUsage
from clearway.risk.lanes import RiskResult


class ClearanceStore(Protocol):
    def consignments_by_reference(self, operator_id: str, references: Collection[str]) -> dict[str, StoredConsignment]:
        """The operator's consignments with these references (for idempotency)."""

    def consignments_by_id(self, ids: Collection[str], *, lock: bool = False) -> dict[str, StoredConsignment]:
        """The consignments with these ids; ``lock``: held for update until the transaction ends
        (PostgreSQL), so that a change committed meanwhile by another process is read, not undone."""

    def lock_orders(self, orders: Collection[tuple[str, str]]) -> bool:
        """Hold these (order number, declarant) pairs until the transaction ends, so that another
        process deciding a parcel of one of them waits for this one's commit (store/order_locks.py).
        True if a control committed since the documents were read may be missed: PostgreSQL. False
        where one process writes (SQLite): what was read is current."""

    def controlled_by_order(self, order_numbers: Collection[str]) -> dict[str, list[tuple[str, str]]]:
        """Per order number, the (id, operator id) of consignments under customs control."""

    def documents_by_number(self, kind: DocumentKind, numbers: Collection[str]) -> dict[str, list[StoredDocument]]:
        """Every document of a kind under each number (order number, payment id, waybill), from
        every sender, oldest first."""

    def payments_by_order(self, order_numbers: Collection[str]) -> dict[str, list[StoredDocument]]:
        """Every payment for each order number, oldest first, for declarations naming no payment id."""

    def link_views_by_number(self, kind: DocumentKind, numbers: Collection[str]) -> dict[str, list[LinkDocument]]:
        """As documents_by_number, each document as linking reads it: its link view, no body decoded."""

    def payment_views_by_order(self, order_numbers: Collection[str]) -> dict[str, list[LinkDocument]]:
        """As payments_by_order, as linking reads them."""

    def declarations_by_transport_document(self, numbers: Collection[str]) -> dict[str, set[str]]:
        """The ids of the consignments, not cancelled, that declare each transport document."""

    def operator_kinds(self, operator_ids: Collection[str]) -> dict[str, str]:
        """The registered kind of each operator (unregistered ones are left out)."""

    def own_documents(
        self, kind: DocumentKind, operator_id: str, numbers: Collection[str]
    ) -> dict[str, StoredDocument]:
        """The operator's own documents with these numbers (for idempotency)."""

    def awaiting_by_keys(
        self, kind: DocumentKind, keys: Collection[str], *, skip_locked: bool = False
    ) -> list[StoredConsignment]:
        """Consignments awaiting documents whose link key for ``kind`` is one of ``keys``, locked
        (``skip_locked``: those another transaction holds left out, instead of waited for)."""

    def documents_present(self, keys: Mapping[DocumentKind, Collection[str]]) -> dict[DocumentKind, set[str]]:
        """Of ``keys``, those some stored document of that kind is found by (a payment by its id or
        its order number), whoever sent it: a narrow check, nothing decoded."""
        ...

    def last_links(self, consignment_ids: Collection[str]) -> dict[str, LinkResult]:
        """Each consignment's latest link result, as the pipeline recorded it."""

    def overdue(self, now: dt.datetime, limit: int) -> list[StoredConsignment]:
        """Consignments still awaiting documents whose deadline has passed."""

    def insert_consignments(self, rows: Sequence[StoredConsignment]) -> None:
        """New consignments, each with its first version."""

    def insert_version(self, row: StoredConsignment) -> None:
        """A new version of an existing consignment (an amendment); earlier versions stay."""

    def insert_documents(self, rows: Sequence[StoredDocument]) -> None: ...

    def update_states(self, states: Sequence[tuple[str, ConsignmentState]]) -> None: ...

    def append_history(self, entries: Sequence[HistoryEntry]) -> None: ...

    def append_results(self, results: Sequence[StepResult]) -> None: ...

    def append_audit(self, events: Sequence[AuditEvent]) -> None:
        """Chain events onto the tamper-evident audit log (clearway.audit.chain)."""

    def append_assessments(self, rows: Sequence[AssessedConsignment]) -> None:
        """Store each assessment with its date and parameter versions, and charge per-person limits."""

    def person_usage(
        self, keys: Collection[str], now: dt.datetime, exclude: Collection[str] = ()
    ) -> dict[str, PriorUsage]:
        """What each buyer (by ledger key) imported on ``now``'s day and calendar year: refunded,
        cancelled, seized and returned consignments left out, and so are the ``exclude`` ones (the
        consignments being assessed again, whose earlier charge their new assessment replaces)."""

    def append_risk_results(self, rows: Sequence[tuple[str, int, str, dt.datetime, RiskResult]]) -> None:
        """Store each (consignment id, version, operator id, time, risk result) with the rules it hit."""

    def buyer_day_usage(
        self, keys: Collection[str], day: dt.date, exclude: Collection[str] = ()
    ) -> dict[tuple[str, str], tuple[int, float]]:
        """Per (buyer key, ISO day): consignments already assessed that day and their value in euro."""

    def webhook_subscribers(self, operator_ids: Collection[str]) -> Subscribers:
        """Per operator (of those that have any), its live webhook subscriptions with the event types
        each wants: one indexed lookup for a whole batch."""

    def messages_answering(self, consignment_ids: Collection[str]) -> list[tuple[str, str, str]]:
        """(message id, standard, sender) of the kept messages that carried these declarations and
        whose family answers them: their answers change with the declarations' states."""

    def append_notices(self, notices: Sequence[Notice]) -> None:
        """Write events to the webhook outbox, one delivery per subscription each names, in this
        transaction: they are sent after it commits, and only if it does."""
