"""Turning one sale into its order, payment, consignments, waybills and truth records.

A parcel's life: the buyer orders on a platform or a seller's web shop (the order record reaches
customs within minutes), pays within two minutes (the payment record follows within half an hour),
the carrier books the parcel hours before departure (the waybill) and the declaration (the
consignment) reaches customs one to six hours before departure, which is 4 hours to a few days after
the order. A late document arrives two to seven days after the consignment.

Times are whole seconds, kept as integers until a record needs a datetime: building datetimes by
timedelta arithmetic cost more than the records themselves.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from bisect import bisect
from decimal import Decimal
from statistics import NormalDist
from typing import NamedTuple

from clearway.dataset.identifiers import currency_quantum
from clearway.dataset.records import (
    Consignment,
    Flags,
    Item,
    Logistics,
    Order,
    OrderLine,
    Parties,
    Payer,
    Payment,
    Transaction,
    Waybill,
)
from clearway.simulate.catalogue import VAGUE_DESCRIPTIONS
from clearway.simulate.fraud import Finding, FraudModel
from clearway.simulate.logistics import Router
from clearway.simulate.model import DocumentKind, Submission, Traffic, TruthRecord
from clearway.simulate.money import EUR_RATES, from_eur, to_eur
from clearway.simulate.names import EU_MEMBERS
from clearway.simulate.operators import Operator, Operators, PaymentProvider, Platform
from clearway.simulate.population import Buyer, Product, Seller

Line = tuple[Product, Decimal, Decimal]  # product, quantity, unit price paid

_MINUTE, _HOUR, _DAY = 60, 3600, 86400
# Seconds from order to departure beyond the first 4 hours: log-normal quantiles (median 1.4 days,
# 90% within 2.6 days); a table lookup costs a tenth of a log-normal draw.
_DELAYS = tuple(int(math.exp(11.7 + 0.5 * NormalDist().inv_cdf((i + 0.5) / 1000))) for i in range(1000))
_SHIPPING_EUR = (1.99, 2.99, 3.99, 4.99)
_FREE_SHIPPING = 0.65
_PACKAGING = tuple(Decimal(v) for v in ("0.030", "0.050", "0.080", "0.120"))
_ZERO = Decimal(0)
_SALE = Flags()
_C2C = Flags(relationship="C2C")
_GIFT = Flags(nature="gift")
_KINDS: tuple[DocumentKind, ...] = ("order", "payment", "waybill")
_UTC = dt.UTC
_at = dt.datetime.fromtimestamp  # seconds since the epoch -> datetime (called with _UTC)
# EU IOSS covers consignments of intrinsic value up to EUR 150 (Directive 2006/112/EC art. 369l);
# UK point-of-sale VAT covers consignments up to GBP 135 (VATA 1994 s. 7AA / Sch. 9A).
_LIMITS = {"EU": ("EUR", 150), "GB": ("GBP", 135)}


class _Sale(NamedTuple):
    """What every parcel of one order shares."""

    seller: Seller
    buyer: Buyer
    destination: str
    currency: str
    problems: list[str]
    order: Order
    payment_id: str
    platform: Platform | None
    provider: PaymentProvider
    order_op: Operator
    missing: DocumentKind | None
    late: DocumentKind | None
    finding: Finding | None


def initials(name: str) -> str:
    """Short prefix of an operator's numbers, from the capitals of its name ("ShopWorld..." -> "SWM")."""
    letters = "".join(ch for ch in name if ch.isascii() and ch.isupper())
    return letters[:3] or "OP"


class Emitter:
    """Writes the documents of each sale into ``traffic``, drawing from the run's one generator."""

    def __init__(
        self,
        rng: random.Random,
        operators: Operators,
        router: Router,
        traffic: Traffic,
        start: int,
        span: int,
        fraud: FraudModel | None = None,
    ) -> None:
        self.rng = rng
        self.fraud = fraud
        self.operators = operators
        self.router = router
        self.traffic = traffic
        self.start = start
        self.span = span
        self.seq = rng.randrange(10**7, 9 * 10**7)
        self.prefix = {op.id: initials(op.name) for op in operators.all()}
        self.shipping: dict[str, tuple[Decimal, ...]] = {}
        self.limits: dict[tuple[str, str], Decimal] = {}
        self.quanta: dict[str, Decimal] = {}
        self.dates: dict[int, dt.date] = {}

    def emit(
        self,
        seller: Seller,
        buyer: Buyer,
        destination: str,
        currency: str,
        parcels: list[list[Line]],
        problems: list[str],
    ) -> None:
        """One order and payment, and a consignment and waybill per parcel."""
        rng = self.rng
        ops = self.operators
        platform: Platform | None = None
        if seller.webshop is not None:
            order_op: Operator = seller.webshop
            provider = ops.payment_providers[int(rng.random() * len(ops.payment_providers))]
        else:
            platform = ops.platforms[seller.platforms[int(rng.random() * len(seller.platforms))]]
            order_op = platform.operator
            weights = platform.payment_weights
            provider = ops.payment_providers[bisect(weights, rng.random() * weights[-1])]
        self.seq += 1
        order_number = f"{self.prefix[order_op.id]}-{self.seq}"
        ordered = self.start + int(rng.random() * self.span)
        finding = None
        if self.fraud is not None and not problems:  # split orders carry "split_shipment"
            finding = self.fraud.decide(seller, order_op.id, destination, currency, parcels[0], ordered)
            if finding is not None:
                parcels = [finding.lines]  # every document shows the lines as the seller presents them
        if self.fraud is not None:
            seller = self.fraud.presented(seller, ordered)  # a re-registered fraudster's new name
        fees = self._shipping(currency)
        shipping = _ZERO if rng.random() < _FREE_SHIPPING else fees[int(rng.random() * len(fees))]
        if len(parcels) == 1:
            order_lines = parcels[0]
        else:
            merged: dict[str, Line] = {}
            for parcel in parcels:
                for product, quantity, price in parcel:
                    known = merged.get(product.sku)
                    merged[product.sku] = (product, quantity + known[1] if known else quantity, price)
            order_lines = list(merged.values())
        goods = _ZERO
        for _, quantity, price in order_lines:
            goods += quantity * price
        total = goods + shipping
        order = Order(
            order_number=order_number,
            order_date=_at(ordered, _UTC),
            currency=currency,
            seller=seller.party,
            buyer=buyer.party,
            lines=[OrderLine(description=p.name, quantity=q, unit_price=v, sku=p.sku) for p, q, v in order_lines],
            goods_value=goods,
            total=total,
            shipping=shipping,
            tax_scheme_id=self._tax_scheme(platform, destination, goods, currency),
            platform=platform.party if platform else None,
        )
        paid = ordered + 5 + int(rng.random() * 115)
        pay_currency, amount = currency, total
        if "payment_mismatch" in problems:
            if rng.random() < 0.7:
                quantum = self._quantum(currency)
                amount = max((total * Decimal(str(round(rng.uniform(0.3, 0.85), 2)))).quantize(quantum), quantum)
            else:
                pay_currency = "EUR" if currency == "USD" else "USD"
                amount = from_eur(to_eur(total, currency), pay_currency)
        payment = Payment(
            payment_id=f"{provider.prefix}{self.seq:012d}",
            order_number=order_number,
            provider=provider.operator.name,
            payer=Payer(name=buyer.party.name, country=buyer.country, authenticated=rng.random() < 0.8),
            amount=amount,
            currency=pay_currency,
            paid_at=_at(paid, _UTC),
        )
        missing = late = None
        if "missing_document" in problems:
            # A missing payment would hide a payment mismatch, so the payment stays when both apply.
            candidates = [k for k in _KINDS if not (k == "payment" and "payment_mismatch" in problems)]
            missing = candidates[int(rng.random() * len(candidates))]
        if "late_document" in problems:
            candidates = [k for k in _KINDS if k != missing]
            late = candidates[int(rng.random() * len(candidates))]
        sale = _Sale(
            seller, buyer, destination, currency, problems, order, payment.payment_id,
            platform, provider, order_op, missing, late, finding,
        )  # fmt: skip
        # The parcels of a split order leave within three hours of each other, on the same day.
        departure = ordered + 4 * _HOUR + _DELAYS[int(rng.random() * len(_DELAYS))]
        first = 0
        for index, parcel in enumerate(parcels):
            # later parcels leave up to three hours after the first, but on the same (UTC) day
            later = min(departure + int(rng.random() * 3 * _HOUR), departure // _DAY * _DAY + _DAY - 1)
            leaves = later if index else departure
            received = self._consignment(sale, parcel, ordered, leaves, shipping if index == 0 else _ZERO)
            first = first or received
        traffic = self.traffic
        if missing != "order":
            at = self._late(first) if late == "order" else ordered + 30 + int(rng.random() * 15 * _MINUTE)
            traffic.orders.append(Submission(order_op.id, _at(at, _UTC), order))
        if missing != "payment":
            at = self._late(first) if late == "payment" else paid + 10 + int(rng.random() * 30 * _MINUTE)
            traffic.payments.append(Submission(provider.operator.id, _at(at, _UTC), payment))

    def _consignment(self, sale: _Sale, parcel: list[Line], ordered: int, departure: int, freight: Decimal) -> int:
        """Emit one parcel's declaration, waybill and truth; returns when customs got the declaration."""
        rng = self.rng
        problems, currency, order, platform = sale.problems, sale.currency, sale.order, sale.platform
        route = self.router.route(rng, sale.seller.country, sale.destination, self._date(departure))
        vague = "vague_description" in problems
        factor = Decimal(str(round(rng.uniform(0.1, 0.3), 2))) if "undervaluation" in problems else None
        items = []
        true_value = declared = _ZERO
        weight = _PACKAGING[int(rng.random() * len(_PACKAGING))]
        domain = platform.domain if platform else None
        for number, (product, quantity, price) in enumerate(parcel, start=1):
            declared_price = price
            if factor is not None:
                quantum = self._quantum(currency)
                declared_price = max((price * factor).quantize(quantum), quantum)
            true_value += quantity * price
            declared += quantity * declared_price
            weight += quantity * product.net_weight_kg
            description = VAGUE_DESCRIPTIONS[int(rng.random() * len(VAGUE_DESCRIPTIONS))] if vague else product.name
            items.append(
                Item(
                    line=number,
                    description=description,
                    hs_code=product.hs_code,
                    quantity=quantity,
                    unit_price=declared_price,
                    origin_country=product.origin,
                    sku=product.sku,
                    net_weight_kg=product.net_weight_kg,
                    listing_url=f"https://{domain}/item/{product.sku}" if domain else None,
                )
            )
        carrier = route.carrier
        # Carriers file most declarations; platforms and web shops file the rest themselves.
        sender = carrier.operator if rng.random() < 0.7 else sale.order_op
        self.seq += 1
        reference = f"{self.prefix[sender.id]}-MSG-{self.seq}"
        flags = _GIFT if "gift_misuse" in problems else _SALE if sale.seller.commercial else _C2C
        consignment = Consignment(
            reference=reference,
            destination_country=sale.destination,
            parties=Parties(
                seller=sale.seller.party,
                buyer=sale.buyer.party,
                platform=platform.party if platform else None,
                carrier=carrier.party,
                payment_provider=sale.provider.party,
            ),
            transaction=Transaction(
                order_number=order.order_number,
                order_date=order.order_date,
                currency=currency,
                goods_value=declared,
                amount_paid=declared + freight,
                freight=freight,
                payment_id=sale.payment_id,
                tax_scheme_id=self._tax_scheme(platform, sale.destination, declared, currency),
            ),
            items=items,
            logistics=Logistics(
                transport_document=route.transport_document,
                transport_mode=route.transport_mode,
                packages=1,
                gross_weight_kg=weight,
                document_type=route.document_type,
                master_waybill=route.master_waybill,
                port_of_loading=route.port_of_loading,
                port_of_entry=route.port_of_entry,
                departure_date=route.departure,
            ),
            flags=flags,
        )
        earliest = ordered + 10 * _MINUTE
        received = max(departure - _HOUR - int(rng.random() * 5 * _HOUR), earliest)
        received_at = _at(received, _UTC)
        traffic = self.traffic
        traffic.consignments.append(Submission(sender.id, received_at, consignment))
        if sale.missing != "waybill":
            waybill = Waybill(
                transport_document=route.transport_document,
                carrier=carrier.operator.name,
                consignee=sale.buyer.party,
                origin_country=sale.seller.country,
                destination_country=sale.destination,
                packages=1,
                gross_weight_kg=weight,
                transport_mode=route.transport_mode,
                document_type=route.document_type,
                order_number=order.order_number,
                master_waybill=route.master_waybill,
                departure_date=route.departure,
            )
            at = max(departure - 2 * _HOUR - int(rng.random() * 10 * _HOUR), earliest)
            at = self._late(received) if sale.late == "waybill" else at
            traffic.waybills.append(Submission(carrier.operator.id, _at(at, _UTC), waybill))
        finding = sale.finding
        if finding is not None:
            true_value = finding.true_value
        traffic.truth.append(
            TruthRecord(
                reference=reference,
                received_at=received_at,
                consignment_operator=sender.id,
                order_number=order.order_number,
                order_operator=None if sale.missing == "order" else sale.order_op.id,
                payment_id=sale.payment_id,
                payment_operator=None if sale.missing == "payment" else sale.provider.operator.id,
                transport_document=route.transport_document,
                waybill_operator=None if sale.missing == "waybill" else carrier.operator.id,
                seller=sale.seller.key,
                buyer=sale.buyer.key,
                destination_country=sale.destination,
                problems=list(problems),
                missing_document=sale.missing,
                late_document=sale.late,
                currency=currency,
                true_value=true_value,
                declared_value=declared,
                true_value_eur=true_value if currency == "EUR" else to_eur(true_value, currency),
                finding=finding.kind if finding else None,
                recoverable_eur=finding.recoverable_eur if finding else _ZERO,
                true_hs_code=finding.true_hs_code if finding else None,
                missed=finding.missed if finding else False,
            )
        )
        return received

    # -- helpers ---------------------------------------------------------------------------------
    def _late(self, consignment_received: int) -> int:
        return consignment_received + 2 * _DAY + int(self.rng.random() * 5 * _DAY)

    def _date(self, timestamp: int) -> dt.date:
        day = timestamp // _DAY
        date = self.dates.get(day)
        if date is None:
            date = self.dates[day] = _at(day * _DAY, _UTC).date()
        return date

    def _quantum(self, currency: str) -> Decimal:
        quantum = self.quanta.get(currency)
        if quantum is None:
            quantum = self.quanta[currency] = currency_quantum(currency)
        return quantum

    def _shipping(self, currency: str) -> tuple[Decimal, ...]:
        fees = self.shipping.get(currency)
        if fees is None:
            fees = self.shipping[currency] = tuple(from_eur(v, currency) for v in _SHIPPING_EUR)
        return fees

    def _limit(self, region: str, currency: str) -> Decimal:
        limit = self.limits.get((region, currency))
        if limit is None:
            unit, amount = _LIMITS[region]
            limit = self.limits[region, currency] = from_eur(Decimal(amount) / EUR_RATES[unit], currency)
        return limit

    def _tax_scheme(self, platform: Platform | None, destination: str, goods: Decimal, currency: str) -> str | None:
        """The registration a platform collected destination tax under at checkout (web shops: none).

        Norway's VOEC and Australia's ARN apply to every sale here (all are far below their limits).
        """
        if platform is None:
            return None
        if destination in EU_MEMBERS:
            return platform.ioss if goods <= self._limit("EU", currency) else None
        if destination == "GB":
            return platform.uk_vat if goods <= self._limit("GB", currency) else None
        if destination == "NO":
            return platform.voec
        if destination == "AU":
            return platform.arn
        return None
