"""Any amount and quantity the standard allows survives the mapping exactly: decimal text in,
the same Decimal out, never through a float."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.messages.cn.ceb import decoded, message, one

FEN = Decimal("0.01")


@st.composite
def amounts(draw: st.DrawFn, *, positive: bool = False, below: int = 10**9) -> Decimal:
    """N19,5 values, of 0 to 5 decimal places, within the canonical records' bounds."""
    places = draw(st.integers(0, 5))
    low = 1 if positive else 0
    units = draw(st.integers(low, below * 10**places - 1))
    return Decimal(units).scaleb(-places)


def text(value: Decimal) -> str:
    return format(value, "f")


def replace_once(data: str, old: str, new: str) -> str:
    assert old in data
    return data.replace(old, new, 1)


@settings(max_examples=150, deadline=None)
@given(
    quantity=amounts(positive=True, below=10**4),
    price=amounts(below=10**6),
    freight=amounts(below=10**4),
    tax=amounts(below=10**4),
)
def test_order_amounts_survive_exactly(quantity: Decimal, price: Decimal, freight: Decimal, tax: Decimal) -> None:
    total = (quantity * price).quantize(FEN, ROUND_HALF_UP)
    paid = total + freight + tax
    source = message("CEB311").decode()
    line = source[source.index("    <ceb:OrderList>") : source.index("  </ceb:Order>")]
    first = line[: line.index("    <ceb:OrderList>", 10)]
    one_line = first.replace("<ceb:qty>2<", f"<ceb:qty>{text(quantity)}<").replace(
        "<ceb:price>199.00<", f"<ceb:price>{text(price)}<").replace(
        "<ceb:totalPrice>398.00<", f"<ceb:totalPrice>{text(total)}<")  # fmt: skip
    data = replace_once(source, line, one_line)
    for element, value in (("goodsValue", total), ("freight", freight), ("discount", Decimal(0)),
                           ("taxTotal", tax), ("acturalPaid", paid)):  # fmt: skip
        start = data.index(f"<ceb:{element}>")
        end = data.index(f"</ceb:{element}>")
        data = data[:start] + f"<ceb:{element}>{text(value)}" + data[end:]
    mapped = one(data.encode())
    assert mapped.ok, mapped.errors
    assert mapped.record is not None
    assert mapped.record["lines"][0]["quantity"] == text(quantity)  # the text itself: no float in between
    order = decoded(mapped)
    [line_record] = order.lines
    assert (line_record.quantity, line_record.unit_price) == (quantity, price)
    assert (order.goods_value, order.shipping, order.taxes_collected, order.total) == (total, freight, tax, paid)


@settings(max_examples=100, deadline=None)
@given(amount=amounts(below=10**11), weight=amounts(positive=True, below=10**5))
def test_payment_and_waybill_amounts_survive_exactly(amount: Decimal, weight: Decimal) -> None:
    payment = message("CEB411").decode().replace("<ceb:amountPaid>537.78<", f"<ceb:amountPaid>{text(amount)}<")
    assert decoded(one(payment.encode())).amount == amount
    waybill = message("CEB511").decode().replace("<weight>1.96<", f"<weight>{text(weight)}<")
    assert decoded(one(waybill.encode())).gross_weight_kg == weight
