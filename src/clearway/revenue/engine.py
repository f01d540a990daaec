"""The revenue engine: a shipment and a date in, an explained assessment out.

    convert -> valuation -> (documents, returns, gifts) -> duty -> tax -> fees -> collection -> IRG category

Each step reads the jurisdiction's parameters in force on ``as_of`` and writes lines; the
assessment lists every parameter version it used, so it can be reproduced later.
"""

from __future__ import annotations

from decimal import Decimal

from clearway.jurisdictions import Catalogue, ParameterMissing
from clearway.jurisdictions.model import Resolved
from clearway.revenue import collection, gifts, territory
from clearway.revenue.context import _MODES, Computation, RevenueError, Sources
from clearway.revenue.duty import DUTY_FORMULAS
from clearway.revenue.exchange import NoExchangeRate, customs_rate
from clearway.revenue.model import Assessment, Shipment
from clearway.revenue.tax import TAX_FORMULAS, fees, fees_for_relieved

ENGINE = "revenue-1"


def check_formulas(catalogue: Catalogue) -> list[str]:
    """Formula names the jurisdiction files use that no code implements (empty when all is well)."""
    known = {"duty": DUTY_FORMULAS, "tax": TAX_FORMULAS}
    problems = []
    for jurisdiction in catalogue.jurisdictions.values():
        for step, parameter in jurisdiction.formulas.items():
            if step not in known:
                problems.append(f"{jurisdiction.code}: unknown formula step '{step}'")
                continue
            for entry in parameter.entries:
                # A formula may depend on the context too (Mexico's by origin): check every branch.
                names = [case.value for case in entry.cases] if entry.cases else [entry.value]
                for name in names:
                    if name in known[step]:
                        continue
                    problems.append(
                        f"{jurisdiction.code}: {step} formula '{name}' from {entry.start} is not implemented"
                    )
    return problems


def assess(shipment: Shipment, catalogue: Catalogue, sources: Sources) -> Assessment:
    try:
        return _assess(shipment, catalogue, sources)
    except ParameterMissing as exc:
        raise RevenueError(str(exc), "/as_of") from exc


def _assess(shipment: Shipment, catalogue: Catalogue, sources: Sources) -> Assessment:
    # Where the law places the destination and the place of dispatch (territories.yaml): Monaco is
    # assessed as France, Büsingen as Switzerland; Ceuta is refused; France to Germany is no import.
    route = territory.route(catalogue, shipment)
    jurisdiction, _member = catalogue.resolve(route.destination.assessed_as)
    context = {
        "origin": shipment.origin_country,
        "channel": shipment.channel,
        "nature": shipment.nature,
        "transport_mode": shipment.transport_mode,
    }
    params = catalogue.params(route.destination.assessed_as, shipment.as_of, context)
    # The customs rate by the jurisdiction's rule (exchange.rule): which published rate, how old it
    # may be; a rate the rule does not allow makes the result incomplete (revenue.exchange).
    try:
        conversion = customs_rate(
            params.find("exchange.rule"), sources.rates, shipment.currency, jurisdiction.currency, shipment.as_of
        )
    except NoExchangeRate as exc:
        raise RevenueError(str(exc), "/currency") from exc
    exchange = conversion.rate
    c = Computation(
        shipment=shipment, params=params, sources=sources, exchange=exchange, currency=jurisdiction.currency
    )
    c.explain_rate(conversion)
    _value(c)
    _restricted(c)
    steps = territory.begin(c, route)
    # Whether a checkout scheme covers the sale is known before any formula runs: some reliefs
    # depend on it (Norway: no duty on VOEC sales; Switzerland: no CHF 5 minimum for a registered
    # seller). After the territory step, which drops a number that does not cover the place.
    c.scheme = collection.vendor_scheme(c)
    if steps.assess:
        if not _special_nature(c):
            if steps.duty:
                DUTY_FORMULAS[str(params.formula("duty").value)](c, params.formula("duty"))
                _round_duty_total(c)
                fees(c)  # before the tax: a jurisdiction may tax the fees too (tax.base: [..., fees])
            if steps.tax:
                TAX_FORMULAS[str(params.formula("tax").value)](c, params.formula("tax"))
            else:
                territory.local_tax(c, route)
        else:
            # A relief before the formulas frees the goods of duty and tax, not of every charge: New
            # Zealand's low-value goods levy is per consignment, gifts included.
            fees_for_relieved(c)
    territory.finish(c, route)
    # A figure one of whose lines is unknown is absent, never a partial sum; so is the total.
    duty, tax, fee = (c.known_total(kind) for kind in ("duty", "tax", "fee"))
    total = None if duty is None or tax is None or fee is None else duty + tax + fee
    complete = not c.missing and all(line.amount is not None for line in c.lines)
    due = bool(duty or tax or fee) or not complete
    # No import, no customs category: nothing is declared (2: nothing due).
    category = _irg_category(c, due=due) if steps.assess else 2
    collected = collection.decide(c, due=due)
    return Assessment(
        destination=shipment.destination,
        jurisdiction=jurisdiction.code,
        as_of=shipment.as_of,
        currency=c.currency,
        irg_category=category,
        collection_model=collected.model,
        duty=duty,
        tax=tax,
        fees=fee,
        total=total,
        complete=complete,
        lines=c.lines,
        warnings=c.warnings,
        parameters=params.versions(),
        exchange_rate=exchange,
        intrinsic_value=c.round_value(c.intrinsic),
        customs_value=c.round_value(c.value_of(("goods", "transport", "insurance"))),
        tax_scheme=collected.scheme,
        tax_scheme_id=collected.scheme_id,
        per_person_value=c.per_person_value,
        engine=ENGINE,
        missing=list(c.missing),
    )


def _value(c: Computation) -> None:
    """Item values, transport and insurance in the destination's currency, with any valuation factor."""
    factor: Resolved | None = None
    if c.shipment.nature == "sale":
        factor = c.params.find("valuation.personal_use_factor")
    multiplier = factor.decimal() if factor is not None else Decimal(1)
    c.item_values = [c.convert_in(item.value) * multiplier for item in c.items]
    c.transport = c.convert_in(c.shipment.shipping)
    c.insurance = c.convert_in(c.shipment.insurance)
    if factor is not None:
        c.add(
            "info",
            "valuation.personal_use",
            f"Goods bought for personal use are valued at {factor.decimal() * 100:f} % of the price paid",
            Decimal(0),
            used=[factor],
            base=c.intrinsic,
        )


def _special_nature(c: Computation) -> bool:
    """Documents, returned goods and small gifts are relieved before any formula runs."""
    nature = c.shipment.nature
    if nature == "documents":
        c.add(
            "relief", "nature.documents", "Documents with no commercial value: no duty or tax",
            Decimal(0), reference="WCO Immediate Release Guidelines, category 1",
        )  # fmt: skip
        return True
    if nature == "return":
        relief = c.params.find("returned_goods.relief")
        if relief is not None:
            c.add(
                "relief", "nature.returned_goods",
                "Returned goods relief: goods coming back unaltered after export pay no duty or tax",
                Decimal(0), used=[relief], base=c.intrinsic,
            )  # fmt: skip
            c.warn("proof_of_export_required", "returned goods relief needs proof that the goods were exported")
            return True
    if nature == "gift":
        return gifts.relieve(c)
    return False


def _restricted(c: Computation) -> None:
    """Excise and restricted goods are outside the low-value regimes, the schemes and the carriers' collection."""
    restricted = c.params.find("restricted.hs_prefixes")
    if restricted is None:
        return
    for item in c.items:
        if any(item.hs_code.startswith(str(prefix)) for prefix in restricted.value):
            c.restricted = True
            c.category_four.append(f"item {item.line} (HS {item.hs_code}) is restricted or excise goods")


def _irg_category(c: Computation, *, due: bool) -> int:
    """WCO Immediate Release Guidelines: 1 documents, 2 nothing due, 3 low-value dutiable, 4 full declaration."""
    if c.shipment.nature == "documents":
        return 1
    ceiling = c.params.find("low_value.ceiling")
    # The ceiling compares the goods alone unless the law sets it on the customs value (Japan's
    # JPY 200,000 on the CIF taxable value, Brazil's USD 3,000 with transport and insurance).
    basis = str(c.params.value("low_value.ceiling_basis", "intrinsic"))
    value = c.intrinsic if basis == "intrinsic" else c.value_of(("goods", "transport", "insurance"))
    if ceiling is not None and c.round_value(value) > c.money(ceiling):
        what = "intrinsic value" if basis == "intrinsic" else "customs value"
        c.category_four.append(f"the {what} exceeds the low-value ceiling of {c.fmt(c.money(ceiling))}")
    if c.category_four:
        c.warn("full_declaration_required", "; ".join(dict.fromkeys(c.category_four)))
        return 4
    return 3 if due else 2


def _round_duty_total(c: Computation) -> None:
    """Where the law rounds the duty of a declaration once, not line by line (Japan truncates the
    total to JPY 100), the lines keep the minor unit and one line brings the total to the step."""
    spec = c.params.find("rounding.duty_total")
    if spec is None:
        return
    total = c.total("duty")
    step = Decimal(str(spec.value["quantum"]))
    mode = _MODES[str(spec.value.get("mode", "down"))]
    rounded = (total / step).quantize(Decimal(1), rounding=mode) * step
    if rounded != total:
        c.add(
            "duty",
            "duty.rounding",
            f"Duty total {c.fmt(total)} rounded to a multiple of {step:f} {c.currency}",
            rounded - total,
            used=[spec],
            base=total,
        )
