"""Issue 22, findings 1-3: no amendment or cancellation escapes a customs control, and documents are
bound to their senders. Each test replays the reviewer's attack with real requests through the app
and the real database, and checks that it no longer succeeds."""

from __future__ import annotations

import copy
import datetime as dt
import json
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from clearway.access.roles import Role
from clearway.app.platform import Clearway
from clearway.clearance.lifecycle import HoldReason, State
from clearway.dataset.records import Consignment
from tests.api.conftest import headers
from tests.api.test_access_api import sign_in
from tests.conftest import decode, fixture_json

DECLARANT, OTHER = "op-courier-1", "op-courier-2"


def post(client: TestClient, path: str, data: dict[str, Any], operator: str = DECLARANT) -> httpx.Response:
    return client.post(path, content=json.dumps(data).encode(), headers=headers(operator))


def send_documents(client: TestClient, senders: dict[str, str] | None = None) -> None:
    """The fixture's order, payment and waybill, each from the sender the declaration names."""
    senders = senders or {"order": "op-platform-1", "payment": "op-psp-1", "waybill": "op-post-1"}
    for kind, sender in senders.items():
        assert post(client, f"/v1/{kind}s", fixture_json(f"{kind}.json"), sender).status_code == 201


def declare(client: TestClient, data: dict[str, Any], operator: str = DECLARANT) -> dict[str, Any]:
    r = post(client, "/v1/consignments", data, operator)
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


def pepper_spray(data: dict[str, Any], description: str = "Pepper spray 50 ml") -> dict[str, Any]:
    changed = copy.deepcopy(data)
    changed["items"][0]["description"] = description
    return changed


def state_of(service: Clearway, cid: str) -> tuple[State, str | None]:
    dossier = service.dossier(None, cid)
    assert dossier is not None
    return dossier.consignment.status.state, dossier.consignment.status.control


def test_a_red_hold_is_not_escaped_by_amending_the_description(
    client: TestClient, service: Clearway, consignment_data: dict[str, Any]
) -> None:
    send_documents(client)
    held = declare(client, pepper_spray(consignment_data))
    assert held["state"] == "held"
    assert state_of(service, held["id"]) == (State.HELD, "selected")
    harmless = pepper_spray(consignment_data, "Hair spray 50 ml")
    r = post(client, f"/v1/consignments/{held['id']}/amendments", harmless)
    assert r.status_code == 409
    problem = r.json()
    assert r.headers["content-type"].startswith("application/problem+json")
    assert problem["type"].endswith("under-customs-control")
    assert "Art. 173(2)" in problem["detail"]
    assert state_of(service, held["id"]) == (State.HELD, "selected")
    # Nor by withdrawing it: no invalidation before the announced examination (UCC Art. 174(1)).
    cancel = client.post(
        f"/v1/consignments/{held['id']}/cancellation", json={"reason": "sold out"}, headers=headers(DECLARANT)
    )
    assert cancel.status_code == 409 and "Art. 174(1)" in cancel.json()["detail"]
    assert state_of(service, held["id"])[0] is State.HELD


def test_an_officers_hold_is_not_cleared_by_a_new_weight_and_the_waybill(
    client: TestClient, service: Clearway, consignment_data: dict[str, Any]
) -> None:
    send_documents(client, {"order": "op-platform-1", "payment": "op-psp-1"})
    waiting = declare(client, consignment_data)
    assert waiting["state"] == "awaiting_documents"
    csrf = sign_in(client, service, "olga", Role.OFFICER)
    hold = {"target": "held", "reason": "intelligence", "hold_reason": "inspection"}
    r = client.post(f"/v1/customs/consignments/{waiting['id']}/control", json=hold, headers={"X-CSRF-Token": csrf})
    assert r.status_code == 200 and r.json()["state"] == "held"
    heavier = copy.deepcopy(consignment_data)
    heavier["logistics"]["gross_weight_kg"] = "0.46"
    assert post(client, f"/v1/consignments/{waiting['id']}/amendments", heavier).status_code == 409
    assert post(client, "/v1/waybills", fixture_json("waybill.json"), "op-post-1").status_code == 201
    service.expire_overdue()
    assert state_of(service, waiting["id"]) == (State.HELD, "officer")


def test_a_request_for_information_is_still_answered_by_an_amendment(
    client: TestClient, service: Clearway, consignment_data: dict[str, Any]
) -> None:
    # The engine's own request for information (here: a payment that disagrees) is no
    # examination: the declarant answers it with a corrected declaration.
    send_documents(client)
    wrong = copy.deepcopy(consignment_data)
    wrong["items"][0]["unit_price"] = "10.80"
    held = declare(client, wrong)
    dossier = service.dossier(None, held["id"])
    assert dossier is not None
    status = dossier.consignment.status
    assert status.state is State.HELD
    assert status.hold_reason is HoldReason.REQUEST_FOR_INFORMATION and status.control is None
    r = post(client, f"/v1/consignments/{held['id']}/amendments", consignment_data)
    assert r.status_code == 201, r.text


def test_another_operator_cannot_link_or_read_documents_by_naming_their_numbers(
    client: TestClient, service: Clearway, consignment_data: dict[str, Any]
) -> None:
    # A (a courier) supplies its own documents for its own declaration; B names the same numbers.
    own = {"order": DECLARANT, "payment": DECLARANT, "waybill": DECLARANT}
    send_documents(client, own)
    mine = declare(client, consignment_data)
    assert mine["state"] == "released"
    copied = dict(consignment_data, reference="B-0001")
    theirs = declare(client, copied, OTHER)
    assert theirs["state"] == "awaiting_documents"
    view = client.get(f"/v1/consignments/{theirs['id']}", headers=headers(OTHER))
    assert view.status_code == 200
    # Nothing of A's order or payment reaches B: the payer's account, the payment time, the order total.
    for secret in ("card-4242", "2026-11-20T09:16:30", "ShopWorld Pay"):
        assert secret not in view.text, secret
    # B's copy never links A's documents, so it is not released on A's evidence.
    service.expire_overdue()
    assert state_of(service, theirs["id"])[0] is not State.RELEASED


def test_a_copied_declaration_naming_the_real_senders_is_caught_as_declared_twice(
    client: TestClient, service: Clearway, consignment_data: dict[str, Any]
) -> None:
    send_documents(client)
    first = declare(client, consignment_data)
    assert first["state"] == "released"
    second = declare(client, dict(consignment_data, reference="B-0002"), OTHER)
    assert second["state"] != "released"
    dossier = service.dossier(None, second["id"])
    assert dossier is not None and dossier.link is not None
    assert "declared_twice" in {r.code for r in dossier.link.reasons}


def test_a_later_document_from_another_sender_replaces_nothing(
    client: TestClient, service: Clearway, consignment_data: dict[str, Any]
) -> None:
    send_documents(client)
    mine = declare(client, consignment_data)
    assert mine["state"] == "released"
    forged = fixture_json("waybill.json")
    forged["gross_weight_kg"] = "9.99"
    assert post(client, "/v1/waybills", forged, OTHER).status_code == 201
    dossier = service.dossier(None, mine["id"])
    assert dossier is not None
    assert dossier.consignment.status.state is State.RELEASED
    assert dossier.documents["waybill"].operator_id == "op-post-1"
    # Both are kept; officers see the other sender's document under the same number.
    assert [(d.kind, d.operator_id, why) for d, why in dossier.other_documents] == [
        ("waybill", OTHER, "sender_not_named")
    ]
    history = [h["actor"] for h in dossier.history]
    assert f"operator:{OTHER}" not in history
    # The officer's view names both senders; the declarant's view shows neither the other document
    # nor anything of it, and the other sender cannot read the consignment at all.
    sign_in(client, service, "olga", Role.OFFICER)
    officer = client.get(f"/v1/customs/consignments/{mine['id']}").json()
    assert officer["documents"]["waybill"]["sent_by"] == "op-post-1"
    assert [(o["kind"], o["sent_by"], o["why"]) for o in officer["other_documents"]] == [
        ("waybill", OTHER, "sender_not_named")
    ]
    declarant = client.get(f"/v1/consignments/{mine['id']}", headers=headers(DECLARANT))
    assert "9.99" not in declarant.text and OTHER not in declarant.text
    assert client.get(f"/v1/consignments/{mine['id']}", headers=headers(OTHER)).status_code == 404


@pytest.mark.parametrize(
    ("operator", "path", "fixture"),
    [
        ("op-psp-1", "/v1/orders", "order.json"),
        ("op-psp-1", "/v1/waybills", "waybill.json"),
        ("op-psp-1", "/v1/consignments", "consignment.json"),
    ],
)
def test_senders_are_refused_documents_outside_their_business(
    client: TestClient, operator: str, path: str, fixture: str
) -> None:
    r = post(client, path, fixture_json(fixture), operator)
    assert r.status_code == 403
    assert r.json()["type"].endswith("sender-not-entitled")


def test_a_courier_sending_all_three_documents_is_flagged_not_independent(
    client: TestClient, service: Clearway, consignment_data: dict[str, Any]
) -> None:
    send_documents(client, {"order": DECLARANT, "payment": DECLARANT, "waybill": "op-post-1"})
    mine = declare(client, consignment_data)
    dossier = service.dossier(None, mine["id"])
    assert dossier is not None and dossier.link is not None
    assert dossier.link.self_supplied == ["order", "payment"]


def test_china_wants_each_document_from_its_own_source(
    client: TestClient, service: Clearway, consignment_data: dict[str, Any]
) -> None:
    to_china = copy.deepcopy(consignment_data)
    to_china["destination_country"] = "CN"
    waybill = fixture_json("waybill.json")
    waybill["destination_country"] = "CN"
    for kind in ("order", "payment"):
        assert post(client, f"/v1/{kind}s", fixture_json(f"{kind}.json"), DECLARANT).status_code == 201
    assert post(client, "/v1/waybills", waybill, "op-post-1").status_code == 201
    waiting = declare(client, to_china)
    # The declarant's own order and payment do not count in China: it waits for the platform's.
    assert waiting["state"] == "awaiting_documents"
    dossier = service.dossier(None, waiting["id"])
    assert dossier is not None and dossier.link is not None
    assert set(dossier.link.missing) == {"order", "payment"}


def test_the_officers_page_shows_the_control_the_senders_and_the_other_documents(
    client: TestClient, service: Clearway, consignment_data: dict[str, Any]
) -> None:
    send_documents(client, {"order": DECLARANT, "payment": "op-psp-1", "waybill": "op-post-1"})
    held = declare(client, pepper_spray(consignment_data))
    assert post(client, "/v1/waybills", fixture_json("waybill.json"), OTHER).status_code == 201
    sign_in(client, service, "olga", Role.OFFICER)
    page = client.get(f"/consignments/{held['id']}")
    assert page.status_code == 200
    text = page.text
    assert "under customs control (selected by targeting)" in text
    assert "sent by the declarant itself, not independent" in text
    assert f"from <code>{OTHER}</code>" in text and "sender not named in the declaration" in text


# -- the bypasses a second review found -------------------------------------------------------------


def test_a_red_hold_reached_through_the_document_deadline_holds_too(
    client: TestClient, service: Clearway, consignment_data: dict[str, Any]
) -> None:
    held = declare(client, pepper_spray(consignment_data))
    assert held["state"] == "awaiting_documents"
    service.expire_overdue(now=dt.datetime.now(dt.UTC) + dt.timedelta(days=30))
    assert state_of(service, held["id"]) == (State.HELD, "selected")
    send_documents(client)
    harmless = pepper_spray(consignment_data, "Hair spray 50 ml")
    assert post(client, f"/v1/consignments/{held['id']}/amendments", harmless).status_code == 409


def test_the_held_parcel_redeclared_under_a_new_waybill_is_not_released(
    client: TestClient, service: Clearway, consignment_data: dict[str, Any]
) -> None:
    send_documents(client)
    held = declare(client, pepper_spray(consignment_data))
    assert held["state"] == "held"
    again = pepper_spray(consignment_data, "Hair spray 50 ml")
    again["reference"] = "MSG-0002"
    again["logistics"]["transport_document"] = "RR111111115CN"
    waybill = fixture_json("waybill.json") | {"transport_document": "RR111111115CN"}
    # The courier's own waybill, while the declaration names the post as carrier: not independent.
    assert post(client, "/v1/waybills", waybill, DECLARANT).status_code == 201
    second = declare(client, again)
    assert second["state"] != "released"
    dossier = service.dossier(None, second["id"])
    assert dossier is not None and dossier.link is not None
    assert "order_under_control" in {r.code for r in dossier.link.reasons}
    assert dossier.link.self_supplied == ["waybill"]


def test_naming_someone_elses_transport_document_does_not_hold_their_parcel(
    client: TestClient, service: Clearway, consignment_data: dict[str, Any]
) -> None:
    send_documents(client, {"order": "op-platform-1", "payment": "op-psp-1"})
    mine = declare(client, consignment_data)
    junk = copy.deepcopy(consignment_data)
    junk["reference"] = "X-1"
    for role in ("platform", "payment_provider", "carrier"):
        junk["parties"].pop(role)
    declare(client, junk, OTHER)
    assert post(client, "/v1/waybills", fixture_json("waybill.json"), "op-post-1").status_code == 201
    dossier = service.dossier(None, mine["id"])
    assert dossier is not None and dossier.link is not None
    assert dossier.consignment.status.state is State.RELEASED
    assert "declared_twice" not in {r.code for r in dossier.link.reasons}


def test_an_officers_request_for_information_is_answered_and_stays_with_the_officer(
    client: TestClient, service: Clearway, consignment_data: dict[str, Any]
) -> None:
    send_documents(client, {"order": "op-platform-1", "payment": "op-psp-1"})
    other = copy.deepcopy(consignment_data)
    waiting = declare(client, other)
    assert waiting["state"] == "awaiting_documents"
    csrf = sign_in(client, service, "olga", Role.OFFICER)
    ask = {"target": "held", "reason": "invoice please", "hold_reason": "request_for_information"}
    r = client.post(f"/v1/customs/consignments/{waiting['id']}/control", json=ask, headers={"X-CSRF-Token": csrf})
    assert r.status_code == 200
    assert state_of(service, waiting["id"]) == (State.HELD, "requested")
    answer = copy.deepcopy(other)
    answer["items"][0]["description"] = "Women's silk blouse, 100 % silk"
    r = post(client, f"/v1/consignments/{waiting['id']}/amendments", answer)
    assert r.status_code == 201 and r.json()["state"] == "held" and r.json()["version"] == 2
    # The officer decides; a turn to examination locks the declaration.
    assert state_of(service, waiting["id"]) == (State.HELD, "requested")
    examine = {"target": "held", "reason": "examine", "hold_reason": "inspection"}
    r = client.post(f"/v1/customs/consignments/{waiting['id']}/control", json=examine, headers={"X-CSRF-Token": csrf})
    assert r.status_code == 200 and state_of(service, waiting["id"]) == (State.HELD, "officer")
    assert post(client, f"/v1/consignments/{waiting['id']}/amendments", other).status_code == 409


def two_parcels_in_one_batch(service: Clearway, data: dict[str, Any]) -> tuple[Any, Any]:
    """The pepper spray (held under control) and a second parcel of its order, under the transport
    document RR111111115CN, submitted together in one batch; their results."""
    second = pepper_spray(data, "Hair spray 50 ml")
    second["reference"] = "MSG-0002"
    second["logistics"]["transport_document"] = "RR111111115CN"
    records = [decode(Consignment, pepper_spray(data)), decode(Consignment, second)]
    first, other = service.submit_consignments(DECLARANT, records)
    return first, other


def test_two_parcels_of_one_order_in_one_batch_do_not_slip_past_the_control(
    client: TestClient, service: Clearway, consignment_data: dict[str, Any]
) -> None:
    """Sent together, the second parcel is decided after the first was put under control: it must see
    that, as it would had it come on its own a moment later (the batch links all before deciding)."""
    send_documents(client)
    waybill = fixture_json("waybill.json") | {"transport_document": "RR111111115CN"}
    assert post(client, "/v1/waybills", waybill, "op-post-1").status_code == 201
    first, other = two_parcels_in_one_batch(service, consignment_data)
    assert state_of(service, str(first.id)) == (State.HELD, "selected")
    assert other.state is not State.RELEASED
    dossier = service.dossier(None, str(other.id))
    assert dossier is not None and dossier.link is not None
    assert "order_under_control" in {r.code for r in dossier.link.reasons}


def test_a_parcel_of_the_order_that_waits_in_the_same_batch_records_the_control_too(
    client: TestClient, service: Clearway, consignment_data: dict[str, Any]
) -> None:
    """Its waybill not sent yet, the second parcel waits; what it records must say what it would
    have said coming alone after the first: another parcel of its order is under control."""
    send_documents(client)
    first, other = two_parcels_in_one_batch(service, consignment_data)
    assert state_of(service, str(first.id)) == (State.HELD, "selected")
    assert other.state is State.AWAITING_DOCUMENTS
    dossier = service.dossier(None, str(other.id))
    assert dossier is not None and dossier.link is not None
    assert dossier.link.missing == ["waybill"]
    assert "order_under_control" in {r.code for r in dossier.link.reasons}
