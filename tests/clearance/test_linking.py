from __future__ import annotations

from decimal import Decimal

import msgspec
import pytest

from clearway.clearance.linking import link, payment_key, required_documents
from clearway.dataset.records import Consignment, Order, OrderLine, Payer, Payment, Waybill


def codes(result: object) -> set[str]:
    return {r.code for r in result.reasons}  # type: ignore[attr-defined]


def test_all_three_documents_agree(consignment: Consignment, order: Order, payment: Payment, waybill: Waybill) -> None:
    result = link(consignment, order, payment, waybill)
    assert result.status == "linked" and result.missing == [] and result.reasons == []


@pytest.mark.parametrize("absent", ["order", "payment", "waybill"])
def test_missing_documents_leave_it_incomplete(
    consignment: Consignment, order: Order, payment: Payment, waybill: Waybill, absent: str
) -> None:
    docs = {"order": order, "payment": payment, "waybill": waybill}
    docs[absent] = None  # type: ignore[assignment]
    result = link(consignment, docs["order"], docs["payment"], docs["waybill"])  # type: ignore[arg-type]
    assert result.status == "incomplete" and result.missing == [absent]


def test_payment_amount_mismatch_says_why(
    consignment: Consignment, order: Order, payment: Payment, waybill: Waybill
) -> None:
    short = msgspec.structs.replace(payment, amount=Decimal("17.30"))
    result = link(consignment, order, short, waybill)
    assert result.status == "mismatch"
    [reason] = result.reasons
    assert reason.code == "payment_amount_mismatch" and reason.document == "payment"
    assert "17.30" in reason.message and "27.30" in reason.message


def test_amounts_match_within_currency_precision(
    consignment: Consignment, order: Order, payment: Payment, waybill: Waybill
) -> None:
    # 27.3000 EUR and 27.30 EUR are the same amount; 27.304 rounds to the same cent, 27.306 does not.
    assert (
        link(consignment, order, msgspec.structs.replace(payment, amount=Decimal("27.3000")), waybill).status
        == "linked"
    )
    assert (
        link(consignment, order, msgspec.structs.replace(payment, amount=Decimal("27.304")), waybill).status == "linked"
    )
    assert (
        link(consignment, order, msgspec.structs.replace(payment, amount=Decimal("27.306")), waybill).status
        == "mismatch"
    )


def test_currency_mismatch(consignment: Consignment, order: Order, payment: Payment, waybill: Waybill) -> None:
    result = link(consignment, order, msgspec.structs.replace(payment, currency="USD"), waybill)
    assert codes(result) == {"currency_mismatch"}


def test_payer_must_be_buyer_unless_authenticated(
    consignment: Consignment, order: Order, payment: Payment, waybill: Waybill
) -> None:
    stranger = Payer(name="Someone Else", authenticated=False)
    assert codes(link(consignment, order, msgspec.structs.replace(payment, payer=stranger), waybill)) == {
        "payer_not_buyer"
    }
    vouched = Payer(name="Someone Else", authenticated=True)
    assert link(consignment, order, msgspec.structs.replace(payment, payer=vouched), waybill).status == "linked"
    same_person = Payer(name="  anna   SCHMIDT ", authenticated=False)
    assert link(consignment, order, msgspec.structs.replace(payment, payer=same_person), waybill).status == "linked"


def test_quantities_and_prices_against_the_order(
    consignment: Consignment, order: Order, payment: Payment, waybill: Waybill
) -> None:
    fewer = msgspec.structs.replace(
        order, lines=[order.lines[0], msgspec.structs.replace(order.lines[1], quantity=Decimal(1))]
    )
    assert "quantity_exceeds_order" in codes(link(consignment, fewer, payment, waybill))
    cheaper = msgspec.structs.replace(consignment.items[0], unit_price=Decimal("2.00"))
    undervalued = msgspec.structs.replace(consignment, items=[cheaper, consignment.items[1]])
    assert "unit_price_mismatch" in codes(link(undervalued, order, payment, waybill))
    unknown = msgspec.structs.replace(consignment.items[0], sku="XX-9")
    assert "item_not_in_order" in codes(
        link(
            msgspec.structs.replace(consignment, items=[unknown, consignment.items[1]]),
            order,
            payment,
            waybill,
        )
    )


def test_split_shipment_declares_its_share_of_the_order(
    consignment: Consignment, order: Order, payment: Payment, waybill: Waybill
) -> None:
    first_part = msgspec.structs.replace(
        consignment,
        items=[consignment.items[0]],
        transaction=msgspec.structs.replace(consignment.transaction, goods_value=Decimal("12.80")),
    )
    assert link(first_part, order, payment, waybill).status == "linked"
    wrong_share = msgspec.structs.replace(
        first_part, transaction=msgspec.structs.replace(first_part.transaction, goods_value=Decimal("23.80"))
    )
    assert codes(link(wrong_share, order, payment, waybill)) == {"value_mismatch"}


def test_buyer_and_waybill_checks(consignment: Consignment, order: Order, payment: Payment, waybill: Waybill) -> None:
    other_buyer = msgspec.structs.replace(order, buyer=msgspec.structs.replace(order.buyer, name="Max Muster"))
    assert "buyer_mismatch" in codes(link(consignment, other_buyer, payment, waybill))
    moved = msgspec.structs.replace(waybill, destination_country="FR", packages=2, gross_weight_kg=Decimal("0.60"))
    assert codes(link(consignment, order, payment, moved)) == {
        "destination_mismatch",
        "packages_mismatch",
        "weight_mismatch",
    }
    # within the 10% weight tolerance
    assert (
        link(consignment, order, payment, msgspec.structs.replace(waybill, gross_weight_kg=Decimal("0.49"))).status
        == "linked"
    )


def test_gifts_need_only_a_waybill(consignment: Consignment, payment: Payment, waybill: Waybill) -> None:
    unpaid = msgspec.structs.replace(consignment.transaction, payment_id=None)
    gift = msgspec.structs.replace(
        consignment, flags=msgspec.structs.replace(consignment.flags, nature="gift"), transaction=unpaid
    )
    assert required_documents(gift) == ["waybill"]
    assert link(gift, None, None, waybill).status == "linked"
    assert link(gift, None, None, None).missing == ["waybill"]
    # A "gift" whose declaration names a payment must have that payment.
    paid_gift = msgspec.structs.replace(gift, transaction=consignment.transaction)
    assert required_documents(paid_gift) == ["payment", "waybill"]
    assert link(paid_gift, None, None, waybill).missing == ["payment"]
    assert link(paid_gift, None, payment, waybill).status == "linked"


def test_payment_key(consignment: Consignment) -> None:
    assert payment_key(consignment) == "PAY-778899"
    without = msgspec.structs.replace(
        consignment, transaction=msgspec.structs.replace(consignment.transaction, payment_id=None)
    )
    assert payment_key(without) == "SW-100200300"


def test_an_order_in_another_currency_stops_price_checks(
    consignment: Consignment, order: Order, payment: Payment, waybill: Waybill
) -> None:
    usd = msgspec.structs.replace(
        order, currency="USD", lines=[OrderLine(description="x", quantity=Decimal(1), unit_price=Decimal(1))]
    )
    assert codes(link(consignment, usd, payment, waybill)) == {"currency_mismatch"}
