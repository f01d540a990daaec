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
from clearway.revenue.schemes import compact, valid_format


@dataclass(frozen=True, slots=True)
class Collection:
    model: CollectionModel
    scheme: str | None = None
    scheme_id: str | None = None


def decide(c: Computation, *, due: bool) -> Collection:
    scheme = c.scheme
    if not due:
        return Collection("none", scheme["scheme"] if scheme else None, _number(c) if scheme else None)
    if scheme is not None:
        return Collection("vendor", str(scheme["scheme"]), _number(c))
    if c.params.value("collection.platform") and not c.category_four:
        return Collection("platform")
    liable = c.params.find("collection.vendor_liable_up_to")
    # Only a sale makes the seller liable: a gift is no supply (GST Act 1985 (NZ) s 8(3)(c); GST Act
    # 1999 (AU) s 84-75), so what is due on it is paid at the border.
    if (
        liable is not None
        and c.shipment.nature == "sale"
        and c.round_value(c.intrinsic) <= c.money(liable)
        and not c.restricted
    ):
        # The law makes the seller or platform liable for the tax on these goods (the UK up to
        # GBP 135, Australia and New Zealand up to 1,000): the border does not collect it, whether
        # or not the seller gave a registration number. Customs follows it up with the seller.
        c.warn(
            "vendor_collection_expected",
            f"the seller or platform is liable for the tax on goods of {c.fmt(c.intrinsic)} "
            f"(up to {c.fmt(c.money(liable))}) and should have charged it at checkout; "
            "no valid registration number was given",
        )
        return Collection("vendor")
    intermediary: Mapping[str, Any] | None = c.params.value("collection.intermediary")
    # Excise and restricted goods are outside the carriers' simplified collection too.
    if (
        intermediary is not None
        and not c.restricted
        and c.shipment.channel in intermediary.get("channels", ())
        and _holds_origins(c, intermediary.get("goods_origins"))
    ):
        ceiling = intermediary.get("up_to")
        currency = intermediary.get("currency", c.currency)
        # ``basis: customs_value`` where the carrier's limit is on the value with transport and
        # insurance (Japan's manifest clearance, Brazil's simplified regime); the goods alone otherwise.
        on_customs_value = intermediary.get("basis") == "customs_value"
        compared = c.value_of(("goods", "transport", "insurance")) if on_customs_value else c.intrinsic
        if ceiling is None or c.round_value(compared) <= c.limit(Decimal(ceiling), currency):
            return Collection("intermediary")
    default = str(c.params.value("collection.default", "buyer"))
    return Collection("intermediary" if default == "intermediary" else "buyer")


def vendor_scheme(c: Computation) -> Mapping[str, Any] | None:
    """The checkout scheme that covers this sale, or None (warning why a number given was not accepted)."""
    if c.shipment.tax_scheme_id is None:
        return None
    number = compact(c.shipment.tax_scheme_id)
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
    if c.shipment.nature != "sale":
        # Checkout schemes cover distance sales to consumers (IOSS: VAT Directive Art. 369l; VOEC,
        # the UK's, Australia's and New Zealand's rules likewise): a gift or a sample is no sale.
        c.warn(
            "tax_scheme_not_applicable",
            f"{name} covers distance sales only and this consignment is declared as a {c.shipment.nature}; "
            "the tax is collected at import",
        )
        return None
    if c.restricted:
        c.warn(
            "tax_scheme_not_applicable",
            f"{name} does not cover excise or restricted goods; the tax is collected at import",
        )
        return None
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
        limit = c.limit(Decimal(ceiling), currency)
        strict = bool(scheme.get("below", False))
        values = (
            [c.round_value(c.item_values[i] / c.items[i].quantity) for i in range(len(c.items))]
            if scheme.get("per") == "item"
            else [c.round_value(c.intrinsic)]
        )
        # The declared value, to the cent, as every threshold (a conversion's fraction must not decide).
        worst = c.round_value(max(values))
        if worst > limit or (strict and worst == limit):
            what = "an item" if scheme.get("per") == "item" else "the consignment"
            c.warn(
                "tax_scheme_not_applicable",
                f"{name} covers goods {'below' if strict else 'up to'} {c.fmt(limit)}; {what} is worth {c.fmt(worst)}, "
                "so the tax is collected at import",
            )
            return None
    return scheme


def _holds_origins(c: Computation, origins: Any) -> bool:
    """Whether the consignment holds goods of one of ``origins`` (None: any goods). The US carriers
    collected the duty on postal items holding products of China or Hong Kong from 2 May 2025."""
    return origins is None or any(item.origin in origins for item in c.items)


def _number(c: Computation) -> str | None:
    return compact(c.shipment.tax_scheme_id) if c.shipment.tax_scheme_id is not None else None
