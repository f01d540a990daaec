"""Fetch, in three or four batched queries, the documents a batch of declarations refers to."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from clearway.clearance.model import StoredDocument
from clearway.clearance.store import ClearanceStore
from clearway.dataset.records import Consignment, Order, Payment, Waybill


@dataclass(frozen=True)
class DocumentSet:
    orders: dict[str, StoredDocument]
    payments: dict[str, StoredDocument]
    payments_by_order: dict[str, StoredDocument]
    waybills: dict[str, StoredDocument]

    def _order_doc(self, c: Consignment) -> StoredDocument | None:
        return self.orders.get(c.transaction.order_number)

    def _payment_doc(self, c: Consignment) -> StoredDocument | None:
        t = c.transaction
        return self.payments.get(t.payment_id) if t.payment_id else self.payments_by_order.get(t.order_number)

    def _waybill_doc(self, c: Consignment) -> StoredDocument | None:
        return self.waybills.get(c.logistics.transport_document)

    def order(self, c: Consignment) -> Order | None:
        doc = self._order_doc(c)
        return doc.record if doc is not None and isinstance(doc.record, Order) else None

    def payment(self, c: Consignment) -> Payment | None:
        doc = self._payment_doc(c)
        return doc.record if doc is not None and isinstance(doc.record, Payment) else None

    def waybill(self, c: Consignment) -> Waybill | None:
        doc = self._waybill_doc(c)
        return doc.record if doc is not None and isinstance(doc.record, Waybill) else None

    def stored(self, c: Consignment) -> dict[str, StoredDocument]:
        """The stored documents (with their ids and senders) linked to one declaration."""
        found = {"order": self._order_doc(c), "payment": self._payment_doc(c), "waybill": self._waybill_doc(c)}
        return {kind: doc for kind, doc in found.items() if doc is not None}


def documents_for(store: ClearanceStore, consignments: Sequence[Consignment]) -> DocumentSet:
    if not consignments:
        return DocumentSet({}, {}, {}, {})
    order_numbers = {c.transaction.order_number for c in consignments}
    payment_ids = {c.transaction.payment_id for c in consignments if c.transaction.payment_id}
    unpaid_orders = {c.transaction.order_number for c in consignments if not c.transaction.payment_id}
    return DocumentSet(
        orders=store.documents_by_number("order", order_numbers),
        payments=store.documents_by_number("payment", payment_ids) if payment_ids else {},
        payments_by_order=store.payments_by_order(unpaid_orders) if unpaid_orders else {},
        waybills=store.documents_by_number("waybill", {c.logistics.transport_document for c in consignments}),
    )
