"""A small fixed data set for the statistics tests, put through the real service.

Twelve consignments with known receipt times, documents, lanes, officers' steps and outcomes, all
in euro into EU countries, so that every figure the statistics give can be worked out by hand
(the expected values are in the tests, with the sums that give them).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from clearway.app.platform import Clearway
from clearway.clearance.lifecycle import HoldReason, State
from clearway.dataset.identifiers import s10_check_digit
from clearway.dataset.records import Consignment, Order, Payment, Waybill
from tests.conftest import decode, register_operators

OPERATOR = "op-stats-1"
POST_OPERATOR = "op-stats-post"
# The senders of the documents, each of the kind that holds them, named in every declaration.
DOCS = {"order": "op-stats-shop", "payment": "op-stats-psp", "waybill": "op-stats-carrier"}
_DOC_KINDS = {"op-stats-shop": "marketplace", "op-stats-psp": "payment_provider", "op-stats-carrier": "courier"}
OFFICER = "person:olga"
BUYER = "Jana Novakova"
BUYER_EMAIL = "jana.novakova@example.org"
BUYER_STREET = "Vinohradska 12"
SELLER = "Istanbul Leather Atelier"
MONDAY = dt.datetime(2026, 11, 16, tzinfo=dt.UTC)


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    """A time in November 2026 (UTC)."""
    return dt.datetime(2026, 11, day, hour, minute, tzinfo=dt.UTC)


@dataclass
class Spec:
    """One consignment of the data set: what is declared and what happens to it."""

    name: str
    received: dt.datetime
    items: list[tuple[str, str, str, str]]  # description, HS code, quantity, unit price (EUR)
    destination: str = "DE"
    seller_country: str = "CN"
    post: bool = False
    freight: str = "0"
    relationship: str = "B2C"
    nature: str = "sale"
    ioss: bool = True
    departure: dt.date | None = None
    # When the order, payment and waybill arrive (None: with the declaration, just before it;
    # "never": they never do).
    documents: dt.datetime | str | None = None
    operator: str = OPERATOR
    steps: list[tuple[dt.datetime, str, HoldReason | None]] = field(default_factory=list)
    outcome: tuple[dt.datetime, str] | None = None
    cancel_at: dt.datetime | None = None


def _records(spec: Spec, n: int) -> tuple[Consignment, Order, Payment, Waybill]:
    goods = sum((Decimal(q) * Decimal(p) for _, _, q, p in spec.items), Decimal(0))
    total = goods + Decimal(spec.freight)
    order_number, payment_id = f"ORD-{n:04d}", f"PAY-{n:04d}"
    serial = f"{n:08d}"
    document = f"RR{serial}{s10_check_digit(serial)}{spec.seller_country}" if spec.post else f"HAWB-{n:04d}"
    seller = {
        "name": SELLER,
        "country": spec.seller_country,
        "address": {"line1": "1 Market St", "city": "Izmir", "country": spec.seller_country},
    }
    buyer = {
        "name": BUYER,
        "country": spec.destination,
        "email": BUYER_EMAIL,
        "address": {"line1": BUYER_STREET, "city": "Pilsen", "postcode": "30100", "country": spec.destination},
    }
    items = [
        {
            "line": i + 1,
            "description": d,
            "hs_code": hs,
            "quantity": q,
            "unit_price": p,
            "origin_country": spec.seller_country,
            "sku": f"SKU-{n}-{i}",
        }
        for i, (d, hs, q, p) in enumerate(spec.items)
    ]
    transaction: dict[str, Any] = {
        "order_number": order_number,
        "order_date": (spec.received - dt.timedelta(days=2)).isoformat(),
        "currency": "EUR",
        "goods_value": str(goods),
        "freight": spec.freight,
        "amount_paid": str(total),
    }
    if spec.nature == "sale":
        transaction["payment_id"] = payment_id
    if spec.ioss:
        transaction["tax_scheme_id"] = "IM3720000015"
    logistics: dict[str, Any] = {
        "transport_document": document,
        "document_type": "upu_s10" if spec.post else "house_waybill",
        "transport_mode": "post" if spec.post else "air",
        "packages": 1,
        "gross_weight_kg": "0.80",
    }
    if spec.departure is not None:
        logistics["departure_date"] = spec.departure.isoformat()
    consignment = {
        "reference": f"STATS-{n:04d}",
        "destination_country": spec.destination,
        "parties": {
            "seller": seller,
            "buyer": buyer,
            "carrier": {"name": "Example Express", "country": "DE", "operator_id": DOCS["waybill"]},
            # Only a sale has a platform and a payment provider (a gift naming one is suspect).
            **(
                {
                    "platform": {"name": "Stats Shop", "country": "IE", "operator_id": DOCS["order"]},
                    "payment_provider": {"name": "Stats Pay", "country": "IE", "operator_id": DOCS["payment"]},
                }
                if spec.nature == "sale"
                else {}
            ),
        },
        "transaction": transaction,
        "items": items,
        "logistics": logistics,
        "flags": {"nature": spec.nature, "relationship": spec.relationship},
    }
    order = {
        "order_number": order_number,
        "order_date": transaction["order_date"],
        "currency": "EUR",
        "seller": seller,
        "buyer": buyer,
        "lines": [
            {"description": d, "quantity": q, "unit_price": p, "sku": f"SKU-{n}-{i}"}
            for i, (d, _, q, p) in enumerate(spec.items)
        ],
        "goods_value": str(goods),
        "shipping": spec.freight,
        "total": str(total),
    }
    payment = {
        "payment_id": payment_id,
        "order_number": order_number,
        "provider": "Example Pay",
        "payer": {"name": BUYER, "country": spec.destination, "authenticated": True},
        "amount": str(total),
        "currency": "EUR",
        "paid_at": transaction["order_date"],
    }
    waybill = {
        "transport_document": document,
        "document_type": logistics["document_type"],
        "carrier": "Example Express",
        "consignee": buyer,
        "origin_country": spec.seller_country,
        "destination_country": spec.destination,
        "packages": 1,
        "gross_weight_kg": "0.80",
        "transport_mode": logistics["transport_mode"],
        "order_number": order_number,
    }
    return decode(Consignment, consignment), decode(Order, order), decode(Payment, payment), decode(Waybill, waybill)


def _documents(svc: Clearway, spec: Spec, order: Order, payment: Payment, waybill: Waybill, now: dt.datetime) -> None:
    if spec.nature == "sale":
        svc.submit_documents("order", DOCS["order"], [order], now=now)
        svc.submit_documents("payment", DOCS["payment"], [payment], now=now)
    svc.submit_documents("waybill", DOCS["waybill"], [waybill], now=now)


def load(svc: Clearway, specs: list[Spec]) -> dict[str, str]:
    """Submit every spec through the service, in time order of its events; the id of each by name."""
    ids: dict[str, str] = {}
    known = {row["id"] for row in svc.access.operators()}
    register_operators(svc, {op: kind for op, kind in _DOC_KINDS.items() if op not in known})
    for n, spec in enumerate(specs, start=1):
        consignment, order, payment, waybill = _records(spec, n)
        if spec.documents is None:
            _documents(svc, spec, order, payment, waybill, spec.received - dt.timedelta(minutes=1))
        [result] = svc.submit_consignments(spec.operator, [consignment], now=spec.received)
        assert result.id, result
        ids[spec.name] = result.id
        if isinstance(spec.documents, dt.datetime):
            _documents(svc, spec, order, payment, waybill, spec.documents)
        for when, target, hold in spec.steps:
            svc.control(result.id, State(target), actor=OFFICER, reason="statistics test", hold_reason=hold, now=when)
        if spec.outcome is not None:
            svc.risk.record_outcome(result.id, spec.outcome[1], officer=OFFICER, now=spec.outcome[0])
        if spec.cancel_at is not None:
            svc.cancel(spec.operator, result.id, "buyer cancelled", now=spec.cancel_at)
    return ids


# The data set. Revenue is worked out by hand from EU law as the jurisdiction files give it: a flat
# duty of EUR 3 per item category (HS-6) up to EUR 150, then VAT on goods + freight + duty (DE 19 %,
# FR 20 %, NL 21 %); a C2C gift up to EUR 45 pays nothing. Weeks start on Monday 16 and 23 November.
SPECS = [
    # Released at once (documents first): 3.00 duty, 19 % of 20 + 3 + 3 = 4.94 tax; filed 2,340 min
    # before the end of its departure day (17 Nov 24:00 - 16 Nov 09:00).
    Spec(
        "auto_post",
        at(16, 9),
        [("Silk blouse", "620610", "1", "20.00")],
        post=True,
        freight="3.00",
        departure=dt.date(2026, 11, 17),
        operator=POST_OPERATOR,
    ),
    # Released when its documents came, two hours later: 6.00 duty (two categories), 19 % of 56 = 10.64.
    # The watch (30.00) is worth more than the two bags (2 x 10.00): chapter 91.
    Spec(
        "late_docs",
        at(16, 10),
        [("Leather bag", "420221", "2", "10.00"), ("Wrist watch", "910211", "1", "30.00")],
        ioss=False,
        documents=at(16, 12),
    ),
    # FR: 3.00 + 20 % of 43 = 8.60; lead time 960 min (17 Nov 24:00 - 08:00).
    Spec(
        "fr_tr",
        at(17, 8),
        [("Wool scarf", "611710", "1", "40.00")],
        destination="FR",
        seller_country="TR",
        relationship="B2B",
        departure=dt.date(2026, 11, 17),
    ),
    # Red lane (a replica): held, inspected, counterfeit, seized. 3.00 + 5.32, not released.
    Spec(
        "seized",
        at(17, 9),
        [("Replica designer watch", "910211", "1", "25.00")],
        steps=[(at(17, 15), "inspected", None), (at(18, 9), "seized", None)],
        outcome=(at(17, 15), "counterfeit"),
    ),
    # NL, filed after departure: late; lead time -1,920 min (17 Nov 00:00 - 18 Nov 08:00). 3.00 + 3.78.
    Spec(
        "late_filing",
        at(18, 8),
        [("Phone case", "392690", "3", "5.00")],
        destination="NL",
        seller_country="US",
        departure=dt.date(2026, 11, 16),
    ),
    # Red lane, inspected, compliant, released two days (2,880 min) after receipt. 3.00 + 3.42.
    Spec(
        "inspected_ok",
        at(18, 10),
        [("Replica vintage poster", "491199", "1", "15.00")],
        steps=[(at(19, 10), "inspected", None), (at(20, 10), "released", None)],
        outcome=(at(19, 11), "compliant"),
    ),
    # Red lane, inspected, prohibited, returned. 3.00 + 11.97, not released.
    Spec(
        "returned",
        at(19, 8),
        [("Replica sword", "930700", "1", "60.00")],
        steps=[(at(19, 12), "inspected", None), (at(19, 14), "returned", None)],
        outcome=(at(19, 13), "prohibited"),
    ),
    # Its documents never come: awaiting them, never assessed.
    Spec("pending", at(23, 9), [("Cotton T-shirt", "610910", "2", "8.00")], documents="never"),
    Spec("cancelled", at(23, 10), [("Cotton socks", "611595", "4", "2.50")], documents="never", cancel_at=at(23, 11)),
    # A C2C gift of 25.00 from GB: no duty, no tax, nobody collects.
    Spec(
        "gift",
        at(24, 9),
        [("Knitted gloves", "611693", "1", "25.00")],
        nature="gift",
        relationship="C2C",
        ioss=False,
        seller_country="GB",
    ),
    # Held by an officer for information, then released a day (1,440 min) after receipt; never assessed.
    Spec(
        "held_rfi",
        at(24, 10),
        [("Ceramic mug", "691200", "2", "6.00")],
        documents="never",
        steps=[(at(24, 11), "held", HoldReason.REQUEST_FOR_INFORMATION), (at(25, 10), "released", None)],
    ),
    # October, outside the November window: released at once, 3.00 + 19 % of 13 = 2.47.
    Spec(
        "october",
        dt.datetime(2026, 10, 20, 9, tzinfo=dt.UTC),
        [("Wooden toy train", "950300", "1", "10.00")],
    ),
]
NOVEMBER = ("2026-11-01", "2026-11-30")


def load_fixed(svc: Clearway) -> dict[str, str]:
    """The data set, stored through ``svc``: the consignment id of each spec by name."""
    svc.risk.ensure_default_rules()
    return load(svc, SPECS)


def send_documents(svc: Clearway, name: str, now: dt.datetime) -> None:
    """The order, payment and waybill of the spec named ``name`` arrive now."""
    n, spec = next((n, s) for n, s in enumerate(SPECS, start=1) if s.name == name)
    _, order, payment, waybill = _records(spec, n)
    _documents(svc, spec, order, payment, waybill, now)
