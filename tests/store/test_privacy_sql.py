"""Retention anonymises closed, old consignments and nothing else, once; an operator's export holds
its own data and nothing of another's; analysts' exports carry pseudonyms, not names."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import msgspec
import pytest
import sqlalchemy as sa

import clearway.store.privacy_tables  # noqa: F401  (registers retention_log on the shared metadata)
from clearway.app.platform import Clearway
from clearway.clearance.lifecycle import State
from clearway.dataset.records import Consignment, Order, Payment, Waybill
from clearway.privacy.pseudonymise import MARKER, pseudonym
from clearway.store.privacy_sql import apply_retention, export_operator_data, pseudonymised_consignments
from clearway.store.privacy_tables import retention_log
from clearway.store.tables import audit_log, consignment_versions, consignments, documents, history, results

# Documents link only from the senders the fixture declaration names (clearance.senders).
pytestmark = pytest.mark.usefixtures("standard_operators")

T0 = dt.datetime(2025, 1, 10, 8, 0, tzinfo=dt.UTC)
NOW = T0 + dt.timedelta(days=400)
KEEP = dt.timedelta(days=365)
KEY = b"k" * 32
COURIER, OTHER_COURIER = "op-courier-1", "op-courier-2"
# Personal values of the fixtures and of the variants below; none may survive retention.
NAMES = ("Anna Schmidt", "Lindenstrasse 5", "anna@example.org", "card-4242", "Bernd Bauer", "Carla Conti")


def variant(c: Consignment, n: str, *, buyer: str = "Anna Schmidt", order: str | None = None) -> Consignment:
    """The fixture declaration with its own reference, order, payment and house waybill."""
    transaction = msgspec.structs.replace(c.transaction, order_number=order or f"SW-{n}", payment_id=f"PAY-{n}")
    logistics = msgspec.structs.replace(c.logistics, transport_document=f"HWB-{n}", document_type="house_waybill")
    parties = msgspec.structs.replace(c.parties, buyer=msgspec.structs.replace(c.parties.buyer, name=buyer))
    return msgspec.structs.replace(
        c, reference=f"MSG-{n}", transaction=transaction, logistics=logistics, parties=parties
    )


def documents_of(c: Consignment, order: Order, payment: Payment, waybill: Waybill) -> tuple[Order, Payment, Waybill]:
    t = c.transaction
    return (
        msgspec.structs.replace(order, order_number=t.order_number),
        msgspec.structs.replace(payment, payment_id=t.payment_id or "", order_number=t.order_number),
        msgspec.structs.replace(
            waybill,
            transport_document=c.logistics.transport_document,
            document_type="house_waybill",
            order_number=t.order_number,
        ),
    )


def send(service: Clearway, docs: tuple[Order, Payment, Waybill], at: dt.datetime, which: str = "opw") -> None:
    order, payment, waybill = docs
    if "o" in which:
        service.submit_documents("order", "op-platform-1", [order], now=at)
    if "p" in which:
        service.submit_documents("payment", "op-psp-1", [payment], now=at)
    if "w" in which:
        service.submit_documents("waybill", "op-post-1", [waybill], now=at)


def submit(service: Clearway, operator: str, c: Consignment, at: dt.datetime) -> str:
    [result] = service.submit_consignments(operator, [c], now=at)
    assert result.status == "accepted" and result.id
    return result.id


@pytest.fixture
def world(
    service: Clearway, consignment: Consignment, order: Order, payment: Payment, waybill: Waybill
) -> dict[str, str]:
    """Consignments in every situation retention must tell apart; returns their ids by name."""
    ids: dict[str, str] = {}
    # Released long ago, all three documents matching.
    old = variant(consignment, "1")
    send(service, documents_of(old, order, payment, waybill), T0)
    ids["released_old"] = submit(service, COURIER, old, T0)
    # Its order names another buyer: held (the messages quote both names), amended, cancelled.
    mismatch = variant(consignment, "2", buyer="Bernd Bauer")
    send(service, documents_of(mismatch, order, payment, waybill), T0)
    ids["cancelled_old"] = submit(service, COURIER, mismatch, T0)
    amended = msgspec.structs.replace(mismatch, items=mismatch.items[:1])
    assert service.amend(COURIER, ids["cancelled_old"], amended, now=T0).version == 2
    service.cancel(COURIER, ids["cancelled_old"], "buyer Bernd Bauer refused the parcel", now=T0)
    # Released yesterday: too recent.
    recent = variant(consignment, "3")
    send(service, documents_of(recent, order, payment, waybill), NOW - dt.timedelta(days=1))
    ids["released_recent"] = submit(service, COURIER, recent, NOW - dt.timedelta(days=1))
    # Old, but still waiting for its documents: not closed.
    ids["waiting_old"] = submit(service, COURIER, variant(consignment, "4"), T0)
    # A split order: one parcel closed long ago, the other still open; they share the order.
    first, second = variant(consignment, "5a", order="SW-SPLIT"), variant(consignment, "5b", order="SW-SPLIT")
    send(service, documents_of(first, order, payment, waybill), T0, which="o")
    ids["split_closed"] = submit(service, COURIER, first, T0)
    service.cancel(COURIER, ids["split_closed"], "sent in two parcels", now=T0)
    ids["split_open"] = submit(service, COURIER, second, T0)
    # Another operator's declaration, closed long ago.
    ids["other_operator"] = submit(service, OTHER_COURIER, variant(consignment, "6", buyer="Carla Conti"), T0)
    service.cancel(OTHER_COURIER, ids["other_operator"], "withdrawn", now=T0)
    return ids


def states(service: Clearway) -> dict[str, str]:
    with service.engine.connect() as conn:
        return {row.id: row.state for row in conn.execute(sa.select(consignments.c.id, consignments.c.state))}


def snapshot(service: Clearway) -> dict[str, list[tuple[Any, ...]]]:
    tables = (consignments, consignment_versions, documents, history, results, audit_log)
    with service.engine.connect() as conn:
        return {
            t.name: sorted((tuple(row) for row in conn.execute(sa.select(t))), key=lambda row: [str(v) for v in row])
            for t in tables
        }


def text_of(service: Clearway, consignment_id: str) -> str:
    """Everything stored about one consignment and its documents, as one text to search."""
    columns = (consignment_versions.c.body, history.c.reason, results.c.link, results.c.decision)
    parts: list[str | None] = []
    with service.engine.connect() as conn:
        for column in columns:
            parts += conn.execute(sa.select(column).where(column.table.c.consignment_id == consignment_id)).scalars()
    return json.dumps(parts)


def document_body(service: Clearway, kind: str, number: str) -> str:
    with service.engine.connect() as conn:
        query = sa.select(documents.c.body).where(documents.c.kind == kind, documents.c.number == number)
        body: str = conn.execute(query).scalar_one()
    return body


def retain(service: Clearway, chunk: int = 1000) -> Any:
    with service.engine.begin() as conn:
        return apply_retention(conn, now=NOW, older_than=KEEP, chunk=chunk)


def test_the_world_is_as_described(service: Clearway, world: dict[str, str]) -> None:
    s = states(service)
    assert s[world["released_old"]] == s[world["released_recent"]] == State.RELEASED
    assert s[world["cancelled_old"]] == s[world["split_closed"]] == State.CANCELLED
    assert s[world["waiting_old"]] == s[world["split_open"]] == State.AWAITING_DOCUMENTS
    assert "Bernd Bauer" in text_of(service, world["cancelled_old"])
    # The order's buyer differs: the stored reason says so without quoting the order's buyer.
    assert "buyer_mismatch" in text_of(service, world["cancelled_old"])
    assert "Anna Schmidt" not in text_of(service, world["cancelled_old"])


@pytest.mark.parametrize("chunk", [1000, 2])
def test_retention_anonymises_only_closed_and_old_consignments(
    service: Clearway, world: dict[str, str], chunk: int
) -> None:
    before = snapshot(service)
    report = retain(service, chunk)
    retained = {world[k] for k in ("released_old", "cancelled_old", "split_closed", "other_operator")}
    assert report.consignments == len(retained)
    assert report.versions == 5  # the cancelled one had two versions
    assert report.cutoff == NOW - KEEP
    for cid in retained:
        text = text_of(service, cid)
        assert MARKER in text
        assert [name for name in NAMES if name in text] == []
    # The documents of the released and the cancelled consignments, whoever sent them.
    for kind, number in [("order", "SW-1"), ("payment", "PAY-1"), ("waybill", "HWB-1"), ("order", "SW-2")]:
        body = document_body(service, kind, number)
        assert MARKER in body and "Anna Schmidt" not in body
    assert report.documents == 6
    # Untouched: the recent and the open consignments, the order an open parcel still shares,
    # the documents of the recent one; and the audit chain.
    after = snapshot(service)
    for name in ("released_recent", "waiting_old", "split_open"):
        assert "Anna Schmidt" in text_of(service, world[name])
    assert "Anna Schmidt" in document_body(service, "order", "SW-SPLIT")
    assert "Anna Schmidt" in document_body(service, "order", "SW-3")
    assert report.documents_kept >= 1
    assert after["consignments"] == before["consignments"] and after["audit_log"] == before["audit_log"]
    assert service.verify_audit().ok
    # Codes and identifiers stay: the decision still says why it was held, without the name.
    dossier = service.dossier(COURIER, world["cancelled_old"])
    assert dossier is not None and dossier.consignment.record.parties.buyer.name == MARKER
    assert [v["version"] for v in dossier.versions] == [1, 2]
    assert dossier.link is not None and "buyer_mismatch" in {r.code for r in dossier.link.reasons}
    assert dossier.consignment.record.transaction.order_number == "SW-2"


def test_retention_is_idempotent(service: Clearway, world: dict[str, str]) -> None:
    first = retain(service)
    assert first.consignments == 4
    once = snapshot(service)
    again = retain(service)
    assert (again.consignments, again.versions, again.documents, again.results, again.history) == (0, 0, 0, 0, 0)
    assert snapshot(service) == once
    assert service.verify_audit().ok


def test_the_shared_order_goes_when_its_last_parcel_closes(service: Clearway, world: dict[str, str]) -> None:
    retain(service)
    service.cancel(COURIER, world["split_open"], "sent in one parcel after all", now=T0 + dt.timedelta(days=1))
    with service.engine.begin() as conn:
        report = apply_retention(conn, now=NOW, older_than=KEEP)
    assert report.consignments == 1
    assert "Anna Schmidt" not in document_body(service, "order", "SW-SPLIT")
    assert "Anna Schmidt" not in text_of(service, world["split_open"])


def test_nothing_is_old_enough_with_a_long_period(service: Clearway, world: dict[str, str]) -> None:
    before = snapshot(service)
    with service.engine.begin() as conn:
        report = apply_retention(conn, now=NOW, older_than=dt.timedelta(days=4000))
    assert report.consignments == 0 and snapshot(service) == before


def test_retention_wants_an_aware_time_and_a_positive_period(service: Clearway) -> None:
    with service.engine.begin() as conn, pytest.raises(ValueError, match="naive"):
        apply_retention(conn, now=NOW.replace(tzinfo=None), older_than=KEEP)
    with service.engine.begin() as conn, pytest.raises(ValueError, match="negative"):
        apply_retention(conn, now=NOW, older_than=-KEEP)


# -- exports ---------------------------------------------------------------------------------


def export(service: Clearway, operator: str, chunk: int = 1000) -> list[dict[str, Any]]:
    with service.engine.connect() as conn:
        lines = list(export_operator_data(conn, operator, chunk=chunk))
    for line in lines:
        json.dumps(line)  # NDJSON-ready
    return lines


@pytest.mark.parametrize("chunk", [1000, 2])
def test_an_operators_export_holds_its_data_and_nothing_else(
    service: Clearway, world: dict[str, str], chunk: int
) -> None:
    lines = export(service, COURIER, chunk)
    found = {line["id"]: line for line in lines if line["type"] == "consignment"}
    assert set(found) == set(world.values()) - {world["other_operator"]}
    assert not [line for line in lines if line["type"] == "document"]  # the courier sent none
    cancelled = found[world["cancelled_old"]]
    assert [v["version"] for v in cancelled["versions"]] == [1, 2]
    assert cancelled["versions"][0]["body"]["parties"]["buyer"]["name"] == "Bernd Bauer"
    assert cancelled["history"][-1]["to_state"] == "cancelled" and cancelled["results"]
    assert cancelled["anonymised_at"] is None
    text = json.dumps(lines)
    assert "MSG-6" not in text and "Carla Conti" not in text and world["other_operator"] not in text


def test_a_document_senders_export_holds_its_documents(service: Clearway, world: dict[str, str]) -> None:
    lines = export(service, "op-platform-1")
    assert {line["type"] for line in lines} == {"document"}
    assert {line["number"] for line in lines} == {"SW-1", "SW-2", "SW-3", "SW-SPLIT"}
    assert {line["body"]["order_number"] for line in lines} == {"SW-1", "SW-2", "SW-3", "SW-SPLIT"}
    assert not [line for line in lines if "link_view" in line]  # derived for linking, not the sender's data
    assert export(service, "op-nobody") == []


def test_the_export_says_what_retention_removed(service: Clearway, world: dict[str, str]) -> None:
    retain(service)
    found = {line["id"]: line for line in export(service, COURIER) if line["type"] == "consignment"}
    cancelled = found[world["cancelled_old"]]
    assert cancelled["anonymised_at"] == NOW.isoformat()
    assert cancelled["versions"][0]["body"]["parties"]["buyer"]["name"] == MARKER
    assert found[world["waiting_old"]]["anonymised_at"] is None


def test_analysts_get_pseudonyms_not_names(service: Clearway, world: dict[str, str]) -> None:
    with service.engine.connect() as conn:
        everything = list(pseudonymised_consignments(conn, KEY, chunk=2))
        courier = list(pseudonymised_consignments(conn, KEY, operator_id=OTHER_COURIER))
        early = list(pseudonymised_consignments(conn, KEY, received_before=T0 + dt.timedelta(days=1)))
        late = list(pseudonymised_consignments(conn, KEY, received_from=T0 + dt.timedelta(days=1)))
    assert len(everything) == len(world)
    assert [c.reference for c in courier] == ["MSG-6"]
    assert [c.reference for c in late] == ["MSG-3"] and len(early) == len(world) - 1
    text = msgspec.json.encode(everything).decode()
    assert [name for name in NAMES if name in text] == []
    buyers = {c.reference: c.parties.buyer.name for c in everything}
    assert buyers["MSG-1"] == buyers["MSG-3"] == pseudonym("Anna Schmidt", KEY)
    assert buyers["MSG-2"] == pseudonym("Bernd Bauer", KEY)  # the current version (2)


def test_a_weak_key_is_refused_before_anything_is_read(service: Clearway) -> None:
    with service.engine.connect() as conn, pytest.raises(ValueError, match="16"):
        pseudonymised_consignments(conn, b"short")


def test_retention_in_steps_ends_where_one_run_ends(service: Clearway, world: dict[str, str]) -> None:
    steps = []
    while True:
        with service.engine.begin() as conn:
            step = apply_retention(conn, now=NOW, older_than=KEEP, chunk=1, limit=1)
        if not step.consignments:
            break
        steps.append(step.consignments)
    assert steps == [1, 1, 1, 1]
    assert [name for name in NAMES if name in text_of(service, world["cancelled_old"])] == []
    assert service.verify_audit().ok


# -- documents no kept consignment refers to --------------------------------------------------


def lone_documents(service: Clearway, order: Order, waybill: Waybill) -> None:
    """Documents no declaration ever named: two old ones, one recent."""
    old_order = msgspec.structs.replace(order, order_number="SW-LONE")
    old_waybill = msgspec.structs.replace(
        waybill, transport_document="HWB-LONE", document_type="house_waybill", order_number="SW-LONE"
    )
    service.submit_documents("order", "op-platform-1", [old_order], now=T0)
    service.submit_documents("waybill", "op-post-1", [old_waybill], now=T0)
    recent = msgspec.structs.replace(order, order_number="SW-NEW")
    service.submit_documents("order", "op-platform-1", [recent], now=NOW - dt.timedelta(days=1))


def assert_no_orphans(service: Clearway, cutoff: dt.datetime, before: dict[str, str]) -> None:
    """Every document older than the cut-off is anonymised unless a kept (not anonymised)
    consignment refers to it; those a kept consignment refers to are exactly as they were."""
    with service.engine.connect() as conn:
        retained = set(conn.execute(sa.select(retention_log.c.consignment_id)).scalars())
        kept = [row for row in conn.execute(sa.select(consignments)) if row.id not in retained]
        docs = conn.execute(sa.select(documents)).all()
    orders = {c.order_number for c in kept}
    payments = {c.payment_key for c in kept}
    waybills = {c.transport_document for c in kept}
    for doc in docs:
        referred = (
            (doc.kind == "order" and doc.number in orders)
            or (doc.kind == "payment" and (doc.number in payments or doc.order_number in orders))
            or (doc.kind == "waybill" and doc.number in waybills)
        )
        if referred:
            assert doc.body == before[doc.id], f"{doc.kind} {doc.number} is a kept consignment's, yet changed"
        elif doc.received_at < cutoff:
            assert MARKER in doc.body, f"{doc.kind} {doc.number} is old and nobody's, yet not anonymised"
            assert [name for name in NAMES if name in doc.body] == []


def bodies(service: Clearway) -> dict[str, str]:
    with service.engine.connect() as conn:
        return {row.id: row.body for row in conn.execute(sa.select(documents.c.id, documents.c.body))}


@pytest.mark.parametrize("chunk", [1000, 1])
def test_retention_leaves_no_old_document_that_no_kept_consignment_refers_to(
    service: Clearway, world: dict[str, str], order: Order, waybill: Waybill, chunk: int
) -> None:
    lone_documents(service, order, waybill)
    before, audit_before = bodies(service), snapshot(service)["audit_log"]
    report = retain(service, chunk)
    assert report.orphans == 2 and report.consignments == 4
    assert_no_orphans(service, NOW - KEEP, before)
    for kind, number in [("order", "SW-LONE"), ("waybill", "HWB-LONE")]:
        assert MARKER in document_body(service, kind, number)
    # Too recent, or an open parcel's: as they were.
    assert "Anna Schmidt" in document_body(service, "order", "SW-NEW")
    assert "Anna Schmidt" in document_body(service, "order", "SW-SPLIT")
    # The audit chain is the same chain, intact; a second run finds nothing.
    assert snapshot(service)["audit_log"] == audit_before and service.verify_audit().ok
    again = retain(service)
    assert again.done and (again.orphans, again.documents) == (0, 0)


def test_a_document_newer_than_its_consignment_goes_once_it_is_old(
    service: Clearway, world: dict[str, str], consignment: Consignment, order: Order, payment: Payment, waybill: Waybill
) -> None:
    # Cancelled long ago while waiting for its waybill, which came later, after the cut-off.
    late = variant(consignment, "8")
    docs = documents_of(late, order, payment, waybill)
    send(service, docs, T0, which="op")
    cid = submit(service, COURIER, late, T0)
    service.cancel(COURIER, cid, "withdrawn", now=T0)
    send(service, docs, NOW - dt.timedelta(days=30), which="w")
    first = retain(service)
    assert "Anna Schmidt" in document_body(service, "waybill", "HWB-8")  # newer than the cut-off
    assert first.documents_kept >= 1
    later = NOW + dt.timedelta(days=400)
    before = bodies(service)
    with service.engine.begin() as conn:
        report = apply_retention(conn, now=later, older_than=KEEP)
    assert report.orphans >= 1
    assert MARKER in document_body(service, "waybill", "HWB-8")
    assert_no_orphans(service, later - KEEP, before)
    assert service.verify_audit().ok


def test_orphaned_documents_in_steps_end_where_one_run_ends(
    service: Clearway, world: dict[str, str], order: Order, waybill: Waybill
) -> None:
    lone_documents(service, order, waybill)
    before = bodies(service)
    steps = []
    while True:
        with service.engine.begin() as conn:
            step = apply_retention(conn, now=NOW, older_than=KEEP, chunk=1, limit=1)
        if step.done:
            break
        steps.append((step.consignments, step.orphans))
    # Consignments first (their documents' names are redacted from their messages), then orphans.
    assert steps == [(1, 0)] * 4 + [(0, 1)] * 2
    assert_no_orphans(service, NOW - KEEP, before)
