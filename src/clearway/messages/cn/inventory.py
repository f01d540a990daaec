"""CEB621 (import inventory list, 进口清单) blocks as the canonical Consignment: the declaration.

The inventory names the order (orderNo, ebpCode, ebcCode) and the waybill (logisticsNo,
logisticsCode) it declares, so the canonical consignment carries the same order number and transport
document, and names the platform, the seller and the carrier by the codes they send their own
documents under. It names no payment: in China the payment is linked through the order, and the
inventory carries neither the payment enterprise nor the payment's number (docs/messages.md).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from clearway.messages.cn import codes
from clearway.messages.cn.documents import CHINA, buyer, line_total, party
from clearway.messages.cn.read import Fields, amount, date8, decimal, declaration, integer, present

_QUANTUM = Decimal("0.000001")  # the canonical records' finest amount (6 decimal places)


def _net_weight(line: Fields, at: str, quantity: Decimal | None) -> str | None:
    """The net weight of one unit, when the first legal quantity is a weight (qty1 in 035 kg or 036 g).

    The canonical weight is per unit (revenue multiplies it by the quantity); a division that is not
    exact to 6 decimal places is left out rather than rounded into a different weight.
    """
    unit1 = line.text("unit1")
    qty1 = line.value("qty1", "", decimal)
    factor = codes.KILOGRAMS_PER_UNIT.get(unit1 or "")
    if factor is None or qty1 is None or not quantity:
        return None
    per_unit = qty1 * factor / quantity
    if per_unit.quantize(_QUANTUM) != per_unit:
        return None
    if per_unit.as_tuple().exponent > 0:  # type: ignore[operator]  # 5 / 0.5 is Decimal("1E+1")
        per_unit = per_unit.quantize(Decimal(1))
    line.block.origins[f"{at}/net_weight_kg"] = line.where("qty1")
    return amount(per_unit)


def consignment(head: Fields, lines: list[Fields]) -> dict[str, Any]:
    """CEB621 Inventory -> canonical Consignment."""
    block = head.block
    order_date = declaration(head, "/transaction/order_date", changes=True)
    head.expect("ieFlag", "I", "the CEB621 is an import inventory (I)")
    block.origins["/destination_country"] = head.where("ieFlag")
    items = []
    goods = Decimal(0)
    for index, line in enumerate(lines):
        at = f"/items/{index}"
        block.origins[at] = line.path
        quantity = line.value("qty", f"{at}/quantity", decimal)
        price = line.value("price", f"{at}/unit_price", decimal)
        total = line_total(line, at, quantity, price)
        goods += total or 0
        line.value("currency", "", codes.currency)
        items.append(
            present(
                line=line.value("gnum", f"{at}/line", integer),
                description=line.text("gname", f"{at}/description"),
                hs_code=line.text("gcode", f"{at}/hs_code"),
                quantity=amount(quantity),
                unit_price=amount(price),
                origin_country=line.value("country", f"{at}/origin_country", codes.country),
                unit=line.value("unit", f"{at}/unit", codes.unit),
                sku=line.text("itemNo", f"{at}/sku", required=False),
                net_weight_kg=_net_weight(line, at, quantity),
            )
        )
    freight = head.value("freight", "/transaction/freight", decimal)
    insurance = head.value("insuredFee", "/transaction/insurance", decimal)
    # The inventory declares no goods value and no amount paid: the goods value is the sum of its
    # lines' totals (as declared: qty x price of a weighed line may have more decimal places than an
    # amount holds), and what was paid for the parcel (without the tax withheld, which it does not
    # carry) is goods, freight and insurance. Linking compares the payment with the order's total.
    block.origins["/transaction"] = head.path
    block.origins["/transaction/goods_value"] = f"{block.path}/ceb:InventoryList/ceb:totalPrice"
    block.origins["/transaction/amount_paid"] = block.path
    paid = goods + (freight or 0) + (insurance or 0)
    block.origins["/parties"] = head.path
    block.origins["/logistics"] = head.path
    return present(
        reference=head.text("copNo", "/reference"),
        destination_country=CHINA,
        parties=present(
            seller=party(head, "/parties/seller", "ebcName", "ebcCode"),
            buyer=buyer(head, "/parties/buyer"),
            platform=party(head, "/parties/platform", "ebpName", "ebpCode"),
            carrier=party(head, "/parties/carrier", "logisticsName", "logisticsCode"),
            declarant=party(head, "/parties/declarant", "agentName", "agentCode"),
        ),
        transaction=present(
            order_number=head.text("orderNo", "/transaction/order_number"),
            order_date=order_date,
            currency=head.value("currency", "/transaction/currency", codes.currency),
            goods_value=amount(goods),
            amount_paid=amount(paid),
            freight=amount(freight),
            insurance=amount(insurance),
        ),
        items=items,
        logistics=present(
            transport_document=head.text("logisticsNo", "/logistics/transport_document"),
            transport_mode=head.value("trafMode", "/logistics/transport_mode", codes.transport_mode),
            packages=head.value("packNo", "/logistics/packages", integer),
            gross_weight_kg=amount(head.value("grossWeight", "/logistics/gross_weight_kg", decimal)),
            master_waybill=head.text("billNo", "/logistics/master_waybill", required=False),
            flight_or_voyage=head.text("voyageNo", "/logistics/flight_or_voyage", required=False),
            port_of_entry=head.text("portCode", "/logistics/port_of_entry"),
            arrival_date=head.value("ieDate", "/logistics/arrival_date", date8, required=False),
        ),
    )
