"""Gifts between private persons: relieved whole up to a limit, and above it as each law writes.

``gift.threshold`` is the limit (``gift.threshold_comparison: below`` where the law says "under").
Above it, ``gift.relief`` says what remains relieved:

- ``none`` (the default): nothing, the whole consignment is charged;
- ``items_within``: the items (each article: two toys are two items) that would have been relieved
  had they been sent alone, up to the limit in all, an item's value never split (EU: Regulation
  1186/2009 Art. 26(2) and Directive 2006/79/EC Art. 2(2); the UK likewise). The items are taken
  in the order declared: the law does not say which items to choose, and the declared order is
  what a person can check;
- ``excess``: only the value above the limit is charged (Canada, CBSA: duty and taxes on the
  amount over CAD 60), spread over the items by value.

Transport and insurance follow the goods they carry (the charged share of each).
"""

from __future__ import annotations

from decimal import ROUND_FLOOR, Decimal

from clearway.jurisdictions import Resolved
from clearway.revenue.context import Computation
from clearway.revenue.thresholds import limit_words, within


def relieve(c: Computation) -> bool:
    """Apply the gift relief; True when nothing is due (the whole consignment is relieved)."""
    limit = c.params.find("gift.threshold")
    if limit is None:
        return False
    value = c.round_value(c.intrinsic)
    comparison = c.params.find("gift.threshold_comparison")
    if within(c, "gift", value, limit):
        c.add(
            "relief",
            "nature.gift",
            f"Gift between private persons of {c.fmt(value)}, which {limit_words(c, 'gift')} "
            f"{c.fmt(c.money(limit))}: no duty or tax",
            Decimal(0),
            used=[limit, comparison],
            base=value,
        )
        return True
    rule = c.params.find("gift.relief")
    kind = str(rule.value) if rule is not None else "none"
    if kind == "items_within":
        _items_within(c, c.money(limit), [limit, comparison, rule])
    elif kind == "excess":
        _excess(c, c.money(limit), value, [limit, comparison, rule])
    return False


def _items_within(c: Computation, limit: Decimal, used: list[Resolved | None]) -> None:
    # Each article is an item (two toys on one line are two items): as many of a line's articles
    # as fit are relieved, the running total compared with the limit to the cent, so a consignment
    # over the limit is never relieved whole.
    relieved_total = Decimal(0)
    relieved: list[tuple[int, Decimal]] = []  # (line index, articles relieved)
    c.charged = [Decimal(1)] * len(c.items)
    for index, item in enumerate(c.items):
        count = _articles_that_fit(c, item.quantity, c.item_values[index], relieved_total, limit)
        if not count:
            continue
        whole = item.quantity if item.quantity == item.quantity.to_integral_value() else Decimal(1)
        relieved_total += c.item_values[index] * count / whole
        relieved.append((index, count))
        c.charged[index] = (whole - count) / whole
    if not relieved:
        return
    parts = []
    for index, count in relieved:
        whole = c.items[index].quantity
        share = "" if count == whole or whole != whole.to_integral_value() else f" ({count:f} of {whole:f})"
        parts.append(f"{c.items[index].line}{share}")
    lines = ", ".join(parts)
    what = (
        f"items {lines}, worth {c.fmt(relieved_total)} together, are"
        if len(relieved) > 1 or relieved[0][1] > 1
        else f"item {lines}, worth {c.fmt(relieved_total)}, is"
    )
    c.add(
        "relief",
        "nature.gift_items",
        f"Gift over {c.fmt(limit)}: {what} relieved as if sent alone, up to {c.fmt(limit)} in all "
        "(in the order declared, each article whole); the other items are charged",
        Decimal(0),
        used=used,
        base=relieved_total,
    )


def _articles_that_fit(c: Computation, quantity: Decimal, value: Decimal, so_far: Decimal, limit: Decimal) -> Decimal:
    """How many whole articles of a line fit within what is left of the limit. A line whose quantity
    is not a whole number (a measured quantity) is one item."""
    if quantity != quantity.to_integral_value() or quantity <= 0:
        return Decimal(1) if c.round_value(so_far + value) <= limit else Decimal(0)
    unit = value / quantity
    if not unit:
        return quantity
    count = min(quantity, ((limit - so_far) / unit).to_integral_value(rounding=ROUND_FLOOR))
    # The comparison is on the total to the cent: step back while it exceeds the limit, forward while one more fits.
    while count > 0 and c.round_value(so_far + unit * count) > limit:
        count -= 1
    while count < quantity and c.round_value(so_far + unit * (count + 1)) <= limit:
        count += 1
    return max(count, Decimal(0))


def _excess(c: Computation, limit: Decimal, value: Decimal, used: list[Resolved | None]) -> None:
    share = (value - limit) / value
    c.charged = [share] * len(c.items)
    c.add(
        "relief",
        "nature.gift_excess",
        f"Gift of {c.fmt(value)}: the first {c.fmt(limit)} is relieved, duty and tax are charged "
        f"on the excess of {c.fmt(value - limit)}",
        Decimal(0),
        used=used,
        base=value - limit,
    )
