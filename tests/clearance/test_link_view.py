"""Link views (clearance.link_view): a view read back from its stored text links exactly as the record
it was made from, reasons and their figures included."""

from __future__ import annotations

from decimal import Decimal

import msgspec
from hypothesis import given, settings
from hypothesis import strategies as st

from clearway.clearance.link_view import OrderView, decode_view, encode_view, view_of
from clearway.clearance.linking import link
from clearway.dataset.records import Consignment, Document, Order, Payment, Waybill
from clearway.simulate import generate


def stored(record: Document | None) -> object:
    return None if record is None else decode_view(encode_view(view_of(record)))


def test_figures_keep_their_exponent_and_lines_are_summed_by_item(order: Order) -> None:
    line = order.lines[0]
    twice = msgspec.structs.replace(
        order,
        total=Decimal("27.3000"),
        lines=[line, msgspec.structs.replace(line, quantity=Decimal("0.50"), unit_price=Decimal("9.990"))],
    )
    view = stored(twice)
    assert isinstance(view, OrderView)
    assert str(view.total) == "27.3000"
    [summed] = view.lines
    assert summed.quantity == line.quantity + Decimal("0.50") and str(summed.unit_price) == "9.990"


def test_the_view_of_a_record_is_its_record_as_linking_reads_it(
    consignment: Consignment, order: Order, payment: Payment, waybill: Waybill
) -> None:
    heavier = msgspec.structs.replace(waybill, gross_weight_kg=Decimal("3.000"))
    other = msgspec.structs.replace(payment, amount=Decimal("1.5"), order_number="X-1")
    for o, p, w in [(order, payment, waybill), (order, other, heavier), (None, other, None)]:
        assert link(consignment, o, p, w) == link(consignment, stored(o), stored(p), stored(w))  # type: ignore[arg-type]


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000), shift=st.integers(1, 7))
def test_simulated_traffic_links_the_same_through_stored_views(seed: int, shift: int) -> None:
    # Each declaration with its own documents, and with others' (shifted), so every reason comes up.
    traffic = generate(40, seed)
    orders = [s.record for s in traffic.orders]
    payments = [s.record for s in traffic.payments]
    waybills = [s.record for s in traffic.waybills]
    by_order = {o.order_number: o for o in orders}
    by_payment = {p.order_number: p for p in payments}
    by_waybill = {w.transport_document: w for w in waybills}
    for i, submission in enumerate(traffic.consignments):
        c = submission.record
        own = (
            by_order.get(c.transaction.order_number),
            by_payment.get(c.transaction.order_number),
            by_waybill.get(c.logistics.transport_document),
        )
        n = len(orders)
        shifted = (orders[(i + shift) % n], payments[(i * shift) % len(payments)], waybills[i % len(waybills)])
        for o, p, w in (own, shifted):
            assert link(c, o, p, w) == link(c, stored(o), stored(p), stored(w))  # type: ignore[arg-type]
