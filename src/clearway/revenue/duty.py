"""Duty formulas. A jurisdiction file names one per period (``formulas.duty``); each writes lines.

When the shape of the law changes (the EU's flat EUR 3 per item category replacing the EUR 150
relief on 2026-07-01), a new formula is added and the file switches to it on that date.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from clearway.jurisdictions import Resolved
from clearway.revenue.context import Computation, rate_text
from clearway.revenue.tariff import MissingQuantity, Quantities, TariffMeasure, describe, duty_amount
from clearway.revenue.thresholds import relief_line, threshold_relief

_CUSTOMS_VALUE = ("goods", "transport", "insurance")


def tariff(c: Computation, formula: Resolved, *, relief: bool = True) -> None:
    """Duty per item from the tariff (or the rate the declarant supplied), above the duty threshold."""
    if _scheme_exempt(c, formula):
        return
    if relief:
        relieved, threshold, value = threshold_relief(c, "duty")
        if relieved and threshold is not None:
            relief_line(c, "duty", threshold, value, formula)
            return
    valuation_param = c.params.find("duty.valuation")
    valuation = tuple(valuation_param.value) if valuation_param else _CUSTOMS_VALUE
    book_code = str(c.params.value("tariff.jurisdiction", c.params.jurisdiction.code))
    gift_rate = _gift_flat_rate(c)
    for index, item in enumerate(c.items):
        if c.charged and not c.charged[index]:
            continue  # wholly relieved (a gift's item within the limit): the relief line says so
        base = c.item_share(index, valuation, charged=True)
        if gift_rate is not None and not any(item.hs_code.startswith(p) for p in gift_rate.value.get("except", ())):
            rate = Decimal(str(gift_rate.value["rate"]))
            c.add(
                "duty",
                "duty.gift_flat_rate",
                f"Duty on item {item.line} (HS {item.hs_code}) at the flat rate for goods in a non-commercial "
                f"consignment between private persons",
                base * rate,
                used=[gift_rate, valuation_param, formula],
                base=base,
                rate=rate_text(rate),
                item=item.line,
            )
            continue
        measure = c.sources.tariff.find(book_code, item.hs_code, item.origin, c.as_of)
        if item.duty_rate is not None:
            _declared(c, index, base, measure, [valuation_param, formula])
            continue
        if measure is None:
            _unknown(
                c,
                index,
                base,
                f"no tariff measure for HS {item.hs_code} is loaded for {book_code} on {c.as_of}",
                [valuation_param, formula],
            )
            continue
        kg = item.net_weight_kg * item.quantity if item.net_weight_kg is not None else None
        try:
            amount = duty_amount(measure, base, Quantities(items=item.quantity, kg=kg), c.convert)
        except MissingQuantity as exc:
            _unknown(c, index, base, str(exc), [valuation_param, formula])
            continue
        c.add(
            "duty",
            "duty.tariff",
            f"Duty on item {item.line} (HS {item.hs_code}, "
            f"{measure.measure_type.replace('_', ' ')} measure for {measure.code})",
            amount,
            used=[valuation_param, formula],
            base=base,
            rate=describe(measure.terms),
            item=item.line,
            reference=measure.reference or measure.source,
        )


def _gift_flat_rate(c: Computation) -> Resolved | None:
    """The flat duty rate for gifts (EU 2.5 % up to EUR 700, UK 2.5 % up to GBP 630), when it applies."""
    if c.shipment.nature != "gift":
        return None
    spec = c.params.find("gift.flat_duty_rate")
    if spec is None:
        return None
    limit = c.limit(Decimal(str(spec.value["up_to"])), str(spec.value.get("currency", c.currency)))
    return spec if c.round_value(c.intrinsic) <= limit else None


def _declared(
    c: Computation, index: int, base: Decimal, measure: TariffMeasure | None, used: list[Resolved | None]
) -> None:
    """Duty at the rate the declarant supplied: the line names the tariff measure it stands for
    when one is loaded (and warns when they differ), or says that it was not checked."""
    item = c.items[index]
    rate = item.duty_rate if item.duty_rate is not None else Decimal(0)
    law = _references(c, used)
    if measure is None:
        checked = "not checked: no tariff measure for this code is loaded"
        reference = f"{law}; rate supplied by the declarant, not checked against a tariff measure"
    else:
        tariff_rate = measure.ad_valorem()
        agrees = tariff_rate is not None and tariff_rate == rate
        checked = f"standing for the {measure.code} measure ({describe(measure.terms)})"
        reference = f"{measure.reference or measure.source}; rate supplied by the declarant"
        if not agrees:
            c.warn(
                "declared_duty_rate_differs",
                f"item {item.line}: the duty rate supplied ({rate_text(rate)}) differs from the loaded "
                f"{measure.code} measure ({describe(measure.terms)}); the rate supplied was used",
            )
    c.add(
        "duty",
        "duty.declared_rate",
        f"Duty on item {item.line} (HS {item.hs_code}) at the rate supplied with the request, {checked}",
        base * rate,
        used=used,
        base=base,
        rate=rate_text(rate),
        item=item.line,
        reference=reference,
    )


def _references(c: Computation, used: list[Resolved | None]) -> str:
    return "; ".join(dict.fromkeys(r.reference for r in used if r is not None))


def _scheme_exempt(c: Computation, formula: Resolved) -> bool:
    """Goods sold under a checkout scheme the law frees of customs duty (``duty.exempt_schemes``:
    Norway's VOEC goods are free of customs duty whatever the tariff says)."""
    exempt = c.params.find("duty.exempt_schemes")
    if exempt is None or c.scheme is None or str(c.scheme["scheme"]) not in exempt.value:
        return False
    c.add(
        "relief",
        "duty.scheme_exempt",
        f"No customs duty: goods sold under {c.scheme['scheme']} are free of customs duty",
        Decimal(0),
        used=[exempt, formula],
        base=c.value_of(_CUSTOMS_VALUE),
    )
    return True


def _unknown(c: Computation, index: int, base: Decimal, why: str, used: list[Resolved | None]) -> None:
    item = c.items[index]
    c.add(
        "duty",
        "duty.rate_unknown",
        f"Duty on item {item.line} (HS {item.hs_code}) is due but cannot be computed: {why}",
        None,
        base=base,
        item=item.line,
        # What the duty would be charged under: the tariff law and the valuation it uses.
        reference=_references(c, used),
    )
    c.incomplete("duty_rate_unknown", f"item {item.line}: {why}; supply duty_rate or load the tariff")


def none(c: Computation, formula: Resolved) -> None:
    """No customs duty under the regime in force (e.g. China's cross-border retail import)."""
    c.add(
        "info",
        "duty.none",
        "No customs duty is charged on these goods under the regime in force",
        Decimal(0),
        used=[formula],
    )


def flat_per_category(c: Computation, formula: Resolved) -> None:
    """A flat amount per distinct 6-digit subheading for consignments up to a ceiling; the tariff above it."""
    ceiling = c.params.get("duty.flat_ceiling")
    flat = c.params.get("duty.flat_amount")
    if c.round_value(c.intrinsic) > c.money(ceiling):
        tariff(c, formula, relief=False)
        return
    categories: dict[str, list[int]] = {}
    for item in c.items:
        categories.setdefault(item.hs_code[:6], []).append(item.line)
    for subheading, lines in categories.items():
        items = ", ".join(map(str, lines))
        c.add(
            "duty",
            "duty.flat_per_item_category",
            f"Flat duty for item category HS {subheading} (item{'s' if len(lines) > 1 else ''} {items}): "
            f"the consignment's intrinsic value of {c.fmt(c.intrinsic)} does not exceed {c.fmt(c.money(ceiling))}",
            c.money(flat),
            used=[flat, ceiling, formula],
            base=c.intrinsic,
            rate=f"{flat.decimal():f} {flat.currency or c.currency} per category",
        )


def global_rate(c: Computation, formula: Resolved) -> None:
    """One rate on the customs value standing for duty and tax together (Mexico's courier regime)."""
    relieved, threshold, value = threshold_relief(c, "duty")
    if relieved and threshold is not None:
        relief_line(c, "duty", threshold, value, formula)
        return
    rate = c.params.get("duty.global_rate")
    valuation_param = c.params.find("duty.valuation")
    base = c.value_of(tuple(valuation_param.value) if valuation_param else _CUSTOMS_VALUE)
    c.add(
        "duty",
        "duty.global_rate",
        "Global rate of the simplified courier regime, standing for duty and value added tax together",
        base * rate.decimal(),
        used=[rate, valuation_param, formula],
        base=base,
        rate=rate_text(rate.decimal()),
    )


def tiered(c: Computation, formula: Resolved) -> None:
    """An import tax by value band, each band a rate less a fixed deduction (Brazil's Remessa Conforme)."""
    tiers = c.params.get("duty.tiers")
    valuation_param = c.params.find("duty.valuation")
    base = c.value_of(tuple(valuation_param.value) if valuation_param else _CUSTOMS_VALUE)
    chosen = tiers.value[-1]
    for tier in tiers.value:
        limit = tier.get("up_to")
        if limit is not None and c.round_value(base) <= c.limit(Decimal(limit), tiers.currency or c.currency):
            chosen = tier
            break
    rate = Decimal(chosen["rate"])
    deduction = c.convert(Decimal(chosen.get("deduction", 0)), tiers.currency or c.currency)
    unit = tiers.currency or c.currency
    text = rate_text(rate) + (f" less {Decimal(chosen['deduction']):f} {unit}" if deduction else "")
    band = f"up to {chosen['up_to']}" if chosen.get("up_to") is not None else "above the last limit"
    c.add(
        "duty",
        "duty.tiered",
        f"Import tax for the value band {band} {unit}",
        max(base * rate - deduction, Decimal(0)),
        used=[tiers, valuation_param, formula],
        base=base,
        rate=text,
    )


def cbec(c: Computation, formula: Resolved) -> None:
    """China's cross-border retail import: tariff 0 % within the per-transaction and annual limits."""
    per_transaction = c.params.get("cbec.transaction_limit")
    annual = c.params.get("cbec.annual_limit")
    value = c.round_value(c.value_of(_CUSTOMS_VALUE))
    prior = c.shipment.prior.year if c.shipment.prior is not None else Decimal(0)
    # A single indivisible item over the per-transaction limit may still enter under the regime
    # when the annual limit allows (Caiguanshui [2018] No. 49, art. 2); it is then taxed in full.
    single = len(c.items) == 1 and c.items[0].quantity == 1
    over = []
    if value > c.money(per_transaction) and not single:
        over.append(
            f"the value of {c.fmt(value)} exceeds the per-transaction limit of {c.fmt(c.money(per_transaction))}"
        )
    if prior + value > c.money(annual):
        over.append(
            f"with {c.fmt(prior)} already imported this year, the annual limit of {c.fmt(c.money(annual))} is exceeded"
        )
    if not over:
        # Within the regime, the parcel counts against the buyer's annual limit; so does a single
        # indivisible item above the per-transaction limit (taxed in full, but still a CBEC import).
        # A parcel outside the limits is general trade and does not use up the quota.
        c.per_person_value = c.round_value(value)
    if over or (single and value > c.money(per_transaction)):
        why = "; ".join(over) or "a single item above the per-transaction limit is taxed as general trade"
        c.category_four.append(f"outside the cross-border retail import limits: {why}")
        c.warn("cbec_limit_exceeded", f"general trade rules apply: {why}")
        tariff(c, formula, relief=False)
        return
    c.add(
        "relief",
        "duty.cbec_zero",
        "Tariff rate 0 % within the cross-border retail import limits "
        f"({c.fmt(c.money(per_transaction))} per transaction, "
        f"{c.fmt(c.money(annual))} per person per year)",
        Decimal(0),
        used=[per_transaction, annual, formula],
        base=value,
        rate="0 %",
    )


DUTY_FORMULAS: dict[str, Callable[[Computation, Resolved], None]] = {
    "none": none,
    "tariff": tariff,
    "flat_per_category": flat_per_category,
    "global_rate": global_rate,
    "tiered": tiered,
    "cbec": cbec,
}
