"""Retention reaches pre-loading filings: a closed filing older than the period loses its parties'
names, addresses and contacts; its answer and goods stay; an open referral and a recent filing are
left; running again changes nothing."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from clearway.app.platform import Clearway
from clearway.dataset.decode import RecordDecoder
from clearway.privacy.pseudonymise import MARKER, anonymise_party
from clearway.risk.preloading import PlaciFiling, placi_errors
from clearway.store.privacy_sql import apply_retention
from clearway.store.risk_tables import placi_filings
from tests.conftest import register_operators

OLD = dt.datetime(2020, 1, 10, tzinfo=dt.UTC)
NOW = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
CARRIER = "op-courier-1"


def filing(reference: str, **changes: Any) -> PlaciFiling:
    body: dict[str, Any] = {
        "reference": reference,
        "transport_document": f"HAWB-{reference}",
        "master_waybill": "176-12345675",
        "consignor": {"name": "Wang Wei", "country": "CN", "phone": "+8613800000000",
                      "address": {"line1": "88 Huaqiang North Rd", "city": "Shenzhen", "country": "CN"}},
        "consignee": {"name": "Anna Schmidt", "country": "DE", "email": "anna@example.org",
                      "address": {"line1": "Lindenstrasse 5", "city": "Berlin", "postcode": "10969", "country": "DE"}},
        "goods_description": "Women's silk blouse",
        "packages": 1,
        "gross_weight_kg": "0.45",
        "destination_country": "DE",
    } | changes  # fmt: skip
    record, errors = RecordDecoder(PlaciFiling, placi_errors).convert(body)
    assert record is not None, errors
    return record


def stored(service: Clearway) -> dict[str, dict[str, Any]]:
    with service.engine.connect() as conn:
        rows = conn.execute(sa.select(placi_filings.c.reference, placi_filings.c.filing, placi_filings.c.answer))
        return {r.reference: json.loads(r.filing) | {"_answer": r.answer} for r in rows}


def test_old_closed_filings_lose_their_parties_and_keep_their_answer(service: Clearway) -> None:
    service.preloading.file(CARRIER, filing("OLD-1"), now=OLD)
    vague = filing("OLD-OPEN", goods_description="gift")
    service.preloading.file(CARRIER, vague, now=NOW - dt.timedelta(minutes=5))  # an open referral, recent
    service.preloading.file(CARRIER, filing("NEW-1"), now=NOW - dt.timedelta(days=1))
    with service.engine.begin() as conn:
        report = apply_retention(conn, now=NOW, older_than=dt.timedelta(days=365))
    assert report.filings == 1
    after = stored(service)
    old = after["OLD-1"]
    assert old["consignee"]["name"] == MARKER and old["consignee"]["address"]["line1"] == MARKER
    assert old["consignee"]["email"] == MARKER and old["consignor"]["phone"] == MARKER
    assert old["consignee"]["country"] == "DE" and old["consignee"]["address"]["country"] == "DE"
    assert old["goods_description"] == "Women's silk blouse" and old["_answer"] == "assessment_complete"
    text = json.dumps(old, ensure_ascii=False)
    for personal in ("Anna", "Schmidt", "Lindenstrasse", "10969", "anna@example.org", "Wang Wei", "+8613800000000"):
        assert personal not in text, personal
    assert after["NEW-1"]["consignee"]["name"] == "Anna Schmidt"
    assert after["OLD-OPEN"]["consignee"]["name"] == "Anna Schmidt"
    with service.engine.begin() as conn:
        assert apply_retention(conn, now=NOW, older_than=dt.timedelta(days=365)).filings == 0


def test_an_open_referral_waits_for_its_answer(service: Clearway) -> None:
    service.preloading.file(CARRIER, filing("OPEN-1", goods_description="gift"), now=OLD)
    with service.engine.begin() as conn:
        assert apply_retention(conn, now=OLD + dt.timedelta(minutes=1), older_than=dt.timedelta(0)).filings == 0
    assert stored(service)["OPEN-1"]["consignee"]["name"] == "Anna Schmidt"


def test_a_party_is_anonymised_as_a_declarations_party_is() -> None:
    party = {"name": "Anna", "country": "DE", "eori": "DE123456789012345", "operator_id": "op-x",
             "address": {"line1": "a", "city": "b", "country": "DE"}}  # fmt: skip
    assert anonymise_party(party) == {
        "name": MARKER,
        "country": "DE",
        "operator_id": "op-x",
        "address": {"line1": MARKER, "city": MARKER, "country": "DE"},
    }


def test_an_ics2_message_keeps_its_bytes_while_a_filing_it_carried_is_open(service: Clearway) -> None:
    ics2 = Path(__file__).resolve().parents[1] / "fixtures" / "messages" / "eu" / "ics2-IE3F22-2-houses.xml"
    register_operators(service, {"de123456789012345": "courier"})
    vague = ics2.read_bytes().replace(b"Children's books, printed", b"gift")
    received = service.messages.receive("eu-ics2", "de123456789012345", vague, "application/xml", now=OLD)
    with service.engine.begin() as conn:
        report = apply_retention(conn, now=OLD + dt.timedelta(minutes=1), older_than=dt.timedelta(0))
    assert (report.filings, report.messages) == (1, 0)  # house 1 closed; house 2's referral is open
    kept = service.messages.read(received.id)
    assert kept is not None and kept.body is not None
    service.preloading.expire_referrals(now=OLD + dt.timedelta(days=1))
    with service.engine.begin() as conn:
        report = apply_retention(conn, now=OLD + dt.timedelta(days=2), older_than=dt.timedelta(0))
    assert (report.filings, report.messages) == (1, 1)
    cleared = service.messages.read(received.id)
    assert cleared is not None and cleared.body is None and cleared.sha256 == kept.sha256
