"""The link view of a document: exactly what three-document matching reads of it (clearance.linking).

Linking compares a declaration with a few values of each document: currencies, amounts, the order's
lines by item, the waybill's weight and packages, and whether names are the same. The view holds
those values and nothing else, so the bulk path reads a narrow column beside each document's body
(store.link_view_repo) instead of decoding the body (docs/adr/0006-columnar-bulk-path.md, step 2).
The record path builds the same view from the record (``view_of``), so both paths compare the same
values with the same code.

Names are held as digests of their normalised form: linking only asks whether two names are the
same, and the view then holds no name in clear beside the body that retention anonymises.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal

import msgspec

from clearway.dataset.records import Document, DocumentKind, Order, Payment


def normalised_name(name: str) -> str:
    return " ".join(name.casefold().split())


def name_digest(name: str) -> str:
    """What the view keeps of a name: equal for names equal once normalised (clearance.linking)."""
    return hashlib.blake2b(normalised_name(name).encode(), digest_size=16).hexdigest()


def item_key(sku: str | None, description: str) -> str:
    """An order line and a declared item are the same goods by their SKU, else by their description."""
    return sku if sku else normalised_name(description)


# array_like: the stored view is a short JSON array, the field names are not repeated in every row.
class OrderLineView(msgspec.Struct, frozen=True, array_like=True):
    """The order's lines of one item key: quantities summed; the price of the last such line."""

    key: str
    quantity: Decimal
    unit_price: Decimal


class OrderView(msgspec.Struct, frozen=True, array_like=True, tag="order"):
    currency: str
    total: Decimal
    buyer: str  # name_digest
    lines: list[OrderLineView]
    # The transaction and provider the order says paid it (clearance.documents): which payment and
    # which provider's payments a declaration naming neither links.
    payment_id: str | None
    paid_through: str | None


class PaymentView(msgspec.Struct, frozen=True, array_like=True, tag="payment"):
    order_number: str
    currency: str
    amount: Decimal
    payer: str  # name_digest
    authenticated: bool


class WaybillView(msgspec.Struct, frozen=True, array_like=True, tag="waybill"):
    destination_country: str
    packages: int
    gross_weight_kg: Decimal
    consignee: str  # name_digest


DocumentView = OrderView | PaymentView | WaybillView

_ENCODER = msgspec.json.Encoder(decimal_format="string")
_DECODER = msgspec.json.Decoder(DocumentView)


_ZERO = Decimal(0)


def _order_lines(order: Order) -> list[OrderLineView]:
    # The same sums and choice of price linking made from the lines themselves: Decimal(0) plus
    # each quantity in line order (the sum keeps that exponent), the last line's price, the keys in
    # the order they first come.
    found: dict[str, OrderLineView] = {}
    for line in order.lines:
        key = line.sku or normalised_name(line.description)
        prior = found.get(key)
        quantity = (prior.quantity if prior is not None else _ZERO) + line.quantity
        found[key] = OrderLineView(key, quantity, line.unit_price)
    return list(found.values())


def view_of(record: Document) -> DocumentView:
    if isinstance(record, Order):
        provider = record.payment_provider
        return OrderView(
            currency=record.currency,
            total=record.total,
            buyer=name_digest(record.buyer.name),
            lines=_order_lines(record),
            payment_id=record.payment_id,
            paid_through=(provider.operator_id or None) if provider is not None else None,
        )
    if isinstance(record, Payment):
        return PaymentView(
            order_number=record.order_number,
            currency=record.currency,
            amount=record.amount,
            payer=name_digest(record.payer.name),
            authenticated=record.payer.authenticated,
        )
    return WaybillView(
        destination_country=record.destination_country,
        packages=record.packages,
        gross_weight_kg=record.gross_weight_kg,
        consignee=name_digest(record.consignee.name),
    )


def encode_view(view: DocumentView) -> str:
    return _ENCODER.encode(view).decode()


def decode_view(text: str | bytes) -> DocumentView:
    view: DocumentView = _DECODER.decode(text)
    return view


class LinkDocument(msgspec.Struct, kw_only=True, frozen=True):
    """A stored document as linking sees it: who sent it, when, under which number, and its view.

    The same attributes as clearance.model.StoredDocument but the record, so that choosing among a
    number's documents (clearance.documents, clearance.senders) works on either."""

    id: str
    kind: DocumentKind
    operator_id: str
    number: str
    body_hash: str
    received_at: dt.datetime
    view: DocumentView
    sender_kind: str | None = None
