"""Refused requests leave a trace: bad keys, tokens and sessions, wrong roles, missing CSRF tokens
and other operators' consignments go to the audit chain, throttled, and administrators read them
at GET /v1/admin/security-events."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
from typing import Any

import jwt
import sqlalchemy as sa
from fastapi.testclient import TestClient

from clearway.access.roles import Role
from clearway.api.app import create_app
from clearway.app.platform import Clearway
from clearway.store.tables import audit_log
from tests.api.conftest import Keyring, headers

PASSWORD = "a long enough phrase for tests"
FORGED_SECRET = "S" * 43


def security_entries(service: Clearway) -> list[dict[str, Any]]:
    query = sa.select(audit_log).where(audit_log.c.action.like("security.%")).order_by(audit_log.c.seq)
    with service.engine.connect() as conn:
        return [{**row, "detail": json.loads(row["detail"])} for row in conn.execute(query).mappings()]


def denials(service: Clearway) -> list[tuple[str, str, str, str, int]]:
    """(actor, reason, method, route, status) of every recorded refusal, in order."""
    return [
        (e["actor"], e["detail"]["reason"], e["detail"]["method"], e["detail"]["route"], e["detail"]["status"])
        for e in security_entries(service)
        if e["action"] == "security.denied"
    ]


def sign_in(client: TestClient, service: Clearway, username: str, role: Role = Role.ADMIN) -> str:
    """Create a person and sign in through the login form; returns the session's CSRF token."""
    service.access.create_person(
        username=username, display_name=username.title(), role=role, password=PASSWORD, actor="test"
    )
    form = client.get("/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)
    assert csrf is not None, "expected the login form's CSRF field"
    client.post("/login", data={"username": username, "password": PASSWORD, "csrf": csrf.group(1)})
    found = service.access.session(client.cookies["cw_session"])
    assert found is not None, "expected a session"
    return found[1]


def test_bad_credentials_are_recorded_without_the_credential(client: TestClient, service: Clearway) -> None:
    forged_key = f"cw_0123456789ab_{FORGED_SECRET}"
    forged_token = jwt.encode({"iss": "clearway", "sub": "op-x", "kid": "k", "iat": 0, "exp": 2**40}, b"x" * 32)
    refused = [
        client.get("/v1/consignments", headers={"Authorization": f"Bearer {forged_key}"}),
        client.get("/v1/consignments", headers={"Authorization": f"bearer {forged_token}"}),
        client.get("/v1/consignments", headers={"Authorization": "Basic b3A6cHc="}),
        client.get("/v1/consignments"),
    ]
    client.cookies.set("cw_session", "made-up")
    refused.append(client.get("/v1/consignments"))
    client.cookies.clear()
    grant = {"grant_type": "client_credentials", "client_id": "x", "client_secret": "y"}
    refused.append(client.post("/v1/oauth/token", data=grant))
    assert [r.status_code for r in refused] == [401] * 6
    route = "/v1/consignments"
    assert denials(service) == [
        ("anonymous", "bad_key", "GET", route, 401),
        ("anonymous", "bad_token", "GET", route, 401),
        ("anonymous", "bad_scheme", "GET", route, 401),
        ("anonymous", "no_credential", "GET", route, 401),
        ("anonymous", "bad_session", "GET", route, 401),
        ("anonymous", "bad_client", "POST", "/v1/oauth/token", 401),
    ]
    entries = security_entries(service)
    assert {e["detail"]["address"] for e in entries} == {"testclient"}
    assert {e["subject"] for e in entries} == {"security"}
    stored = json.dumps([[e["actor"], e["subject"], e["detail"]] for e in entries])
    for secret in (FORGED_SECRET, forged_token, "made-up", "b3A6cHc="):
        assert secret not in stored
    assert service.verify_audit().ok


def test_a_wrong_role_and_a_missing_csrf_token_name_the_caller(client: TestClient, service: Clearway) -> None:
    assert client.get("/v1/admin/operators", headers=headers("op-courier-1")).status_code == 403
    csrf = sign_in(client, service, "ada")
    operator = {"id": "op-new-1", "name": "New", "kind": "courier", "country": "DE", "contact_email": "a@b.example"}
    assert client.post("/v1/admin/operators", json=operator).status_code == 403  # no X-CSRF-Token
    assert client.post("/v1/admin/operators", json=operator, headers={"X-CSRF-Token": "wrong"}).status_code == 403
    assert client.post("/v1/admin/operators", json=operator, headers={"X-CSRF-Token": csrf}).status_code == 201
    customs = "/v1/customs/consignments/" + "0" * 32
    assert client.get(customs).status_code == 403  # customs' business, not administrators'
    assert denials(service) == [
        ("operator:op-courier-1", "role", "GET", "/v1/admin/operators", 403),
        ("person:ada", "csrf", "POST", "/v1/admin/operators", 403),
        ("person:ada", "csrf", "POST", "/v1/admin/operators", 403),
        ("person:ada", "role", "GET", "/v1/customs/consignments/{consignment_id}", 403),
    ]


def test_a_forged_form_on_a_page_is_recorded(client: TestClient, service: Clearway) -> None:
    sign_in(client, service, "otto", Role.OFFICER)
    r = client.post("/consignments/0123/action", data={"action": "release", "reason": "x", "csrf": "forged"})
    assert r.status_code == 403
    assert denials(service) == [("person:otto", "csrf", "POST", "/consignments/{consignment_id}/action", 403)]


def test_a_page_asked_for_with_a_bad_key_is_recorded_a_missing_session_is_not(
    client: TestClient, service: Clearway
) -> None:
    assert client.get("/", follow_redirects=False).status_code == 303
    bad = {"Authorization": f"Bearer cw_0123456789ab_{FORGED_SECRET}"}
    assert client.get("/", headers=bad, follow_redirects=False).status_code == 303
    assert denials(service) == [("anonymous", "bad_key", "GET", "/", 401)]


def test_another_operators_consignment_is_a_404_and_a_recorded_refusal(
    client: TestClient, service: Clearway, consignment_data: dict[str, Any]
) -> None:
    created = client.post("/v1/consignments", json=consignment_data, headers=headers("op-courier-1"))
    assert created.status_code == 201, created.text
    theirs = created.json()["id"]
    path = f"/v1/consignments/{theirs}"
    missing = "/v1/consignments/" + "0" * 32
    intruder = headers("op-courier-2")
    answers = [
        client.get(path, headers=intruder),
        client.post(f"{path}/cancellation", json={"reason": "mine now"}, headers=intruder),
        client.get(missing, headers=intruder),
    ]
    # The intruder cannot tell the two apart; the audit chain can.
    assert [r.status_code for r in answers] == [404, 404, 404]
    assert answers[0].json()["detail"].replace(theirs, "ID") == answers[2].json()["detail"].replace("0" * 32, "ID")
    assert client.get(path, headers=headers("op-courier-1")).status_code == 200
    assert denials(service) == [
        ("operator:op-courier-2", "other_operator", "GET", "/v1/consignments/{consignment_id}", 404),
        ("operator:op-courier-2", "other_operator", "POST", "/v1/consignments/{consignment_id}/cancellation", 404),
        ("operator:op-courier-2", "not_found", "GET", "/v1/consignments/{consignment_id}", 404),
    ]
    assert theirs not in json.dumps([e["detail"] for e in security_entries(service)])


def test_the_volume_is_bounded_and_the_rest_counted(service: Clearway) -> None:
    settings = dataclasses.replace(service.settings, security_events_per_minute=3)
    bad = {"Authorization": f"Bearer cw_0123456789ab_{FORGED_SECRET}"}
    with TestClient(create_app(settings, service, sweep=False), base_url="https://testserver") as client:
        assert {client.get("/v1/consignments", headers=bad).status_code for _ in range(8)} == {401}
        assert client.get("/v1/consignments").status_code == 401  # another reason: its own allowance
        assert len(denials(service)) == 4
    # The count of the rest is written when its minute is over, or, as here, when the server stops.
    summaries = [e for e in security_entries(service) if e["action"] == "security.suppressed"]
    assert [(s["actor"], s["detail"]) for s in summaries] == [
        ("system:security", {"address": "testclient", "reason": "bad_key", "suppressed": 5, "window_seconds": 60})
    ]
    assert service.verify_audit().ok


def test_administrators_read_the_security_events(client: TestClient, service: Clearway, keyring: Keyring) -> None:
    for _ in range(3):
        client.get("/v1/consignments", headers={"Authorization": f"Bearer cw_0123456789ab_{FORGED_SECRET}"})
    assert client.get("/v1/admin/security-events", headers=headers("op-courier-1")).status_code == 403
    sign_in(client, service, "ada")
    page = client.get("/v1/admin/security-events")
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    items = page.json()["items"]
    assert [(i["reason"], i["actor"], i["route"]) for i in items] == [
        *[("bad_key", "anonymous", "/v1/consignments")] * 3,
        ("role", "operator:op-courier-1", "/v1/admin/security-events"),
    ]
    assert items[0]["action"] == "security.denied" and items[0]["address"] == "testclient"
    assert page.json()["next_after"] is None
    first = client.get("/v1/admin/security-events", params={"limit": 2}).json()
    assert len(first["items"]) == 2 and first["next_after"] == items[1]["seq"]
    rest = client.get("/v1/admin/security-events", params={"after": first["next_after"]}).json()
    assert [i["seq"] for i in rest["items"]] == [i["seq"] for i in items[2:]]
    later = (dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5)).isoformat()
    assert client.get("/v1/admin/security-events", params={"since": later}).json()["items"] == []
    earlier = (dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)).replace(tzinfo=None).isoformat()
    assert len(client.get("/v1/admin/security-events", params={"since": earlier}).json()["items"]) == 4
    assert client.get("/v1/admin/security-events", params={"limit": 0}).status_code == 422
