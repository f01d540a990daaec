"""Tax formulas (VAT, GST, composite taxes) and fees. Each writes explained lines."""

from __future__ import annotations

from collections.abc import Callable
from decimal import ROUND_DOWN, Decimal

from clearway.jurisdictions import Resolved
from clearway.revenue.context import Computation, rate_text
from clearway.revenue.thresholds import limit_words, threshold_relief

_DEFAULT_BASE = ("goods", "transport", "insurance", "duty")


def _base(c: Computation) -> tuple[Decimal, Resolved | None]:
    base_param = c.params.find("tax.base")
    components = tuple(base_param.value) if base_param else _DEFAULT_BASE
    return c.value_of(components, duty=c.total("duty"), fees=c.total("fee"), charged=True), base_param


def _unknown_base(c: Computation, base_param: Resolved | None, formula: Resolved) -> bool:
    """When the tax base includes the duty (or fees) and one is unknown, the tax is unknown too:
    write it so, with what would complete it, and make no decision (a minimum, a threshold) on a
    partial value."""
    components = tuple(base_param.value) if base_param else _DEFAULT_BASE
    missing = [
        part for part in ("duty", "fees") if part in components and c.unknown("duty" if part == "duty" else "fee")
    ]
    if not missing:
        return False
    name = _name(c)
    c.add(
        "tax",
        "tax.unknown",
        f"{name} cannot be computed: its base includes the {' and the '.join(missing)}, which is unknown",
        None,
        used=[base_param, formula],
    )
    c.incomplete(
        "tax_unknown",
        f"{name} is not computed because the {' and the '.join(missing)} in its base is unknown; "
        "it follows once the duty rate is supplied or the tariff loaded",
    )
    return True


def _name(c: Computation) -> str:
    return str(c.params.value("tax.name", "VAT"))


def vat(c: Computation, formula: Resolved) -> None:
    """Value added tax (or GST) at the standard rate on the jurisdiction's import base, above its threshold."""
    relieved, threshold, value = threshold_relief(c, "tax")
    name = _name(c)
    if relieved and threshold is not None:
        c.add(
            "relief",
            "tax.below_threshold",
            f"No {name}: the value of {c.fmt(value)} {limit_words(c, 'tax')} "
            f"the {name} threshold of {c.fmt(c.money(threshold))}",
            Decimal(0),
            used=[threshold, c.params.find("tax.threshold_basis"), c.params.find("tax.threshold_comparison"), formula],
            base=value,
        )
        return
    rate = c.params.get("tax.rate")
    base, base_param = _base(c)
    if _unknown_base(c, base_param, formula):
        return
    amount = base * rate.decimal()
    minimum = c.params.find("tax.minimum_levied")
    if minimum is not None and _scheme_in(c, "tax.minimum_levied_excluded_schemes"):
        # The seller registered under the scheme makes a domestic supply and owes the tax in full:
        # the small-amount remission is one of import tax only (Switzerland's CHF 5, MWSTG Art. 7(3)(b)).
        minimum = None
    if minimum is not None and c.round(amount) <= c.money(minimum):
        c.add(
            "relief",
            "tax.not_levied",
            f"{name} of {c.fmt(c.round(amount))} is not levied: it does not exceed {c.fmt(c.money(minimum))}",
            Decimal(0),
            used=[minimum, rate, base_param, formula],
            base=base,
            rate=rate_text(rate.decimal()),
        )
        return
    c.add(
        "tax",
        "tax.vat",
        f"{name} at {rate_text(rate.decimal())} on {_describe_base(base_param)}",
        amount,
        used=[rate, base_param, formula],
        base=base,
        rate=rate_text(rate.decimal()),
    )


def vat_national_local(c: Computation, formula: Resolved) -> None:
    """A national tax and a local tax levied as a fraction of it, each rounded on its own, on a base
    truncated to a step (Japan: 7.8 % national consumption tax on the taxable value truncated to
    JPY 1,000, and local consumption tax of 22/78 of the national tax, each truncated to JPY 100)."""
    relieved, threshold, value = threshold_relief(c, "tax")
    name = _name(c)
    if relieved and threshold is not None:
        c.add(
            "relief",
            "tax.below_threshold",
            f"No {name}: the value of {c.fmt(value)} does not exceed the threshold of {c.fmt(c.money(threshold))}",
            Decimal(0),
            used=[threshold, formula],
            base=value,
        )
        return
    rate = c.params.get("tax.rate")
    ratio = c.params.get("tax.local_ratio")
    step = c.params.get("tax.base_quantum")
    value, base_param = _base(c)
    if _unknown_base(c, base_param, formula):
        return
    base = (value / step.decimal()).to_integral_value(rounding=ROUND_DOWN) * step.decimal()
    national = c.add(
        "tax",
        "tax.national",
        f"National {name.lower()} at {rate_text(rate.decimal())} on {_describe_base(base_param)}, "
        f"truncated to a multiple of {step.decimal():f} {c.currency}",
        base * rate.decimal(),
        used=[rate, step, base_param, formula],
        base=base,
        rate=rate_text(rate.decimal()),
    )
    numerator, denominator = (Decimal(str(x)) for x in ratio.value)
    national_amount = national.amount or Decimal(0)
    c.add(
        "tax",
        "tax.local",
        f"Local {name.lower()}: {numerator:f}/{denominator:f} of the national tax",
        national_amount * numerator / denominator,
        used=[ratio, formula],
        base=national_amount,
        rate=f"{numerator:f}/{denominator:f}",
    )


def vat_inclusive(c: Computation, formula: Resolved) -> None:
    """A tax computed 'by inside' (Brazil's ICMS): its own amount is part of its base, so base = value / (1 - rate)."""
    rate = c.params.get("tax.rate")
    value, base_param = _base(c)
    if _unknown_base(c, base_param, formula):
        return
    base = value / (1 - rate.decimal())
    c.add(
        "tax",
        "tax.inclusive",
        f"{_name(c)} at {rate_text(rate.decimal())}, computed on a base that includes the tax itself "
        f"({c.fmt(value)} / (1 - {rate.decimal():f}))",
        base * rate.decimal(),
        used=[rate, base_param, formula],
        base=base,
        rate=rate_text(rate.decimal()),
    )


def cbec_composite(c: Computation, formula: Resolved) -> None:
    """China: VAT and consumption tax at a reduced share of the statutory amount within the limits.

    Composite rate = (consumption tax + VAT) / (1 - consumption tax) x share; with VAT 13 %, no
    consumption tax and a 70 % share: 9.1 %.
    """
    vat_rate = c.params.get("tax.rate")
    share = c.params.get("cbec.tax_share")
    consumption = c.params.find("cbec.consumption_tax")
    general = bool(c.category_four)
    if general and _unknown_base(c, None, formula):
        return
    for index, item in enumerate(c.items):
        ct = _consumption_rate(consumption, item.hs_code)
        base = c.item_share(index, ("goods", "transport", "insurance"))
        if general:
            duty = sum(
                (x.amount or Decimal(0) for x in c.lines if x.kind == "duty" and x.item == item.line), Decimal(0)
            )
            rate = (vat_rate.decimal() + ct) / (1 - ct)
            c.add(
                "tax",
                "tax.general_trade",
                f"Import VAT{' and consumption tax' if ct else ''} in full on item {item.line} (general trade)",
                (base + duty) * rate,
                used=[vat_rate, consumption if ct else None, formula],
                base=base + duty,
                rate=rate_text(rate),
                item=item.line,
            )
            continue
        rate = (vat_rate.decimal() + ct) / (1 - ct) * share.decimal()
        c.add(
            "tax",
            "tax.cbec_composite",
            f"Composite tax on item {item.line}: "
            f"(consumption tax {rate_text(ct)} + VAT {rate_text(vat_rate.decimal())}) "
            f"/ (1 - {rate_text(ct)}) x {rate_text(share.decimal())}",
            base * rate,
            used=[vat_rate, share, consumption if ct else None, formula],
            base=base,
            rate=rate_text(rate.quantize(Decimal("0.0001"))),
            item=item.line,
        )


def _consumption_rate(consumption: Resolved | None, hs_code: str) -> Decimal:
    if consumption is None:
        return Decimal(0)
    table: dict[str, Decimal] = consumption.value
    for length in range(len(hs_code), 1, -1):
        if hs_code[:length] in table:
            return Decimal(table[hs_code[:length]])
    return Decimal(0)


def none(c: Computation, formula: Resolved) -> None:
    c.add("info", "tax.none", "No import VAT or GST is charged on these goods", Decimal(0), used=[formula])


def included_in_duty(c: Computation, formula: Resolved) -> None:
    c.add("info", "tax.included", f"{_name(c)} is included in the global rate", Decimal(0), used=[formula])


def _scheme_in(c: Computation, name: str) -> bool:
    """Whether the checkout scheme covering the sale is one the parameter ``name`` lists."""
    schemes = c.params.find(name)
    return schemes is not None and c.scheme is not None and str(c.scheme["scheme"]) in schemes.value


# A fee's value band, as the law writes it: "over 1,000" (above), "10,000 or more" (at_least),
# "1,000 or less" (up_to), "less than 10,000" (below).
_BOUNDS: dict[str, Callable[[Decimal, Decimal], bool]] = {
    "above": lambda value, limit: value > limit,
    "at_least": lambda value, limit: value >= limit,
    "up_to": lambda value, limit: value <= limit,
    "below": lambda value, limit: value < limit,
}


def fees(c: Computation) -> None:
    """Fixed charges the law attaches to an import (a processing charge, a levy), when they apply."""
    _fees(c, relieved=None)


def fees_for_relieved(c: Computation) -> None:
    """The charges still due on a consignment relieved of duty and tax before any formula ran (a gift):
    only the fees whose ``relieved_natures`` name its nature (New Zealand's low-value goods levy is
    per consignment, gifts included)."""
    _fees(c, relieved=c.shipment.nature)


def _fees(c: Computation, *, relieved: str | None) -> None:
    resolved = c.params.find("fees")
    if resolved is None:
        return
    # ``fees.basis`` says which value the bands compare: the customs value with transport and
    # insurance (the default) or the goods alone where the customs value is FOB (Australia, New
    # Zealand). Compared as declared, to the cent.
    basis = c.params.find("fees.basis")
    intrinsic = basis is not None and basis.value == "intrinsic"
    value = c.round_value(c.intrinsic if intrinsic else c.value_of(("goods", "transport", "insurance")))
    for fee in resolved.value:
        if relieved is not None and relieved not in fee.get("relieved_natures", ()):
            continue
        channels = fee.get("channels")
        if channels is not None and c.shipment.channel not in channels:
            continue
        currency = fee.get("currency", c.currency)
        limits = {key: c.round_value(c.convert(Decimal(fee[key]), currency)) for key in _BOUNDS if key in fee}
        if not all(_BOUNDS[key](value, limit) for key, limit in limits.items()):
            continue
        amount = c.convert(Decimal(fee["amount"]), currency)
        c.add("fee", f"fee.{fee['code']}", str(fee["description"]), amount, used=[resolved, basis], base=value)


def _describe_base(base_param: Resolved | None) -> str:
    names = {"goods": "the goods", "transport": "transport", "insurance": "insurance", "duty": "duty", "fees": "fees"}
    components = tuple(base_param.value) if base_param else _DEFAULT_BASE
    return " + ".join(names[c] for c in components)


TAX_FORMULAS: dict[str, Callable[[Computation, Resolved], None]] = {
    "none": none,
    "vat": vat,
    "vat_inclusive": vat_inclusive,
    "vat_national_local": vat_national_local,
    "cbec_composite": cbec_composite,
    "included_in_duty": included_in_duty,
}
