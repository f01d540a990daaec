"""Three-document matching: the declaration against the order, the payment and the waybill.

Orders come from the platform, payments from the payment provider and waybills from the carrier, in
any order and at any time (China's "three-document matching"; the Section 321 data pilot). A
consignment is linked by its order number, payment id and transport document; when all the
documents its flow requires are in, they are checked against each other and every disagreement is
recorded as a reason with a stable code, the document it concerns and a sentence for people.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

import msgspec

from clearway.clearance.link_view import (
    DocumentView,
    OrderView,
    PaymentView,
    WaybillView,
    item_key,
    name_digest,
    view_of,
)
from clearway.dataset.identifiers import currency_quantum
from clearway.dataset.records import Consignment, Document, DocumentKind, Order, Payment, Waybill

LinkStatus = Literal["linked", "incomplete", "mismatch"]

# Gross weight measured by the carrier and declared by the seller differ by packaging and scale
# rounding; beyond this share it is a different parcel.
WEIGHT_TOLERANCE = Decimal("0.10")


class LinkReason(msgspec.Struct, frozen=True, kw_only=True):
    code: str
    document: DocumentKind
    message: str


class LinkResult(msgspec.Struct, frozen=True, kw_only=True):
    status: LinkStatus
    required: list[DocumentKind]
    missing: list[DocumentKind]
    reasons: list[LinkReason]
    # Documents the declarant supplied itself rather than their own source (clearance.senders):
    # linked, but not independent evidence; officers see the flag.
    self_supplied: list[DocumentKind] = msgspec.field(default_factory=list)


def required_documents(c: Consignment) -> list[DocumentKind]:
    """The documents a flow needs: a sale has an order and a payment; every parcel has a waybill.

    Gifts between individuals, samples, returns and documents are not bought online, so there is
    no order to match; but a declaration that names a payment id must have that payment (a "gift"
    that was paid for is exactly what the payment record should show).
    """
    if c.flags.nature == "sale":
        return ["order", "payment", "waybill"]
    if c.transaction.payment_id:
        return ["payment", "waybill"]
    return ["waybill"]


def payment_key(c: Consignment) -> str:
    """Payments are linked by payment id when the declaration names one, else by order number."""
    return c.transaction.payment_id or c.transaction.order_number


def _same_amount(a: Decimal, b: Decimal, currency: str) -> bool:
    quantum = currency_quantum(currency)
    return a.quantize(quantum, ROUND_HALF_UP) == b.quantize(quantum, ROUND_HALF_UP)


def _check_order(c: Consignment, order: OrderView, buyer: str) -> list[LinkReason]:
    reasons: list[LinkReason] = []
    t = c.transaction

    def add(code: str, message: str) -> None:
        reasons.append(LinkReason(code=code, document="order", message=message))

    if order.currency != t.currency:
        add("currency_mismatch", f"the order is in {order.currency}, the declaration in {t.currency}")
        return reasons
    if order.buyer != buyer:
        # No names in the reason: it is stored and shown where personal data may not go.
        add("buyer_mismatch", "the order's buyer is not the declared buyer")
    # The order's lines by item key (clearance.link_view): the quantity ordered, the unit price.
    ordered = {line.key: line for line in order.lines}
    shipped_qty: dict[str, Decimal] = defaultdict(Decimal)
    expected_value = Decimal(0)
    for item in c.items:
        key = item_key(item.sku, item.description)
        shipped_qty[key] += item.quantity
        line = ordered.get(key)
        if line is None:
            add("item_not_in_order", f"item line {item.line} ('{item.description}') is not on the order")
            continue
        expected_value += line.unit_price * item.quantity
        if not _same_amount(item.unit_price, line.unit_price, t.currency):
            add(
                "unit_price_mismatch",
                f"item line {item.line} is declared at {item.unit_price} {t.currency} a unit, "
                f"the order says {line.unit_price}",
            )
    for key, qty in shipped_qty.items():
        if key in ordered and qty > ordered[key].quantity:
            add("quantity_exceeds_order", f"{qty} of '{key}' declared, only {ordered[key].quantity} ordered")
    # A split shipment carries part of an order: its value is what its items cost on the order.
    if not reasons and not _same_amount(t.goods_value, expected_value, t.currency):
        add(
            "value_mismatch",
            f"declared goods value {t.goods_value} {t.currency} differs from {expected_value} "
            "on the order for the declared items",
        )
    return reasons


def _check_payment(c: Consignment, payment: PaymentView, order: OrderView | None, buyer: str) -> list[LinkReason]:
    reasons: list[LinkReason] = []
    t = c.transaction

    def add(code: str, message: str) -> None:
        reasons.append(LinkReason(code=code, document="payment", message=message))

    if payment.order_number != t.order_number:
        add(
            "payment_for_other_order",
            f"the payment is for order {payment.order_number}, not {t.order_number}",
        )
    if payment.currency != t.currency:
        add("currency_mismatch", f"the payment is in {payment.currency}, the declaration in {t.currency}")
        return reasons
    # The payment settles the whole order; without the order we can only compare with what the
    # declaration says was paid.
    if order is not None:
        expected, source = order.total, "the order total"
    else:
        expected, source = t.amount_paid, "the declared amount paid"
    if not _same_amount(payment.amount, expected, t.currency):
        add("payment_amount_mismatch", f"paid {payment.amount} {payment.currency}, {source} is {expected}")
    if not payment.authenticated and payment.payer != (order.buyer if order is not None else buyer):
        add("payer_not_buyer", "the payer is not the buyer and was not authenticated")
    return reasons


def _check_waybill(c: Consignment, waybill: WaybillView, buyer: str) -> list[LinkReason]:
    reasons: list[LinkReason] = []

    def add(code: str, message: str) -> None:
        reasons.append(LinkReason(code=code, document="waybill", message=message))

    if waybill.destination_country != c.destination_country:
        add(
            "destination_mismatch",
            f"the waybill goes to {waybill.destination_country}, the declaration to {c.destination_country}",
        )
    if waybill.packages != c.logistics.packages:
        add(
            "packages_mismatch",
            f"{waybill.packages} packages on the waybill, {c.logistics.packages} declared",
        )
    declared = c.logistics.gross_weight_kg
    if abs(waybill.gross_weight_kg - declared) > declared * WEIGHT_TOLERANCE:
        add(
            "weight_mismatch",
            f"the carrier weighed {waybill.gross_weight_kg} kg, {declared} kg declared (tolerance 10%)",
        )
    consignee = buyer if c.parties.consignee is None else name_digest(c.parties.consignee.name)
    if waybill.consignee != consignee:
        add("consignee_mismatch", "the waybill's consignee is not the declared one")
    return reasons


_VIEWS = (OrderView, PaymentView, WaybillView)


def _view(record: Document | DocumentView | None) -> DocumentView | None:
    return record if record is None or isinstance(record, _VIEWS) else view_of(record)


def link(
    c: Consignment,
    order: Order | OrderView | None,
    payment: Payment | PaymentView | None,
    waybill: Waybill | WaybillView | None,
    *,
    sources: Sequence[LinkReason] = (),
    self_supplied: Sequence[DocumentKind] = (),
) -> LinkResult:
    """Match a declaration with whichever of its documents have arrived: their records, or their
    link views (clearance.link_view; a record is compared through its view).

    ``sources`` are findings about where the documents came from (conflicting senders, a transport
    document declared twice: clearance.documents); ``self_supplied`` the kinds the declarant sent.
    """
    required = required_documents(c)
    o, p, w = _view(order), _view(payment), _view(waybill)
    present = {"order": o, "payment": p, "waybill": w}
    missing: list[DocumentKind] = [kind for kind in required if present[kind] is None]
    reasons: list[LinkReason] = list(sources)
    # The declared buyer's name as the views hold names (clearance.link_view), made once.
    buyer = name_digest(c.parties.buyer.name) if o is not None or p is not None or w is not None else ""
    if isinstance(o, OrderView) and "order" in required:
        reasons += _check_order(c, o, buyer)
    if isinstance(p, PaymentView) and "payment" in required:
        reasons += _check_payment(c, p, o if isinstance(o, OrderView) else None, buyer)
    if isinstance(w, WaybillView):
        reasons += _check_waybill(c, w, buyer)
    # An incomplete set waits for the rest even when what has arrived disagrees: the officer should
    # see the whole picture, and the documents' deadline bounds the wait.
    status: LinkStatus = "incomplete" if missing else ("mismatch" if reasons else "linked")
    supplied = [kind for kind in self_supplied if kind in required]
    return LinkResult(status=status, required=required, missing=missing, reasons=reasons, self_supplied=supplied)
