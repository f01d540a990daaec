"""The alert exchange against the store: partners, our key, import, matching in the pipeline, export, audit."""

from __future__ import annotations

import base64
import datetime as dt
import json
from typing import Any

import msgspec
import pytest
import sqlalchemy as sa

from clearway.app.alerts.service import AlertRefusedError
from clearway.app.platform import Clearway
from clearway.clearance.errors import Conflict, InvalidRecord, NotFound
from clearway.clearance.lifecycle import State
from clearway.dataset.records import Consignment
from clearway.risk import partner_alerts as pa
from clearway.store.alert_tables import alert_envelopes, alert_partners
from clearway.store.audit_log import SqlAuditLog

ADMIN = "person:ada"
# The partner administration (the Netherlands), with its own key pair, outside our database.
NL_KEY = pa.signing_key(b"n" * 32)
SHARED = bytes(range(32))
SHARED_B64 = base64.b64encode(SHARED).decode()


def register_nl(service: Clearway) -> None:
    service.alerts.add_partner(
        "NL", "Douane Nederland", "nl-1", pa.encode_key(pa.public_bytes(NL_KEY)), SHARED_B64, actor=ADMIN
    )


def nl_envelope(record: Consignment, *, finding: str = "counterfeit", alert_id: str = "NL-a1", **more: Any) -> bytes:
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    alert = pa.PartnerAlert(
        id=alert_id,
        issuer="NL",
        issued_at=now - dt.timedelta(days=1),
        expires_at=now + dt.timedelta(days=90),
        finding=finding,  # type: ignore[arg-type]
        hs_code="620610",
        origin="CN",
        route=pa.Route(origin="CN", destination="NL", transport_mode="post"),
        sellers=[pa.pseudonym(SHARED, i) for i in pa.seller_identifiers(record)],
    )
    return pa.sign(NL_KEY, "NL", more.get("key_id", "nl-1"), [alert], now)


def actions(service: Clearway) -> list[tuple[str, str, dict[str, Any]]]:
    with service.engine.connect() as conn:
        return [(e.action, e.subject, e.detail) for e in SqlAuditLog(conn).entries(0, 1000)]


def test_an_imported_alert_is_kept_as_received_and_audited(service: Clearway, consignment: Consignment) -> None:
    register_nl(service)
    data = nl_envelope(consignment)
    answer = service.alerts.import_envelope(data, actor="person:rita")
    assert (answer["partner"], answer["alerts"], answer["new"]) == ("NL", 1, 1)
    with service.engine.connect() as conn:
        kept = conn.execute(sa.select(alert_envelopes.c.body, alert_envelopes.c.imported_by)).one()
    assert kept == (data.decode(), "person:rita")
    # The same alert again is kept once.
    assert service.alerts.import_envelope(data, actor="person:rita")["new"] == 0
    [listed] = service.alerts.alerts()
    assert (listed["partner_code"], listed["finding"], listed["hs_code"]) == ("NL", "counterfeit", "620610")
    assert ("alerts.import", "NL") in [(a, s) for a, s, _ in actions(service)]


@pytest.mark.parametrize(
    ("tamper", "code"),
    [
        (lambda b: b.replace(b'"counterfeit"', b'"prohibited"'), "bad_signature"),
        (lambda b: b.replace(b'"issuer":"NL"', b'"issuer":"FR"'), "unknown_partner"),
        (lambda b: b[:40], "malformed"),
    ],
)
def test_a_refused_envelope_stores_nothing_and_is_audited(
    service: Clearway, consignment: Consignment, tamper: Any, code: str
) -> None:
    register_nl(service)
    with pytest.raises(AlertRefusedError) as caught:
        service.alerts.import_envelope(tamper(nl_envelope(consignment)), actor="person:rita")
    assert caught.value.code == code and caught.value.status == 422
    assert service.alerts.alerts() == []
    assert [d["code"] for a, _, d in actions(service) if a == "alerts.import.failed"] == [code]


def test_an_envelope_under_another_key_id_is_refused(service: Clearway, consignment: Consignment) -> None:
    register_nl(service)
    with pytest.raises(AlertRefusedError, match="'nl-2'"):
        service.alerts.import_envelope(nl_envelope(consignment, key_id="nl-2"), actor="person:rita")


def test_the_shared_key_is_stored_sealed(service: Clearway) -> None:
    register_nl(service)
    with service.engine.connect() as conn:
        sealed = conn.execute(sa.select(alert_partners.c.shared_key_sealed)).scalar_one()
    assert SHARED_B64 not in sealed and SHARED.hex() not in sealed
    assert base64.b64decode(sealed)[12:] != SHARED
    [shown] = service.alerts.partners()
    assert "shared_key" not in json.dumps(shown, default=str) and shown["fingerprint"]


def test_a_partner_without_a_shared_key_gets_one_generated_once(service: Clearway) -> None:
    _, generated = service.alerts.add_partner(
        "BE", "Douane belge", "be-1", pa.encode_key(pa.public_bytes(NL_KEY)), None, actor=ADMIN
    )
    assert generated is not None and len(base64.b64decode(generated)) == 32


@pytest.mark.parametrize(
    ("changes", "pointer"),
    [({"code": "nl"}, "/code"), ({"public_key": "abc"}, "/public_key"), ({"shared_key": "AAAA"}, "/shared_key")],
)
def test_a_bad_partner_is_refused(service: Clearway, changes: dict[str, str], pointer: str) -> None:
    good = {"code": "NL", "name": "Douane", "key_id": "nl-1", "public_key": pa.encode_key(b"k" * 32)}
    args = {**good, "shared_key": SHARED_B64, **changes}
    with pytest.raises(InvalidRecord) as caught:
        service.alerts.add_partner(**args, actor=ADMIN)
    assert [e.pointer for e in caught.value.errors] == [pointer]


def test_a_matching_consignment_hits_the_partner_alert_rule(
    service: Clearway, consignment: Consignment, standard_operators: None
) -> None:
    register_nl(service)
    service.alerts.import_envelope(nl_envelope(consignment), actor="person:rita")
    [result] = service.submit_consignments("op-courier-1", [consignment])
    service.expire_overdue(now=dt.datetime.now(dt.UTC) + dt.timedelta(hours=73))  # assessed without documents
    risk = service.risk.result(result.id or "")
    assert "matches_partner_alert" in risk["rule_hits"]
    [reason] = [r for r in risk["reasons"] if r["code"] == "matches_partner_alert"]
    assert "alert from partner NL: counterfeit (alert NL-a1)" in reason["message"]
    assert "customs-to-customs" in reason["basis"]
    [match] = service.alerts.matches(consignment)
    assert (match.partner_name, match.finding) == ("Douane Nederland", "counterfeit")


def test_a_consignment_of_another_seller_does_not_hit_it(
    service: Clearway, consignment: Consignment, standard_operators: None
) -> None:
    register_nl(service)
    service.alerts.import_envelope(nl_envelope(consignment), actor="person:rita")
    seller = msgspec.structs.replace(consignment.parties.seller, name="Another Trading Co")
    other = msgspec.structs.replace(consignment, parties=msgspec.structs.replace(consignment.parties, seller=seller))
    [result] = service.submit_consignments("op-courier-1", [other])
    service.expire_overdue(now=dt.datetime.now(dt.UTC) + dt.timedelta(hours=73))
    assert "matches_partner_alert" not in service.risk.result(result.id or "")["rule_hits"]


def seize(service: Clearway, consignment: Consignment, outcome: str = "counterfeit") -> str:
    [result] = service.submit_consignments("op-courier-1", [consignment])
    cid = result.id or ""
    service.expire_overdue(now=dt.datetime.now(dt.UTC) + dt.timedelta(hours=73))
    service.control(cid, State.INSPECTED, actor="person:olga", reason="opened")
    service.risk.record_outcome(cid, outcome, officer="person:olga")
    service.control(cid, State.SEIZED, actor="person:olga", reason="counterfeit goods")
    return cid


def test_an_export_is_signed_pseudonymised_and_verifies_at_the_partner(
    service: Clearway, consignment: Consignment, standard_operators: None
) -> None:
    register_nl(service)
    ours = service.alerts.create_key("DE", actor=ADMIN)
    cid = seize(service, consignment)
    data = service.alerts.export("NL", dt.datetime.now(dt.UTC) - dt.timedelta(hours=1), actor="person:rita")
    # The Netherlands verify it with the public key we gave them.
    ours_at_nl = {"DE": pa.Partner("DE", "Zoll", ours["key_id"], pa.decode_key(ours["public_key"]), SHARED)}
    envelope = pa.verify(data, ours_at_nl, dt.datetime.now(dt.UTC))
    [alert] = envelope.alerts
    assert (alert.finding, alert.hs_code, alert.origin, alert.route.destination) == (
        "counterfeit",
        "620610",
        "CN",
        "DE",
    )
    # And it matches the same seller's parcels at their border.
    assert pa.AlertIndex([(alert, ours_at_nl["DE"])]).match(consignment, dt.datetime.now(dt.UTC))
    # No personal data: neither the seller's name nor any of the buyer's or consignee's.
    buyer = consignment.parties.buyer
    for raw in (consignment.parties.seller.name, buyer.name, buyer.email, cid, consignment.reference):
        assert raw is None or raw.encode() not in data
    [(subject, detail)] = [(s, d) for a, s, d in actions(service) if a == "alerts.export"]
    assert subject == "NL" and detail["consignments"] == [cid] and detail["alerts"] == [alert.id]


def test_a_compliant_inspection_is_not_exported(
    service: Clearway, consignment: Consignment, standard_operators: None
) -> None:
    register_nl(service)
    service.alerts.create_key("DE", actor=ADMIN)
    [result] = service.submit_consignments("op-courier-1", [consignment])
    service.expire_overdue(now=dt.datetime.now(dt.UTC) + dt.timedelta(hours=73))
    service.control(result.id or "", State.INSPECTED, actor="person:olga", reason="opened")
    service.risk.record_outcome(result.id or "", "compliant", officer="person:olga")
    data = service.alerts.export("NL", dt.datetime.now(dt.UTC) - dt.timedelta(hours=1), actor="person:rita")
    assert json.loads(data)["alerts"] == []


def test_an_export_needs_our_key_and_a_known_partner(service: Clearway) -> None:
    since = dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
    with pytest.raises(NotFound, match="no partner"):
        service.alerts.export("NL", since, actor=ADMIN)
    register_nl(service)
    with pytest.raises(Conflict, match="no signing key"):
        service.alerts.export("NL", since, actor=ADMIN)


def test_a_new_key_retires_the_old_one(service: Clearway) -> None:
    first = service.alerts.create_key("DE", actor=ADMIN)
    second = service.alerts.create_key("DE", actor=ADMIN)
    assert service.alerts.our_key()["key_id"] == second["key_id"] != first["key_id"]
    assert second["public_key"] != first["public_key"]


def test_a_large_batch_is_matched_in_the_frame_path_alike(
    service: Clearway, consignment: Consignment, standard_operators: None
) -> None:
    register_nl(service)
    service.alerts.import_envelope(nl_envelope(consignment), actor="person:rita")
    seller = msgspec.structs.replace(consignment.parties.seller, name="Another Trading Co")
    other_parties = msgspec.structs.replace(consignment.parties, seller=seller)
    batch = [
        msgspec.structs.replace(consignment, reference=f"REF-{i}", **({"parties": other_parties} if i % 2 else {}))
        for i in range(30)
    ]
    results = service.submit_consignments("op-courier-1", batch)
    service.expire_overdue(now=dt.datetime.now(dt.UTC) + dt.timedelta(hours=73))  # one batch of 30: the frame
    hits = ["matches_partner_alert" in service.risk.result(r.id or "")["rule_hits"] for r in results]
    assert hits == [i % 2 == 0 for i in range(30)]


def test_an_import_reaches_a_risk_step_already_built(
    service: Clearway, consignment: Consignment, standard_operators: None
) -> None:
    register_nl(service)
    before = service.risk.step()
    service.alerts.import_envelope(nl_envelope(consignment), actor="person:rita")
    assert service.risk.step() is not before and len(service.risk.step().partner_alerts or [])
