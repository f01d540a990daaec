"""Currencies of simulated transactions: a small fixed rate table and the checkout currency mix.

The rates are fixed, rounded values close to the ECB reference rates of late 2025. They only turn
simulated EUR prices into plausible foreign prices; the revenue engine uses its own dated rates.
Fixed rates keep the output reproducible: the same seed gives the same amounts on any day.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from clearway.dataset.identifiers import currency_quantum
from clearway.simulate.names import EURO_AREA

# Units of the currency per 1 EUR.
EUR_RATES: dict[str, Decimal] = {
    "EUR": Decimal("1"),
    "USD": Decimal("1.16"),
    "GBP": Decimal("0.87"),
    "CAD": Decimal("1.62"),
    "AUD": Decimal("1.78"),
    "CHF": Decimal("0.94"),
    "NOK": Decimal("11.70"),
    "SEK": Decimal("11.00"),
    "DKK": Decimal("7.46"),
    "PLN": Decimal("4.25"),
    "CZK": Decimal("24.30"),
    "HUF": Decimal("390"),
    "RON": Decimal("5.08"),
}

# Checkout currency by destination: marketplaces price in the buyer's currency, with a share of
# USD checkouts (global storefronts) and EUR in the non-euro member states.
_LOCAL: dict[str, str] = {
    "GB": "GBP",
    "US": "USD",
    "CA": "CAD",
    "AU": "AUD",
    "CH": "CHF",
    "NO": "NOK",
    "SE": "SEK",
    "DK": "DKK",
    "PL": "PLN",
    "CZ": "CZK",
    "HU": "HUF",
    "RO": "RON",
}


def currency_mix(destination: str) -> tuple[tuple[str, ...], tuple[float, ...]]:
    """Checkout currencies for buyers in ``destination`` with their cumulative weights."""
    pairs: tuple[tuple[str, float], ...]
    if destination in EURO_AREA:
        pairs = (("EUR", 0.92), ("USD", 0.08))
    elif destination == "US":
        pairs = (("USD", 1.0),)
    elif destination in ("GB", "CA", "AU"):
        pairs = ((_LOCAL[destination], 0.85), ("USD", 0.15))
    elif destination in ("CH", "NO"):
        pairs = ((_LOCAL[destination], 0.6), ("EUR", 0.3), ("USD", 0.1))
    else:  # the EU member states outside the euro area
        pairs = ((_LOCAL[destination], 0.35), ("EUR", 0.55), ("USD", 0.1))
    names = tuple(name for name, _ in pairs)
    cumulative = []
    total = 0.0
    for _, weight in pairs:
        total += weight
        cumulative.append(total)
    return names, tuple(cumulative)


def from_eur(amount_eur: float | Decimal, currency: str) -> Decimal:
    """An EUR amount in ``currency``, rounded half-up to the currency's minor unit."""
    value = Decimal(str(amount_eur)) * EUR_RATES[currency]
    return value.quantize(currency_quantum(currency), rounding=ROUND_HALF_UP)


def to_eur(amount: Decimal, currency: str) -> Decimal:
    """An amount in ``currency`` in EUR, rounded to the cent."""
    return (amount / EUR_RATES[currency]).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
