"""The operators that send data to customs: platforms, web-shop sellers, couriers, posts, payment firms.

All names are invented. Identifiers that customs checks (VAT numbers, IOSS numbers) are drawn from
the seed and pass the same checks real ones do, so that a simulated submission is never rejected for
a made-up number.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Literal

import msgspec
from stdnum import vatin

from clearway.dataset.records import Address, Party

OperatorKind = Literal["platform", "seller", "courier", "post", "payment_provider"]


class Operator(msgspec.Struct, frozen=True, kw_only=True):
    """One data sender as listed in ``operators.ndjson``; ``id`` is its stable operator id."""

    id: str
    kind: OperatorKind
    name: str
    country: str


@dataclass(frozen=True, slots=True)
class Platform:
    operator: Operator
    party: Party
    domain: str
    ioss: str  # EU Import One-Stop-Shop number (deemed supplier for consignments <= EUR 150)
    uk_vat: str  # UK VAT number used for goods <= GBP 135 sold to UK buyers
    voec: str  # Norwegian VOEC number
    arn: str  # Australian ARN (GST on low-value imported goods)
    payment_weights: tuple[float, ...]  # cumulative weights over the payment providers
    share: float


@dataclass(frozen=True, slots=True)
class Carrier:
    operator: Operator
    party: Party
    prefix: str  # house waybill prefix (couriers) or S10 issuing country (posts)
    is_post: bool
    airline_prefix: str  # IATA airline prefix of the master air waybills it consolidates on
    origins: dict[str, float] = field(default_factory=dict)  # weight per origin; "*" = any origin


@dataclass(frozen=True, slots=True)
class PaymentProvider:
    operator: Operator
    party: Party
    prefix: str


def _party(name: str, country: str, line1: str, city: str, vat: str | None = None, operator_id: str = "") -> Party:
    # The party carries its operator id: declarations name the operators whose documents they link.
    address = Address(line1=line1, city=city, country=country)
    return Party(name=name, country=country, address=address, vat=vat, operator_id=operator_id or None)


def _valid_vat(rng: random.Random, country: str, digits: int, suffix: str = "") -> str:
    """A VAT number of ``country`` with correct check digits (draw until python-stdnum accepts it)."""
    while True:
        number = f"{country}{rng.randrange(10 ** (digits - 1), 10**digits)}{suffix}"
        if country == "IE":
            number += "ABCDEFGHIJKLMNOPQRSTUVW"[rng.randrange(23)]
        if vatin.is_valid(number):
            return number


# IOSS numbers: "IM" + the ISO 3166 numeric code of the member state of identification + 7 digits.
_NUMERIC = {"IE": "372", "NL": "528", "LU": "442", "DE": "276"}

_PLATFORMS = (
    ("ShopWorld Marketplace", "IE", "1 Grand Canal Square", "Dublin", "shopworld.example", 0.30),
    ("Bazaaro", "NL", "Herengracht 420", "Amsterdam", "bazaaro.example", 0.20),
    ("GlobeCart", "LU", "12 Rue Erasme", "Luxembourg", "globecart.example", 0.15),
    ("Pingo Mall Europe", "IE", "25 North Wall Quay", "Dublin", "pingomall.example", 0.25),
    ("DealNest", "DE", "Friedrichstraße 68", "Berlin", "dealnest.example", 0.10),
)
# (name, country, city, house waybill prefix, IATA airline prefix of its master air waybills,
# share of each origin's courier parcels it carries; "*" is any origin not named).
PLATFORM_SHARES: tuple[float, ...] = tuple(row[-1] for row in _PLATFORMS)
_COURIERS = (
    ("SkyBridge Express", "HK", "Hong Kong", "SBX", "160", {"CN": 0.3, "HK": 0.7, "*": 0.6}),
    ("Dragon Fast Logistics", "CN", "Shenzhen", "DFL", "784", {"CN": 0.5}),
    ("Atlas Parcel Services", "US", "Memphis", "APS", "176", {"CN": 0.2, "HK": 0.3, "US": 1.0, "*": 0.4}),
    ("Meridian Courier", "GB", "East Midlands", "MRC", "125", {"GB": 1.0, "TR": 0.2}),
    ("Bosphorus Express", "TR", "İstanbul", "BEX", "235", {"TR": 0.8}),
)
# Designated postal operators; an item's S10 id ends in the country of the post that issued it.
_POSTS = (
    ("Huaxia Post", "CN", "Beijing", "999"),
    ("Victoria Harbour Post", "HK", "Hong Kong", "160"),
    ("Union Postal Service", "US", "Washington", "001"),
    ("Britannia Mail", "GB", "London", "125"),
)
_PAYMENTS = (
    ("PayLink Europe", "LU", "Luxembourg", "PLK"),
    ("CardStream Payments", "NL", "Amsterdam", "CSP"),
    ("AsiaPay Connect", "HK", "Hong Kong", "APC"),
    ("Northwind Pay", "IE", "Dublin", "NWP"),
)


@dataclass(frozen=True, slots=True)
class Operators:
    platforms: tuple[Platform, ...]
    couriers: tuple[Carrier, ...]
    posts: tuple[Carrier, ...]
    payment_providers: tuple[PaymentProvider, ...]
    webshops: tuple[Operator, ...]

    def all(self) -> list[Operator]:
        carriers = (*self.couriers, *self.posts)
        return [
            *(p.operator for p in self.platforms),
            *self.webshops,
            *(c.operator for c in carriers),
            *(p.operator for p in self.payment_providers),
        ]


def build_operators(seed: int, webshop_names: list[tuple[str, str]]) -> Operators:
    """Every operator of a simulation; ``webshop_names`` are (name, country) of the web-shop sellers."""
    rng = random.Random(f"{seed}:operators")
    platforms = []
    for index, (name, country, line1, city, domain, share) in enumerate(_PLATFORMS, start=1):
        digits = {"IE": 7, "NL": 9, "LU": 8, "DE": 9}[country]
        vat = _valid_vat(rng, country, digits, "B01" if country == "NL" else "")
        ioss = f"IM{_NUMERIC[country]}{rng.randrange(10**6, 10**7)}"
        # Each platform routes most checkouts through one preferred payment provider.
        weights = [0.4 / (len(_PAYMENTS) - 1)] * len(_PAYMENTS)
        weights[(index - 1) % len(_PAYMENTS)] = 0.6
        payment = tuple(sum(weights[: i + 1]) for i in range(len(weights)))
        platforms.append(
            Platform(
                Operator(id=f"op-platform-{index}", kind="platform", name=name, country=country),
                _party(name, country, line1, city, vat, f"op-platform-{index}"),
                domain,
                ioss,
                _valid_vat(rng, "GB", 9),
                f"VOEC{rng.randrange(10**6, 10**7)}",
                f"ARN{rng.randrange(10**11, 10**12)}",
                payment,
                share,
            )
        )
    couriers = tuple(
        Carrier(
            Operator(id=f"op-courier-{index}", kind="courier", name=name, country=country),
            _party(name, country, f"{10 + index} Airport Logistics Park", city, operator_id=f"op-courier-{index}"),
            prefix,
            False,
            airline,
            origins,
        )
        for index, (name, country, city, prefix, airline, origins) in enumerate(_COURIERS, start=1)
    )
    posts = tuple(
        Carrier(
            Operator(id=f"op-post-{index}", kind="post", name=name, country=country),
            _party(name, country, "International Mail Centre", city, operator_id=f"op-post-{index}"),
            country,
            True,
            airline,
            {country: 1.0},
        )
        for index, (name, country, city, airline) in enumerate(_POSTS, start=1)
    )
    payments = tuple(
        PaymentProvider(
            Operator(id=f"op-payment-{index}", kind="payment_provider", name=name, country=country),
            _party(name, country, f"{index * 7} Financial Centre", city, operator_id=f"op-payment-{index}"),
            prefix,
        )
        for index, (name, country, city, prefix) in enumerate(_PAYMENTS, start=1)
    )
    webshops = tuple(
        Operator(id=f"op-seller-{index}", kind="seller", name=name, country=country)
        for index, (name, country) in enumerate(webshop_names, start=1)
    )
    return Operators(tuple(platforms), couriers, posts, payments, webshops)
