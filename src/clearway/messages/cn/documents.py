"""CEB311 (order), CEB411 (payment) and CEB511 (waybill) blocks as canonical Order, Payment, Waybill.

Each function reads one block's head (and lines) and returns the canonical JSON object, recording
where each field came from; docs/messages.md has the mapping table and says what is not mapped and
why. The parties' ``operator_id`` is the sender's customs registration code (ebpCode, ebcCode,
payCode, logisticsCode), the same code the CEB621 inventory names them by, so that the documents
link to the declaration through ``clearance.senders`` as their JSON twins do.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from clearway.messages.cn import codes
from clearway.messages.cn.read import (
    Fields,
    amount,
    china_time,
    decimal,
    declaration,
    integer,
    present,
    same_amount,
)

# The parties the messages name are registered with China's customs and the buyers are identified by
# a PRC resident identity card: the messages carry no country for them, and CN is where they are.
CHINA = "CN"


def party(head: Fields, pointer: str, name: str, code: str) -> dict[str, Any]:
    """An enterprise named by its registered name and its customs registration code."""
    head.block.origins[pointer] = head.path
    return present(
        name=head.text(name, f"{pointer}/name"),
        country=CHINA,
        operator_id=head.text(code, f"{pointer}/operator_id"),
    )


def buyer(head: Fields, pointer: str) -> dict[str, Any]:
    head.block.origins[pointer] = head.path
    return present(
        name=head.text("buyerName", f"{pointer}/name"),
        country=CHINA,
        phone=head.text("buyerTelephone", f"{pointer}/phone"),
        id_type=head.value("buyerIdType", f"{pointer}/id_type", codes.id_type),
        id_number=head.text("buyerIdNumber", f"{pointer}/id_number"),
    )


def line_total(line: Fields, pointer: str, quantity: Decimal | None, price: Decimal | None) -> Decimal | None:
    """The line's totalPrice, which must be qty x price (to the fen): the canonical line has no total
    of its own, so a total that disagreed would otherwise be dropped unnoticed."""
    total = line.value("totalPrice", "", decimal)
    if total is not None and quantity is not None and price is not None and not same_amount(total, quantity * price):
        line.block.error(
            line.where("totalPrice"),
            f"totalPrice {total} is not qty x price ({quantity} x {price} = {quantity * price})",
            pointer,
        )
    return total


def order(head: Fields, lines: list[Fields]) -> dict[str, Any]:
    """CEB311 Order -> canonical Order. The discount (non-cash payment) has no canonical field: the
    total is what was paid, and acturalPaid = goodsValue + freight + taxTotal - discount is checked."""
    order_date = declaration(head, "/order_date")
    head.expect("orderType", "I", "the CEB311 is an import order (I)")
    record_lines = []
    for index, line in enumerate(lines):
        at = f"/lines/{index}"
        line.block.origins[at] = line.path
        quantity = line.value("qty", f"{at}/quantity", decimal)
        price = line.value("price", f"{at}/unit_price", decimal)
        line_total(line, at, quantity, price)
        line.value("currency", "", codes.currency)
        record_lines.append(
            present(
                description=line.text("itemName", f"{at}/description"),
                quantity=amount(quantity),
                unit_price=amount(price),
                sku=line.text("itemNo", f"{at}/sku", required=False),
            )
        )
    goods = head.value("goodsValue", "/goods_value", decimal)
    freight = head.value("freight", "/shipping", decimal)
    discount = head.value("discount", "", decimal)
    tax = head.value("taxTotal", "/taxes_collected", decimal)
    paid = head.value("acturalPaid", "/total", decimal)
    if goods is not None and freight is not None and discount is not None and tax is not None and paid is not None:
        expected = goods + freight + tax - discount
        if not same_amount(paid, expected):
            head.block.error(
                head.where("acturalPaid"),
                f"acturalPaid {paid} is not goodsValue + freight + taxTotal - discount"
                f" ({goods} + {freight} + {tax} - {discount} = {expected})",
                "/total",
            )
    head.block.origins["/lines"] = head.block.path
    return present(
        order_number=head.text("orderNo", "/order_number"),
        order_date=order_date,
        currency=head.value("currency", "/currency", codes.currency),
        seller=party(head, "/seller", "ebcName", "ebcCode"),
        buyer=buyer(head, "/buyer"),
        platform=party(head, "/platform", "ebpName", "ebpCode"),
        lines=record_lines,
        goods_value=amount(goods),
        total=amount(paid),
        shipping=amount(freight),
        taxes_collected=amount(tax),
        payment_provider=_paid_to(head),
        payment_id=head.text("payTransactionId", "/payment_id", required=False),
    )


def _paid_to(head: Fields) -> dict[str, Any] | None:
    """The payment enterprise (payCode, payName, optional in the CEB311): the one whose CEB411 the
    declaration links, since the CEB621 names none (clearance.documents)."""
    code = head.text("payCode", "/payment_provider/operator_id", required=False)
    if code is None:
        return None
    head.block.origins["/payment_provider"] = head.path
    name = head.text("payName", "/payment_provider/name", required=False)
    return present(name=name or code, country=CHINA, operator_id=code)


def payment(head: Fields, lines: list[Fields]) -> dict[str, Any]:
    """CEB411 Payment -> canonical Payment."""
    declaration(head, "")
    head.value("payerIdType", "", codes.id_type)
    head.block.origins["/payer"] = head.path
    return present(
        payment_id=head.text("payTransactionId", "/payment_id"),
        order_number=head.text("orderNo", "/order_number"),
        provider=head.text("payName", "/provider"),
        payer=present(name=head.text("payerName", "/payer/name")),
        amount=amount(head.value("amountPaid", "/amount", decimal)),
        currency=head.value("currency", "/currency", codes.currency),
        paid_at=head.value("payTime", "/paid_at", china_time),
    )


# The CEB511 names neither where the parcel comes from nor how it travels, and the canonical waybill
# needs both. Clearway records CN and road: right for a bonded import (1210, the most common, where
# the parcel leaves the bonded zone by road), not for the cross-border leg of a direct purchase
# (9610), which only the inventory's trafMode states. Linking compares neither (docs/messages.md).
WAYBILL_ORIGIN = CHINA
WAYBILL_TRANSPORT_MODE = "road"


def waybill(head: Fields, lines: list[Fields]) -> dict[str, Any]:
    """CEB511 Logistics -> canonical Waybill."""
    declaration(head, "")
    head.value("currency", "", codes.currency)
    head.value("freight", "", decimal, required=False)
    head.value("insuredFee", "", decimal, required=False)
    head.block.origins["/consignee"] = head.path
    return present(
        transport_document=head.text("logisticsNo", "/transport_document"),
        carrier=head.text("logisticsName", "/carrier"),
        consignee=present(
            name=head.text("consignee", "/consignee/name"),
            country=CHINA,
            phone=head.text("consigneeTelephone", "/consignee/phone"),
        ),
        origin_country=WAYBILL_ORIGIN,
        destination_country=CHINA,
        packages=head.value("packNo", "/packages", integer),
        gross_weight_kg=amount(head.value("weight", "/gross_weight_kg", decimal)),
        transport_mode=WAYBILL_TRANSPORT_MODE,
        order_number=head.text("orderNo", "/order_number"),
        master_waybill=head.text("billNo", "/master_waybill", required=False),
    )
