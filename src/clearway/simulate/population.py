"""A seeded population of sellers (with their shops' products) and buyers, plus the operators.

Sellers, their products and buyers are created on first use from draws taken off a hash of
(seed, kind, country, index[, rank]): the same index is the same person, firm or product in every
run with that seed, however many parcels are generated and in whatever order they are drawn. A run
pays only for the identities it touches, so a population of 100,000 buyers costs nothing until they
buy. Indexes are drawn skewed towards the low end: a few large sellers and many small ones, a few
best-selling products per shop, and buyers who order again and again.
"""

from __future__ import annotations

import math
import random
import unicodedata
from bisect import bisect
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from hashlib import blake2b
from statistics import NormalDist
from typing import NamedTuple

import msgspec

from clearway.dataset.records import Address, Party
from clearway.simulate import names
from clearway.simulate.catalogue import CATEGORY_WEIGHTS, COLOURS, Catalogue, ProductType
from clearway.simulate.money import from_eur
from clearway.simulate.operators import PLATFORM_SHARES, Operator, Operators, build_operators

# Where sellers sit (share of parcels): China-heavy, as in EU and US low-value import statistics.
ORIGIN_WEIGHTS: dict[str, float] = {
    "CN": 60.0, "HK": 8.0, "US": 8.0, "GB": 5.0, "TR": 4.0, "IN": 3.0, "VN": 3.0, "KR": 3.0,
    "JP": 2.0, "TW": 1.5, "TH": 0.8, "PK": 0.6, "MY": 0.6, "ID": 0.5,
}  # fmt: skip
# Where buyers live (share of parcels): EU member states by size of their e-commerce import flow,
# then the other destinations this simulator covers.
DESTINATION_WEIGHTS: dict[str, float] = {
    "DE": 14.0, "FR": 12.0, "IT": 9.0, "ES": 9.0, "NL": 6.0, "PL": 6.0, "BE": 3.0, "AT": 3.0,
    "SE": 3.0, "RO": 2.0, "IE": 2.0, "PT": 2.0, "CZ": 2.0, "GR": 1.5, "DK": 1.5, "HU": 1.0,
    "FI": 1.0, "SK": 0.5, "HR": 0.5, "BG": 0.5, "LT": 0.4, "SI": 0.3, "LV": 0.3, "EE": 0.3,
    "LU": 0.2, "CY": 0.1, "MT": 0.1,
    "GB": 7.0, "US": 5.0, "CA": 2.0, "AU": 2.0, "CH": 1.5, "NO": 0.5,
}  # fmt: skip
PRIVATE_SELLER_SHARE = 0.05
# The sellers that run their own web shop and send their orders to customs themselves.
WEBSHOP_SELLERS: tuple[tuple[str, int], ...] = (("CN", 0), ("CN", 1), ("US", 0), ("GB", 0))
# Share of a non-Chinese seller's products made in China (re-sellers and drop-shippers).
_MADE_IN_CHINA = {"HK": 0.8, "US": 0.5, "GB": 0.5, "KR": 0.2, "JP": 0.2, "TW": 0.2}
_EORI_STATES = ("IE", "NL", "DE", "FR", "BE")
_MAX_PRODUCTS = 40
# Best-sellers: a shop's product of rank r sells in proportion to 1 / (r + 1)^0.8.
_RANK_WEIGHTS = tuple(
    tuple(sum(1.0 / (r + 1) ** 0.8 for r in range(k + 1)) for k in range(n)) for n in range(_MAX_PRODUCTS + 1)
)
_UNIT = 2**32
# Log-normal factors around 1 (a shop's price against the reference price, sigma 0.3; a product's
# weight against the typical weight, sigma 0.15), tabled by quantile.
_PRICE_FACTORS = tuple(math.exp(0.3 * NormalDist().inv_cdf((i + 0.5) / 1000)) for i in range(1000))
_WEIGHT_FACTORS = tuple(math.exp(0.15 * NormalDist().inv_cdf((i + 0.5) / 1000)) for i in range(1000))


def _hash(key: str) -> int:
    """512 uniform bits from a key, identical on every platform and run (unlike hash())."""
    return int.from_bytes(blake2b(key.encode(), digest_size=64).digest(), "big")


@dataclass(slots=True)
class Product:
    sku: str
    name: str
    hs_code: str
    price_eur: float
    net_weight_kg: Decimal
    origin: str
    prices: dict[str, Decimal] = field(default_factory=dict)

    def price(self, currency: str) -> Decimal:
        """The shop's list price in ``currency`` (computed once per currency)."""
        value = self.prices.get(currency)
        if value is None:
            value = self.prices[currency] = from_eur(self.price_eur, currency)
        return value


@dataclass(slots=True, eq=False)
class Seller:
    key: str
    code: str  # SKU prefix, e.g. "CN42"
    country: str
    party: Party
    commercial: bool
    categories: tuple[str, ...]
    product_weights: tuple[float, ...]  # cumulative, one per product rank
    platforms: tuple[int, ...]  # indexes into Operators.platforms
    webshop: Operator | None = None
    products: dict[int, Product] = field(default_factory=dict)  # created on first sale, by rank


class Buyer(NamedTuple):
    key: str
    country: str
    party: Party


def cumulative(weights: list[float] | tuple[float, ...]) -> tuple[float, ...]:
    out, total = [], 0.0
    for weight in weights:
        total += weight
        out.append(total)
    return tuple(out)


@lru_cache(maxsize=4096)
def _ascii(text: str) -> str:
    """A name as it appears in an e-mail address: lower-case ASCII letters and digits."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in folded.lower() if ch.isalnum())


def _postcode(h: int, shape: str, prefix: str) -> str:
    """A postcode of ``shape`` ('9' digit, 'A' letter) starting with ``prefix``, drawn from ``h``."""
    out = [prefix]
    for ch in shape[len(prefix) :]:
        if ch == "9":
            h, r = divmod(h, 10)
            out.append(chr(48 + r))
        elif ch == "A":
            h, r = divmod(h, 26)
            out.append(chr(65 + r))
        else:
            out.append(ch)
    return "".join(out)


class Population:
    """Sellers, buyers and operators of one seed; identities are created lazily and cached."""

    def __init__(self, seed: int, catalogue: Catalogue, sellers: int = 5000, buyers: int = 100_000) -> None:
        self.seed = seed
        self.catalogue = catalogue
        self._origins = tuple(ORIGIN_WEIGHTS)
        self._origin_weights = cumulative(list(ORIGIN_WEIGHTS.values()))
        total = sum(ORIGIN_WEIGHTS.values())
        self._seller_pool = {c: max(5, round(sellers * w / total)) for c, w in ORIGIN_WEIGHTS.items()}
        self._destinations = tuple(DESTINATION_WEIGHTS)
        self._destination_weights = cumulative(list(DESTINATION_WEIGHTS.values()))
        total = sum(DESTINATION_WEIGHTS.values())
        self._buyer_pool = {c: max(50, round(buyers * w / total)) for c, w in DESTINATION_WEIGHTS.items()}
        self._categories = tuple(CATEGORY_WEIGHTS)
        self._category_weights = cumulative(list(CATEGORY_WEIGHTS.values()))
        self._type_weights = {
            category: cumulative([t.popularity for t in types]) for category, types in catalogue.by_category.items()
        }
        self._platform_weights = cumulative(PLATFORM_SHARES)
        self._sellers: dict[tuple[str, int], Seller] = {}
        self._buyers: dict[tuple[str, int], Buyer] = {}
        shops = [self.seller(country, index) for country, index in WEBSHOP_SELLERS]
        self.operators: Operators = build_operators(seed, [(s.party.name, s.country) for s in shops])
        for shop, operator in zip(shops, self.operators.webshops, strict=True):
            shop.webshop = operator
            shop.party = msgspec.structs.replace(shop.party, operator_id=operator.id)

    # -- drawing ---------------------------------------------------------------------------------
    def draw_seller(self, rng: random.Random, commercial: bool = False) -> Seller:
        country = self._origins[bisect(self._origin_weights, rng.random() * self._origin_weights[-1])]
        pool = self._seller_pool[country]
        while True:
            # u**3 puts about 7% of a country's parcels on its largest seller, as marketplaces see.
            seller = self.seller(country, int(pool * rng.random() ** 3))
            if seller.commercial or not commercial:
                return seller

    def draw_product(self, rng: random.Random, seller: Seller) -> Product:
        weights = seller.product_weights
        rank = bisect(weights, rng.random() * weights[-1])
        product = seller.products.get(rank)
        if product is None:
            product = seller.products[rank] = self._make_product(seller, rank)
        return product

    def draw_destination(self, rng: random.Random, exclude: str) -> str:
        while True:
            country = self._destinations[
                bisect(self._destination_weights, rng.random() * self._destination_weights[-1])
            ]
            if country != exclude:
                return country

    def draw_buyer(self, rng: random.Random, country: str) -> Buyer:
        return self.buyer(country, int(self._buyer_pool[country] * rng.random() ** 1.5))

    # -- identities ------------------------------------------------------------------------------
    def seller(self, country: str, index: int) -> Seller:
        key = (country, index)
        seller = self._sellers.get(key)
        if seller is None:
            seller = self._sellers[key] = self._make_seller(country, index)
        return seller

    def buyer(self, country: str, index: int) -> Buyer:
        key = (country, index)
        buyer = self._buyers.get(key)
        if buyer is None:
            buyer = self._buyers[key] = self._make_buyer(country, index)
        return buyer

    def _make_seller(self, country: str, index: int) -> Seller:
        h = _hash(f"{self.seed}:seller:{country}:{index}")
        h, private = divmod(h, 1000)
        # The largest sellers of each country are firms; below them a few private (C2C) sellers.
        commercial = index < 10 or private >= PRIVATE_SELLER_SHARE * 1000
        cities = names.SELLER_CITIES[country]
        streets = names.SELLER_STREETS.get(country, names.SELLER_STREETS["*"])
        h, city = divmod(h, len(cities))
        h, street = divmod(h, len(streets))
        h, number = divmod(h, 399)
        address = Address(line1=f"{number + 1} {streets[street]}", city=cities[city], country=country)
        h, first = divmod(h, 1000)
        h, second = divmod(h, 1000)
        eori = None
        if commercial:
            word, trade = names.FIRM_WORDS[first % len(names.FIRM_WORDS)], names.FIRM_TRADES[second % 9]
            suffix = names.FIRM_SUFFIX[country]
            if country == "CN":
                name = f"{cities[city]} {word} {trade} {suffix}"
            elif suffix == "PT":
                name = f"PT {word} {trade}"
            else:
                name = f"{word} {trade} {suffix}"
            h, has_eori = divmod(h, 10)
            h, state = divmod(h, len(_EORI_STATES))
            h, digits = divmod(h, 9 * 10**11)
            if has_eori < 6:
                eori = f"{'GB' if country == 'GB' else _EORI_STATES[state]}{10**11 + digits}"
        elif country in ("CN", "HK", "TW"):
            given, family = names.PRIVATE_GIVEN_ZH, names.PRIVATE_FAMILY_ZH
            name = f"{given[first % len(given)]} {family[second % len(family)]}"
        else:
            locale = names.LOCALES["en"]
            name = f"{locale.given[first % len(locale.given)]} {locale.family[second % len(locale.family)]}"
        h, primary = divmod(h, _UNIT)
        h, secondary = divmod(h, _UNIT)
        h, two = divmod(h, 10)
        categories = [self._category(primary)]
        if two < 3 and self._category(secondary) not in categories:
            categories.append(self._category(secondary))
        h, size = divmod(h, _UNIT)
        # Shop sizes are Pareto-distributed: most shops list a handful of products, a few dozens.
        count = min(_MAX_PRODUCTS, 3 + int(4 * (1.0 - size / _UNIT) ** (-1 / 1.6)))
        h, several = divmod(h, 10)
        h, draw = divmod(h, _UNIT)
        platforms = [bisect(self._platform_weights, draw / _UNIT * self._platform_weights[-1])]
        if several >= 6:  # 40% of sellers list on a second marketplace
            h, draw = divmod(h, _UNIT)
            second = bisect(self._platform_weights, draw / _UNIT * self._platform_weights[-1])
            platforms.append(second if second != platforms[0] else (second + 1) % len(self._platform_weights))
        party = Party(name=name, country=country, address=address, eori=eori)
        return Seller(
            f"seller-{country}-{index:05d}", f"{country}{index}", country, party, commercial,
            tuple(categories), _RANK_WEIGHTS[count], tuple(platforms),
        )  # fmt: skip

    def _category(self, draw: int) -> str:
        return self._categories[bisect(self._category_weights, draw / _UNIT * self._category_weights[-1])]

    def _make_product(self, seller: Seller, rank: int) -> Product:
        h = _hash(f"{self.seed}:product:{seller.key}:{rank}")
        category = seller.categories[rank % len(seller.categories)]
        types, weights = self.catalogue.by_category[category], self._type_weights[category]
        h, draw = divmod(h, _UNIT)
        kind: ProductType = types[bisect(weights, draw / _UNIT * weights[-1])]
        h, colour = divmod(h, len(COLOURS))
        h, price = divmod(h, 1000)
        h, weight = divmod(h, 1000)
        h, made = divmod(h, 1000)
        name = f"{kind.name}, {COLOURS[colour]}" if kind.coloured else kind.name
        origin = "CN" if made < _MADE_IN_CHINA.get(seller.country, 0.0) * 1000 else seller.country
        return Product(
            f"{seller.code}-{rank + 1:03d}",
            name,
            kind.hs_code,
            max(round(kind.price_eur * _PRICE_FACTORS[price], 2), 0.5),
            Decimal(f"{kind.weight_kg * _WEIGHT_FACTORS[weight]:.3f}"),
            origin,
        )

    def _make_buyer(self, country: str, index: int) -> Buyer:
        # A 256-bit hash of (seed, country, index) supplies the draws, taken off by divmod: a buyer
        # costs a few microseconds, which matters as a large run creates tens of thousands of them.
        key = f"{self.seed}:buyer:{country}:{index}".encode()
        h = int.from_bytes(blake2b(key, digest_size=32).digest(), "big")
        info = names.COUNTRIES[country]
        locale = names.LOCALES[info.locale]
        h, given = divmod(h, len(locale.given))
        h, family = divmod(h, len(locale.family))
        h, street = divmod(h, len(locale.streets))
        h, number = divmod(h, 179)
        h, city = divmod(h, len(info.cities))
        h, domain = divmod(h, len(names.EMAIL_DOMAINS))
        h, suffix = divmod(h, 196)  # half the addresses carry a number 1-98
        h, phone = divmod(h, 9 * 10**8)
        first, last = locale.given[given], locale.family[family]
        line1 = (
            f"{number + 1} {locale.streets[street]}"
            if locale.number_first
            else f"{locale.streets[street]} {number + 1}"
        )
        city_name, prefix = info.cities[city]
        address = Address(line1=line1, city=city_name, country=country, postcode=_postcode(h, info.postcode, prefix))
        tag = str(suffix // 2 + 1) if suffix % 2 else ""
        email = f"{_ascii(first)}.{_ascii(last)}{tag}@{names.EMAIL_DOMAINS[domain]}"
        party = Party(
            name=f"{first} {last}",
            country=country,
            address=address,
            email=email,
            phone=f"+1 {2 * 10**9 + phone}" if info.calling_code == "1" else f"+{info.calling_code} {10**8 + phone}",
        )
        return Buyer(f"buyer-{country}-{index:06d}", country, party)
