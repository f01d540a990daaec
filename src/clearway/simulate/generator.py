"""Seeded generation of consignments with their order, payment and waybill, and injected problems.

One ``random.Random(seed)`` drives every draw of a run (identities come from their own seeded
draws, see population.py), so a seed always yields the same traffic; the start time defaults to a
fixed instant, never the clock. This module decides what each order contains; documents.py writes
the order's documents.

How the problems show in the documents (see model.PROBLEMS):
- undervaluation: only the declaration lies. Order and payment come from independent third parties
  (the platform, the payment firm) and show the price really paid, so three-document matching finds
  the gap; the declared unit prices are 10-30% of the shop's price, far under the HS reference price.
- vague_description: the declaration's descriptions are vague, the order lines stay precise.
- payment_mismatch: the payment is 30-85% of the order total, or in another currency.
- split_shipment: one order and one payment; 2-4 consignments (each with its own waybill) to the same
  buyer, leaving the same day, each under the threshold while the order is over it. EU buyers only,
  as the threshold is the EU's EUR 150.
- prohibited_keyword: the seller really sells the item, so order and declaration both name it.
- gift_misuse: a commercial seller's sale with nature "gift"; order and payment show the sale.
- missing_document / late_document: one of order, payment, waybill is never sent, or is sent two to
  seven days after the consignment (TruthRecord says which).

With ``SimulationConfig.fraud`` set, single-parcel sales without an injected problem may also hide a
finding that no document shows and only an inspection reveals (fraud.py; TruthRecord.finding).
"""

from __future__ import annotations

import datetime as dt
import gc
import math
import random
from bisect import bisect
from decimal import Decimal
from operator import attrgetter

from clearway.simulate.catalogue import load_catalogue
from clearway.simulate.documents import Emitter, Line
from clearway.simulate.fraud import FraudModel
from clearway.simulate.logistics import Router
from clearway.simulate.model import SimulationConfig, Traffic
from clearway.simulate.money import currency_mix
from clearway.simulate.names import EU_MEMBERS
from clearway.simulate.population import Population, Product, Seller, cumulative

DEFAULT_START = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)

_LINE_COUNTS = cumulative([0.62, 0.22, 0.10, 0.06])  # 1-4 lines
_QUANTITIES = cumulative([0.85, 0.10, 0.03, 0.01, 0.01])  # 1-5 pieces
_SPLIT_PARCELS = cumulative([0.6, 0.3, 0.1])  # 2-4 parcels per split order
_SPLIT_MEAN = 2.5
_SPLIT_SELLER_TRIES = 8
_QTY = tuple(Decimal(i) for i in range(200))  # a split parcel takes at most 150 units


def generate(
    count: int, seed: int, config: SimulationConfig | None = None, start: dt.datetime | None = None
) -> Traffic:
    """Simulate ``count`` consignments with their documents; the same arguments give the same traffic.

    ``start`` (timezone-aware; whole seconds are used) is when the first orders may be placed, by
    default 2026-11-01T00:00Z. All times in the output are UTC.
    """
    if count < 0:
        raise ValueError("count must be 0 or more")
    if start is not None and start.utcoffset() is None:
        raise ValueError("start must be timezone-aware")
    generator = _Generator(seed, config or SimulationConfig(), start or DEFAULT_START)
    # The records are acyclic, so the cyclic garbage collector only slows the build down (by about
    # a third for 200,000 consignments, re-scanning ever more live objects); it is restored after.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return generator.run(count)
    finally:
        if collecting:
            gc.enable()


class _Generator:
    def __init__(self, seed: int, config: SimulationConfig, start: dt.datetime) -> None:
        self.rng = random.Random(seed)
        self.catalogue = load_catalogue()
        self.population = Population(seed, self.catalogue, config.sellers, config.buyers)
        operators = self.population.operators
        self.traffic = Traffic(seed, start, operators.all())
        span = int(config.days * 86400)
        router = Router(seed, operators)
        begin = int(start.timestamp())
        # The fraud model draws from its own generator and hashes, never from self.rng.
        fraud = FraudModel(seed, config.fraud, self.catalogue, begin) if config.fraud is not None else None
        self.emitter = Emitter(self.rng, operators, router, self.traffic, begin, span, fraud)
        split = config.split_shipment
        # A split order yields several consignments: start them so that their share is `split`,
        # and draw the other problems on the remaining consignments at rate / (1 - split).
        self.p_split = split / (_SPLIT_MEAN - split * (_SPLIT_MEAN - 1))
        self.single_rates = [
            (name, rate / (1.0 - split)) for name, rate in config.rates().items() if name != "split_shipment"
        ]
        # Most consignments carry no problem: one draw settles that, and only the others draw each
        # problem (by rejection, which keeps the problems independent given that there is one).
        self.p_clean = math.prod(1.0 - rate for _, rate in self.single_rates)
        self.threshold = float(config.split_threshold_eur)
        self.mixes: dict[str, tuple[tuple[str, ...], tuple[float, ...]]] = {}
        self.prohibited: dict[tuple[str, int], Product] = {}

    def run(self, count: int) -> Traffic:
        made = 0
        rng = self.rng
        while made < count:
            if count - made >= 2 and rng.random() < self.p_split:
                group = self._split(count - made)
                if group:
                    made += group
                    continue
            self._single()
            made += 1
        t = self.traffic
        # Stable sorts on the same times keep line i of the truth about line i of the consignments.
        by_time = attrgetter("received_at")
        t.consignments.sort(key=by_time)
        t.truth.sort(key=by_time)
        for documents in (t.orders, t.payments, t.waybills):
            documents.sort(key=by_time)
        return t

    def _single(self) -> None:
        rng = self.rng
        problems = self._problems() if rng.random() >= self.p_clean else []
        seller = self.population.draw_seller(rng, commercial="gift_misuse" in problems)
        destination = self.population.draw_destination(rng, seller.country)
        buyer = self.population.draw_buyer(rng, destination)
        currency = self._currency(destination)
        chosen: dict[str, Line] = {}
        for _ in range(bisect(_LINE_COUNTS, rng.random() * _LINE_COUNTS[-1]) + 1):
            product = self.population.draw_product(rng, seller)
            if product.sku not in chosen:
                quantity = _QTY[bisect(_QUANTITIES, rng.random() * _QUANTITIES[-1]) + 1]
                chosen[product.sku] = (product, quantity, product.price(currency))
        lines = list(chosen.values())
        if "prohibited_keyword" in problems:
            product = self._prohibited(seller, int(rng.random() * len(self.catalogue.prohibited)))
            lines[int(rng.random() * len(lines))] = (product, _QTY[1], product.price(currency))
        self.emitter.emit(seller, buyer, destination, currency, [lines], problems)

    def _problems(self) -> list[str]:
        rng = self.rng
        while True:
            problems = [name for name, rate in self.single_rates if rng.random() < rate]
            if problems:
                return problems

    def _split(self, remaining: int) -> int:
        """An order over the threshold shipped as parcels under it; returns how many (0 if none)."""
        rng = self.rng
        wanted = min(remaining, bisect(_SPLIT_PARCELS, rng.random() * _SPLIT_PARCELS[-1]) + 2)
        # Split orders go to EU buyers (the threshold is the EU's); no seller sits in the EU.
        destination = self.population.draw_destination(rng, "")
        while destination not in EU_MEMBERS:
            destination = self.population.draw_destination(rng, "")
        currency = self._currency(destination)
        for _ in range(_SPLIT_SELLER_TRIES):
            seller = self.population.draw_seller(rng)
            parcels = self._split_parcels(seller, wanted, currency)
            if parcels:
                break
        else:
            return 0  # no seller with goods that fit under the threshold; a plain sale instead
        buyer = self.population.draw_buyer(rng, destination)
        self.emitter.emit(seller, buyer, destination, currency, parcels, ["split_shipment"])
        return len(parcels)

    def _split_parcels(self, seller: Seller, wanted: int, currency: str) -> list[list[Line]]:
        """``wanted`` parcels each worth 55-95% of the threshold, or [] if the shop cannot fill them."""
        rng = self.rng
        threshold = self.threshold
        parcels: list[list[Line]] = []
        for _ in range(wanted):
            target = threshold * rng.uniform(0.6, 0.95)
            units: dict[str, tuple[Product, int]] = {}
            value, misses, draws = 0.0, 0, 0
            while value < 0.8 * target and misses < 12 and draws < 150:
                draws += 1
                product = self.population.draw_product(rng, seller)
                if value + product.price_eur > target:
                    misses += 1
                    continue
                value += product.price_eur
                units[product.sku] = (product, units[product.sku][1] + 1 if product.sku in units else 1)
            if value < 0.55 * threshold:
                return []
            parcels.append([(p, _QTY[n], p.price(currency)) for p, n in units.values()])
        return parcels

    def _currency(self, destination: str) -> str:
        mix = self.mixes.get(destination)
        if mix is None:
            mix = self.mixes[destination] = currency_mix(destination)
        names, weights = mix
        return names[bisect(weights, self.rng.random() * weights[-1])] if len(names) > 1 else names[0]

    def _prohibited(self, seller: Seller, index: int) -> Product:
        key = (seller.key, index)
        product = self.prohibited.get(key)
        if product is None:
            kind = self.catalogue.prohibited[index]
            sku = f"{seller.code}-X{index + 1:02d}"
            weight = Decimal(str(kind.weight_kg))
            product = Product(sku, kind.name, kind.hs_code, kind.price_eur, weight, seller.country)
            self.prohibited[key] = product
        return product
