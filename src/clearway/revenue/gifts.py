"""Gifts between private persons: relieved whole up to a limit, and above it as each law writes.

``gift.threshold`` is the limit (``gift.threshold_comparison: below`` where the law says "under").
Above it, ``gift.relief`` says what remains relieved:

- ``none`` (the default): nothing, the whole consignment is charged;
- ``items_within``: the items that would have been relieved had they been sent alone, up to the
  limit in all, an item's value never split (EU: Regulation 1186/2009 Art. 26(2) and Directive
  2006/79/EC Art. 2(2); the UK likewise). The items are taken in the order declared: the law
  does not say which items to choose, and the declared order is what a person can check;
- ``excess``: only the value above the limit is charged (Canada, CBSA: duty and taxes on the
  amount over CAD 60), spread over the items by value.

Transport and insurance follow the goods they carry (the charged share of each).
"""

from __future__ import annotations

from decimal import Decimal

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
    relieved: list[int] = []
    room = limit
    c.charged = [Decimal(1)] * len(c.items)
    for index, item_value in enumerate(c.item_values):
        amount = c.round_value(item_value)
        if amount <= room:
            room -= amount
            relieved.append(index)
            c.charged[index] = Decimal(0)
    if not relieved:
        return
    total = sum((c.item_values[i] for i in relieved), Decimal(0))
    lines = ", ".join(str(c.items[i].line) for i in relieved)
    what = (
        f"items {lines}, worth {c.fmt(total)} together, are"
        if len(relieved) > 1
        else (f"item {lines}, worth {c.fmt(total)}, is")
    )
    c.add(
        "relief",
        "nature.gift_items",
        f"Gift over {c.fmt(limit)}: {what} relieved as if sent alone, up to {c.fmt(limit)} in all "
        "(in the order declared, no item's value split); the other items are charged",
        Decimal(0),
        used=used,
        base=total,
    )


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
