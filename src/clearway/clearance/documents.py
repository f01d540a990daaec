"""Fetch, in a few batched queries, the documents a batch of declarations refers to, and choose for
each declaration the ones its named senders (or its declarant) sent (clearance.senders).

Linking reads the documents' link views only (``link_views_for``: narrow columns, no body decoded;
clearance.link_view); an officer's dossier reads the documents whole (``documents_for``). Both
choose among a number's documents with the same code, from the same columns.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from typing import Generic, Protocol, TypeVar

from clearway.clearance.link_view import DocumentView, LinkDocument, OrderView, PaymentView, WaybillView
from clearway.clearance.linking import LinkReason
from clearway.clearance.model import StoredConsignment, StoredDocument
from clearway.clearance.senders import Source, source_of
from clearway.clearance.store import ClearanceStore
from clearway.dataset.records import Consignment, DocumentKind


class _Stored(Protocol):
    """What choosing among a number's documents reads: a StoredDocument or a LinkDocument."""

    @property
    def id(self) -> str: ...
    @property
    def operator_id(self) -> str: ...
    @property
    def number(self) -> str: ...
    @property
    def body_hash(self) -> str: ...
    @property
    def received_at(self) -> dt.datetime: ...
    @property
    def sender_kind(self) -> str | None: ...
    @property
    def view(self) -> DocumentView: ...


D = TypeVar("D", bound=_Stored)


@dataclass(frozen=True)
class Chosen(Generic[D]):
    """The document of one kind a declaration links to, and what else came under its number."""

    document: D | None
    source: Source | None
    # Entitled documents that disagree with the chosen one (the declarant's own and the named
    # sender's, say): kept, and shown to officers as a conflict.
    conflicting: tuple[D, ...] = ()
    # Documents under the same number from senders the declaration does not name: never linked,
    # never shown to the declarant, listed for officers.
    others: tuple[D, ...] = ()


@dataclass(frozen=True)
class Linkable(Generic[D]):
    """What one declaration links to: documents by kind, with how their sources count."""

    order: OrderView | None
    payment: PaymentView | None
    waybill: WaybillView | None
    chosen: dict[DocumentKind, Chosen[D]]
    reasons: list[LinkReason] = field(default_factory=list)

    @property
    def self_supplied(self) -> list[DocumentKind]:
        return [kind for kind, c in self.chosen.items() if c.source == "self_supplied"]


_PREFERENCE: dict[Source, int] = {"independent": 0, "self_supplied": 1}


def _choose(
    c: Consignment,
    declarant: str,
    kind: DocumentKind,
    candidates: Sequence[D],
    also_named: Collection[str] = (),
) -> Chosen[D]:
    entitled: list[tuple[int, D, Source]] = []
    others: list[D] = []
    for doc in candidates:
        source = source_of(c, declarant, kind, doc.operator_id, doc.sender_kind, also_named)
        if source is None:
            others.append(doc)
        else:
            entitled.append((_PREFERENCE[source], doc, source))
    if not entitled:
        return Chosen(document=None, source=None, others=tuple(others))
    # An independent source first; among equals the earliest, so that nothing sent later replaces it.
    entitled.sort(key=lambda e: (e[0], e[1].received_at, e[1].id))
    _, doc, source = entitled[0]
    conflicting = tuple(d for _, d, _ in entitled[1:] if d.body_hash != doc.body_hash)
    return Chosen(document=doc, source=source, conflicting=conflicting, others=tuple(others))


def _paid_through(c: Consignment, declarant: str, order: Chosen[D]) -> frozenset[str]:
    """The payment provider the linked order names, when the declaration names none: China's
    inventory list (CEB621) carries no payment enterprise, which its order (CEB311) does. Only an
    order from an independent source that is not the declarant itself may name it: a platform that
    declares its own orders must name the payment provider in the declaration, as before."""
    if c.parties.payment_provider is not None or order.source != "independent" or order.document is None:
        return frozenset()
    if order.document.operator_id == declarant:
        return frozenset()
    view = order.document.view
    provider = view.paid_through if isinstance(view, OrderView) else None
    return frozenset({provider}) if provider else frozenset()


@dataclass(frozen=True)
class DocumentSet(Generic[D]):
    """Every stored document under the numbers a batch of declarations names, from all senders."""

    orders: dict[str, list[D]]
    payments: dict[str, list[D]]
    payments_by_order: dict[str, list[D]]
    waybills: dict[str, list[D]]
    # The live (not cancelled) declarations of each transport document, the batch's own included:
    # one parcel, one declaration.
    declarations: dict[str, list[StoredConsignment]] = field(default_factory=dict)
    # Per order number, the consignments under customs control and their declarants: another
    # parcel of that order from the same declarant is not released on its own say-so.
    controlled_orders: dict[str, list[tuple[str, str]]] = field(default_factory=dict)

    def note_controlled(self, order_number: str, consignment_id: str, declarant: str) -> None:
        """A declaration of this batch was put under control: the batch's later declarations of the
        order see it (clearance.pipeline.advance). The set is the batch's own, read fresh each time."""
        self.controlled_orders.setdefault(order_number, []).append((consignment_id, declarant))

    def see_controls(self, found: dict[str, list[tuple[str, str]]]) -> set[str]:
        """Controls read again once the batch's orders are locked (clearance.pipeline.advance),
        added to those known; the order numbers that gained one (committed meanwhile elsewhere)."""
        gained: set[str] = set()
        for number, controls in found.items():
            known = self.controlled_orders.setdefault(number, [])
            for control in controls:
                if control not in known:
                    known.append(control)
                    gained.add(number)
        return gained

    def _candidates(self, c: Consignment, kind: DocumentKind) -> list[D]:
        t = c.transaction
        if kind == "order":
            return self.orders.get(t.order_number, [])
        if kind == "payment":
            if t.payment_id:
                return self.payments.get(t.payment_id, [])
            return self.payments_by_order.get(t.order_number, [])
        return self.waybills.get(c.logistics.transport_document, [])

    def _payments(self, c: Consignment, order: Chosen[D]) -> list[D]:
        """The payment candidates; when the declaration names no payment id but its order does, only
        the payment under that id (the order says which transaction paid it)."""
        candidates = self._candidates(c, "payment")
        view = order.document.view if order.document is not None else None
        paid_with = view.payment_id if isinstance(view, OrderView) and not c.transaction.payment_id else None
        if paid_with is None:
            return candidates
        return [doc for doc in candidates if doc.number == paid_with]

    def chosen(self, c: Consignment, declarant: str) -> dict[DocumentKind, Chosen[D]]:
        order = _choose(c, declarant, "order", self._candidates(c, "order"))
        return {
            "order": order,
            "payment": _choose(c, declarant, "payment", self._payments(c, order), _paid_through(c, declarant, order)),
            "waybill": _choose(c, declarant, "waybill", self._candidates(c, "waybill")),
        }

    def linkable(self, row: StoredConsignment) -> Linkable[D]:
        c = row.record
        chosen = self.chosen(c, row.operator_id)
        reasons: list[LinkReason] = []
        for kind, pick in chosen.items():
            if pick.conflicting:
                reasons.append(
                    LinkReason(
                        code="conflicting_documents",
                        document=kind,
                        message=f"{len(pick.conflicting) + 1} different {kind}s under this number from the "
                        "operators the declaration names",
                    )
                )
        twins = self._earlier_twins(row, chosen["waybill"].document)
        if twins:
            reasons.append(
                LinkReason(
                    code="declared_twice",
                    document="waybill",
                    message=f"the waybill is linked to {twins} earlier declaration(s)",
                )
            )
        controlled = self.controlled_orders.get(c.transaction.order_number, [])
        # The same declarant only: another operator naming the order number cannot hold this one.
        if any(cid != row.id and operator == row.operator_id for cid, operator in controlled):
            reasons.append(
                LinkReason(
                    code="order_under_control",
                    document="order",
                    message="another consignment of this order is under customs control",
                )
            )

        def view(kind: DocumentKind) -> DocumentView | None:
            doc = chosen[kind].document
            return doc.view if doc is not None else None

        order, payment, waybill = view("order"), view("payment"), view("waybill")
        return Linkable(
            order=order if isinstance(order, OrderView) else None,
            payment=payment if isinstance(payment, PaymentView) else None,
            waybill=waybill if isinstance(waybill, WaybillView) else None,
            chosen=chosen,
            reasons=reasons,
        )

    def _earlier_twins(self, row: StoredConsignment, waybill: D | None) -> int:
        """How many earlier declarations link the very waybill this one links.

        Only declarations entitled to the same waybill document count, so that naming someone
        else's transport document (without its carrier) cannot hold their parcel; and only earlier
        ones, so that a copy never holds the original.
        """
        if waybill is None:
            return 0
        count = 0
        for other in self.declarations.get(row.record.logistics.transport_document, []):
            if other.id == row.id or (other.received_at, other.id) > (row.received_at, row.id):
                continue
            theirs = _choose(other.record, other.operator_id, "waybill", self._candidates(other.record, "waybill"))
            if theirs.document is not None and theirs.document.id == waybill.id:
                count += 1
        return count

    def for_dossier(self, c: Consignment, declarant: str) -> tuple[dict[str, D], list[tuple[D, str]]]:
        """The linked documents by kind, and the others under the same numbers with why they are
        not linked ('conflicting' with the linked one, or 'sender_not_named'): for officers."""
        chosen = self.chosen(c, declarant)
        linked: dict[str, D] = {k: pick.document for k, pick in chosen.items() if pick.document}
        others = [(doc, "conflicting") for pick in chosen.values() for doc in pick.conflicting]
        others += [(doc, "sender_not_named") for pick in chosen.values() for doc in pick.others]
        return linked, others


def documents_for(store: ClearanceStore, rows: Sequence[StoredConsignment]) -> DocumentSet[StoredDocument]:
    """The documents whole, bodies decoded: for an officer's dossier."""
    return _gather(store, rows, store.documents_by_number, store.payments_by_order)


def link_views_for(store: ClearanceStore, rows: Sequence[StoredConsignment]) -> DocumentSet[LinkDocument]:
    """The documents as linking reads them: their link views, in one narrow query per kind and
    chunk of keys, no body decoded (the bulk path's link_view stage, and single submissions)."""
    return _gather(store, rows, store.link_views_by_number, store.payment_views_by_order)


def _gather(
    store: ClearanceStore,
    rows: Sequence[StoredConsignment],
    by_number: Callable[[DocumentKind, Collection[str]], dict[str, list[D]]],
    by_order: Callable[[Collection[str]], dict[str, list[D]]],
) -> DocumentSet[D]:
    if not rows:
        return DocumentSet({}, {}, {}, {})
    consignments = [r.record for r in rows]
    order_numbers = {c.transaction.order_number for c in consignments}
    payment_ids = {c.transaction.payment_id for c in consignments if c.transaction.payment_id}
    unpaid_orders = {c.transaction.order_number for c in consignments if not c.transaction.payment_id}
    transport = {c.logistics.transport_document for c in consignments}
    declarations: dict[str, list[StoredConsignment]] = {}
    for r in rows:
        declarations.setdefault(r.record.logistics.transport_document, []).append(r)
    # Other declarations of the same transport documents, read whole: rare (a parcel is declared
    # once), so this costs one query per batch and only reads rows where numbers collide.
    mine = {r.id for r in rows}
    stored = store.declarations_by_transport_document(transport)
    others = {cid for ids in stored.values() for cid in ids if cid not in mine}
    for other in store.consignments_by_id(others).values() if others else ():
        declarations.setdefault(other.record.logistics.transport_document, []).append(other)
    return DocumentSet(
        orders=by_number("order", order_numbers),
        payments=by_number("payment", payment_ids) if payment_ids else {},
        payments_by_order=by_order(unpaid_orders) if unpaid_orders else {},
        waybills=by_number("waybill", transport),
        declarations=declarations,
        controlled_orders=store.controlled_by_order(order_numbers),
    )
