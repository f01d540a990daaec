"""The territory steps of an assessment: where the goods go and come from, and what that leaves to assess.

* Goods moving within one customs and VAT territory (France to Germany, Monaco to France) are not
  imported: nothing is assessed and the result says why.
* Goods moving within one customs territory into another VAT territory (the Canary Islands to
  mainland Spain) are Union goods: no duty, the import tax only.
* A destination inside the customs territory but outside its VAT territory (the Canary Islands,
  the French overseas departments) pays the duty; its local import tax is not computed, and the
  result is incomplete and says which tax is missing.
* Northern Ireland: the UK assesses the VAT (GBP 135 rules); the duty on goods imported from
  outside the UK and the EU is the Union's (Windsor Framework), named when it may differ.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import msgspec

from clearway.jurisdictions import Catalogue, Movement, Place
from clearway.revenue.context import Computation, RevenueError
from clearway.revenue.model import Shipment

# The Union's relief for negligible-value consignments, which applies in Northern Ireland to goods
# at risk, ends when the flat duty per item category starts (eu/params.yaml duty.threshold).
_EU_RELIEF = Decimal(150)
_EU_RELIEF_END = dt.date(2026, 7, 1)
_WINDSOR = (
    "Windsor Framework, Art. 5(1)-(4) and Annex 2 (Union customs legislation, the Common Customs Tariff "
    "included, applies in Northern Ireland to goods at risk of moving into the Union); Council Regulation "
    "(EC) No 1186/2009, Art. 23 (EUR 150 relief)"
)


@dataclass(frozen=True, slots=True)
class Route:
    destination: Place
    origin: Place
    movement: Movement


@dataclass(frozen=True, slots=True)
class Steps:
    """What the formulas still have to do once the territory is known."""

    assess: bool = True  # False: no import at all
    duty: bool = True  # False: Union goods, no customs duty
    tax: bool = True  # False: the destination's tax is a local one, not computed


def route(catalogue: Catalogue, shipment: Shipment) -> Route:
    """Place the destination and the place of dispatch; refuse a destination nobody assesses."""
    destination = catalogue.locate(shipment.destination, shipment.destination_postcode, shipment.as_of)
    refusal = destination.refusal
    if refusal is not None:
        by_code = destination.territory is None or shipment.destination in destination.territory.codes
        raise RevenueError(refusal, "/destination" if by_code else "/destination_postcode")
    try:
        catalogue.resolve(destination.assessed_as)
    except LookupError as exc:
        raise RevenueError(str(exc), "/destination") from exc
    origin = catalogue.locate(shipment.origin_country, shipment.origin_postcode, shipment.as_of)
    if not shipment.dispatch_known:
        # A declaration lodged with customs is an import declaration; the seller's country does
        # not say where the goods left from, so it cannot make the movement domestic.
        return Route(destination, origin, Movement("import"))
    return Route(destination, origin, catalogue.territories.movement(origin, destination))


def begin(c: Computation, route: Route) -> Steps:
    """Write what the territory decides, before any formula runs."""
    destination, movement = route.destination, route.movement
    for code, message, incomplete in (*destination.notes, *route.origin.notes):
        if incomplete:
            c.incomplete(code, message)
        else:
            c.warn(code, message)
    territory = destination.territory
    if territory is not None:
        c.add(
            "info",
            "territory.place",
            f"{territory.name}: in the customs territory of {_union(destination.customs)}, "
            f"{_vat_text(destination)}; assessed under the rules of {destination.assessed_as}",
            Decimal(0),
            reference=territory.reference,
        )
    if movement.kind == "no_import":
        c.add("relief", movement.code, movement.description, Decimal(0), reference=movement.reference)
        for warning in movement.warnings:
            c.warn("territory_assumption", warning)
        return Steps(assess=False, duty=False, tax=False)
    if territory is not None and destination.vat != destination.customs and c.shipment.tax_scheme_id:
        # IOSS and the like cover imports into the VAT territory they belong to, not a place outside it.
        c.warn(
            "tax_scheme_not_applicable",
            f"{territory.name} is outside the VAT territory of {_union(destination.customs)}: the registration "
            f"{c.shipment.tax_scheme_id} does not cover an import there",
        )
        c.shipment = msgspec.structs.replace(c.shipment, tax_scheme_id=None)
    if movement.kind == "fiscal_import":
        c.add("relief", movement.code, movement.description, Decimal(0), reference=movement.reference)
        return Steps(duty=False, tax=destination.taxed)
    return Steps(tax=destination.taxed)


def local_tax(c: Computation, route: Route) -> None:
    """A destination outside the VAT territory: no VAT of the jurisdiction, and its local tax is missing."""
    territory = route.destination.territory
    if territory is None:
        return
    c.add(
        "info",
        "territory.outside_vat",
        f"No VAT of {_union(route.destination.customs)}: {territory.name} is outside its VAT territory",
        Decimal(0),
        reference=territory.reference,
    )
    # The local tax is due but not computed: a tax line without an amount, so the tax and the total
    # are unknown (null), never a zero.
    c.add(
        "tax",
        "tax.local_not_computed",
        f"Import tax of {territory.name} ({territory.local_tax}): due, not computed",
        None,
        reference=territory.reference,
    )
    c.incomplete(
        "local_tax_not_computed",
        f"the import tax of {territory.name} is missing: {territory.local_tax}; "
        "its rates would have to be configured to complete the result",
    )


def finish(c: Computation, route: Route) -> None:
    """Northern Ireland: say whether the Union's duty on goods at risk could differ from the figure."""
    territory = route.destination.territory
    if territory is None or territory.key != "northern_ireland" or route.movement.kind != "import":
        return
    duty_lines = [line for line in c.lines if line.kind == "duty"]
    relieved = all(line.amount == 0 for line in duty_lines)
    if relieved and c.as_of < _EU_RELIEF_END and c.round_value(c.intrinsic) <= c.limit(_EU_RELIEF, "EUR"):
        c.add(
            "info",
            "territory.northern_ireland_duty",
            "Northern Ireland: no duty under either the UK or the Union rules (goods not above EUR 150)",
            Decimal(0),
            reference=_WINDSOR,
        )
        return
    c.incomplete(
        "duty_northern_ireland",
        "goods imported into Northern Ireland from outside the UK and the EU pay the Union's duty (Common "
        "Customs Tariff, EUR 150 relief, the flat duty from 1 July 2026) unless declared not at risk under "
        "the UK Internal Market Scheme; the duty shown is the UK's: a Union duty assessment would complete "
        f"it ({_WINDSOR})",
    )


def _union(code: str | None) -> str:
    return {"EU": "the Union", "GB": "the United Kingdom", "CH": "Switzerland"}.get(code or "", code or "none")


def _vat_text(place: Place) -> str:
    if place.vat == place.customs:
        return f"in its VAT territory ({_union(place.vat)})"
    return "outside its VAT territory"
