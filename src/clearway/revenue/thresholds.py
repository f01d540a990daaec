"""Thresholds as the law writes them: which value is compared (intrinsic or customs value, per
consignment or per person and day), "up to" or strictly "under", and who is outside them (a
checkout scheme, an origin). The value compared is the declared one, to the cent.
"""

from __future__ import annotations

from decimal import Decimal

from clearway.jurisdictions import Resolved
from clearway.revenue.context import Computation

_CUSTOMS_VALUE = ("goods", "transport", "insurance")
_BASIS_NAMES = {"intrinsic": "intrinsic value", "customs_value": "customs value"}


def threshold_relief(c: Computation, prefix: str) -> tuple[bool, Resolved | None, Decimal]:
    """Whether the ``<prefix>.threshold`` relieves this consignment, the threshold, and the value compared.

    ``<prefix>.threshold_basis`` says which value is compared (``intrinsic``: the goods alone;
    ``customs_value``: with transport and insurance) and ``<prefix>.threshold_scope`` whether it is per
    consignment or per person per day (the buyer's earlier imports of the day count).
    """
    threshold = c.params.find(f"{prefix}.threshold")
    basis = c.params.value(f"{prefix}.threshold_basis", "intrinsic")
    # The law compares the declared value, to the cent: an unrounded conversion must not decide.
    value = c.round_value(c.intrinsic if basis == "intrinsic" else c.value_of(_CUSTOMS_VALUE))
    if threshold is None:
        return False, None, value
    if _threshold_excluded(c, prefix, threshold, value):
        return False, threshold, value
    if c.params.value(f"{prefix}.threshold_scope", "consignment") == "person_day":
        c.per_person_value = value
        if c.shipment.prior is not None:
            value += c.shipment.prior.day
    return within(c, prefix, value, threshold), threshold, value


def _threshold_excluded(c: Computation, prefix: str, threshold: Resolved, value: Decimal) -> bool:
    """Whether the law withholds the ``<prefix>.threshold`` relief from this consignment, whatever its value.

    ``<prefix>.threshold_excluded_schemes`` names checkout schemes whose sales the relief does not
    cover (Norway's NOK 350 rule was for sellers outside VOEC: a VOEC seller charges the VAT at
    checkout). ``<prefix>.threshold_excluded_origins`` names countries whose products lose it (the
    US de minimis for products of China and Hong Kong, 2 May to 28 August 2025): tested on each
    item's origin, not on the country of dispatch, and one such item takes the whole consignment out
    (the consignment is entered as one entry, which a de minimis release cannot be).
    """
    schemes = c.params.find(f"{prefix}.threshold_excluded_schemes")
    if schemes is not None and c.scheme is not None and str(c.scheme["scheme"]) in schemes.value:
        why = f"sales under {c.scheme['scheme']} are outside the threshold of {c.fmt(c.money(threshold))}"
        c.add(
            "info",
            f"{prefix}.threshold_not_applicable",
            why[0].upper() + why[1:],
            Decimal(0),
            used=[schemes, threshold],
            base=value,
        )
        return True
    origins = c.params.find(f"{prefix}.threshold_excluded_origins")
    if origins is not None:
        covered = [item for item in c.items if item.origin in origins.value]
        if covered:
            lines = ", ".join(f"{item.line} ({item.origin})" for item in covered)
            c.add(
                "info",
                f"{prefix}.threshold_not_applicable",
                f"The threshold of {c.fmt(c.money(threshold))} does not apply: the consignment holds products of "
                f"{', '.join(map(str, origins.value))} (item{'s' if len(covered) > 1 else ''} {lines})",
                Decimal(0),
                used=[origins, threshold],
                base=value,
            )
            return True
    return False


def within(c: Computation, prefix: str, value: Decimal, threshold: Resolved) -> bool:
    """Whether ``value`` is within ``<prefix>.threshold``: "up to" (the default) or strictly "under"
    where the law says so (``<prefix>.threshold_comparison: below``, Norway's "under NOK 350")."""
    # A limit set in another currency is converted and rounded like the value it is compared with.
    limit = c.round_value(c.money(threshold))
    return value < limit if c.params.value(f"{prefix}.threshold_comparison") == "below" else value <= limit


def limit_words(c: Computation, prefix: str) -> str:
    return "is under" if c.params.value(f"{prefix}.threshold_comparison") == "below" else "does not exceed"


def relief_line(c: Computation, prefix: str, threshold: Resolved, value: Decimal, formula: Resolved) -> None:
    basis = _BASIS_NAMES.get(str(c.params.value(f"{prefix}.threshold_basis", "intrinsic")), "value")
    what = "duty" if prefix == "duty" else "tax"
    c.add(
        "relief",
        f"{prefix}.below_threshold",
        f"No {what}: the {basis} of {c.fmt(value)} {limit_words(c, prefix)} "
        f"the {what} threshold of {c.fmt(c.money(threshold))}",
        Decimal(0),
        used=[
            threshold,
            c.params.find(f"{prefix}.threshold_basis"),
            c.params.find(f"{prefix}.threshold_comparison"),
            formula,
        ],
        base=value,
    )
