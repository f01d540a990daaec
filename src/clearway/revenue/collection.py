"""Who collects the tax: the vendor or platform at checkout, the courier or post at delivery, the
buyer at import, or the platform as withholding agent.

A scheme number at checkout is accepted only when its format is right, the registry customs loaded
knows it on the date, and the consignment is within the scheme's ceiling (IOSS: EUR 150 intrinsic
value). Anything else is flagged, and the tax falls back to collection at import.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from clearway.revenue.context import Computation
from clearway.revenue.model import CollectionModel
from clearway.revenue.schemes import valid_format


@dataclass(frozen=True, slots=True)
class Collection:
    model: CollectionModel
    scheme: str | None = None
    scheme_id: str | None = None


def decide(c: Computation, *, due: bool) -> Collection:
    scheme = _vendor_scheme(c)
    if not due:
        return Collection("none", scheme["scheme"] if scheme else None, c.shipment.tax_scheme_id if scheme else None)
    if scheme is not None:
        return Collection("vendor", str(scheme["scheme"]), c.shipment.tax_scheme_id)
    if c.params.value("collection.platform") and not c.category_four:
        return Collection("platform")
    expected = c.params.find("collection.vendor_expected_up_to")
    if expected is not None and c.intrinsic <= c.money(expected):
        c.warn(
            "vendor_collection_expected",
            f"goods of {c.fmt(c.intrinsic)} should have been taxed by the seller or platform at checkout "
            f"(up to {c.fmt(c.money(expected))}); the tax is collected at import instead",
        )
    intermediary: Mapping[str, Any] | None = c.params.value("collection.intermediary")
    if intermediary is not None and c.shipment.channel in intermediary.get("channels", ()):
        ceiling = intermediary.get("up_to")
        currency = intermediary.get("currency", c.currency)
        if ceiling is None or c.intrinsic <= c.convert(Decimal(ceiling), currency):
            return Collection("intermediary")
    default = str(c.params.value("collection.default", "buyer"))
    return Collection("intermediary" if default == "intermediary" else "buyer")


def _vendor_scheme(c: Computation) -> Mapping[str, Any] | None:
    number = c.shipment.tax_scheme_id
    if number is None:
        return None
    schemes: tuple[Mapping[str, Any], ...] = tuple(c.params.value("collection.schemes", ()))
    names = ", ".join(str(s["scheme"]) for s in schemes) or "none"
    scheme = next((s for s in schemes if valid_format(str(s["format"]), number)), None)
    if scheme is None:
        c.warn(
            "tax_scheme_id_invalid",
            f"'{number}' is not a valid number of a checkout scheme of {c.params.jurisdiction.name} ({names}); "
            "the tax is collected at import",
        )
        return None
    name = str(scheme["scheme"])
    status = c.sources.registry.status(name, number, c.as_of)
    if status == "not_registered":
        c.warn(
            "tax_scheme_id_not_registered",
            f"{name} number '{number}' is not in the {name} registry on {c.as_of}; the tax is collected at import",
        )
        return None
    if status == "not_loaded":
        c.warn("tax_scheme_registry_not_loaded", f"no {name} registry is loaded: '{number}' was checked by format only")
    ceiling = scheme.get("up_to")
    if ceiling is not None:
        currency = str(scheme.get("currency", c.currency))
        limit = c.convert(Decimal(ceiling), currency)
        strict = bool(scheme.get("below", False))
        values = (
            [c.item_values[i] / c.items[i].quantity for i in range(len(c.items))]
            if scheme.get("per") == "item"
            else [c.intrinsic]
        )
        worst = max(values)
        if worst > limit or (strict and worst == limit):
            what = "an item" if scheme.get("per") == "item" else "the consignment"
            c.warn(
                "tax_scheme_not_applicable",
                f"{name} covers goods {'below' if strict else 'up to'} {c.fmt(limit)}; {what} is worth {c.fmt(worst)}, "
                "so the tax is collected at import",
            )
            return None
    return scheme
