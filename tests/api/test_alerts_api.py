"""Customs-to-customs alerts over HTTP: who may do what, the envelope in and out, refusals as problems."""

from __future__ import annotations

import base64
import datetime as dt
import json

from fastapi.testclient import TestClient

from clearway.access.roles import Role
from clearway.app.platform import Clearway
from clearway.dataset.records import Consignment
from clearway.risk import partner_alerts as pa
from tests.api.conftest import headers
from tests.api.documented import assert_documented
from tests.api.test_access_api import sign_in
from tests.app.test_alerts import NL_KEY, SHARED, SHARED_B64, nl_envelope, register_nl, seize

PARTNER = {"name": "Douane Nederland", "key_id": "nl-1", "public_key": pa.encode_key(pa.public_bytes(NL_KEY))}


def test_an_operator_can_neither_import_nor_export(client: TestClient, consignment: Consignment) -> None:
    data = nl_envelope(consignment)
    assert client.post("/v1/alerts/import", content=data, headers=headers()).status_code == 403
    since = "2026-01-01T00:00:00Z"
    assert client.get(f"/v1/alerts/export?partner=NL&since={since}", headers=headers()).status_code == 403
    assert client.get("/v1/alerts", headers=headers()).status_code == 403
    assert client.put("/v1/admin/alerts/partners/NL", json=PARTNER, headers=headers()).status_code == 403


def test_an_officer_reads_alerts_but_does_not_import_or_manage_partners(
    client: TestClient, service: Clearway, consignment: Consignment
) -> None:
    csrf = sign_in(client, service, "olga", Role.OFFICER)
    auth = {"X-CSRF-Token": csrf, "Content-Type": "application/json"}
    assert client.post("/v1/alerts/import", content=nl_envelope(consignment), headers=auth).status_code == 403
    assert client.put("/v1/admin/alerts/partners/NL", json=PARTNER, headers=auth).status_code == 403
    assert assert_documented(client, "GET", "/v1/alerts", client.get("/v1/alerts")) == {"items": []}


def test_an_analyst_imports_an_envelope_and_a_bad_one_is_a_precise_problem(
    client: TestClient, service: Clearway, consignment: Consignment
) -> None:
    register_nl(service)
    csrf = sign_in(client, service, "rita", Role.ANALYST)
    auth = {"X-CSRF-Token": csrf, "Content-Type": "application/json"}
    done = client.post("/v1/alerts/import", content=nl_envelope(consignment), headers=auth)
    assert assert_documented(client, "POST", "/v1/alerts/import", done)["new"] == 1
    tampered = nl_envelope(consignment, alert_id="NL-a2").replace(b'"counterfeit"', b'"prohibited"')
    refused = client.post("/v1/alerts/import", content=tampered, headers=auth)
    assert refused.status_code == 422 and refused.headers["content-type"] == "application/problem+json"
    problem = refused.json()
    assert problem["type"].endswith("alert-bad-signature") and "changed after it was signed" in problem["detail"]
    stranger = pa.sign(pa.signing_key(b"f" * 32), "FR", "fr-1", [], dt.datetime.now(dt.UTC))
    unknown = client.post("/v1/alerts/import", content=stranger, headers=auth)
    assert unknown.status_code == 422 and unknown.json()["type"].endswith("alert-unknown-partner")
    assert [e["pointer"] for e in unknown.json()["errors"]] == ["/issuer"]
    listed = assert_documented(client, "GET", "/v1/alerts", client.get("/v1/alerts"))["items"]
    assert [(a["partner_code"], a["finding"]) for a in listed] == [("NL", "counterfeit")]


def test_an_administrator_registers_partners_and_keys_and_an_analyst_exports(
    client: TestClient, service: Clearway, consignment: Consignment, standard_operators: None
) -> None:
    csrf = sign_in(client, service, "ada", Role.ADMIN)
    auth = {"X-CSRF-Token": csrf}
    assert client.get("/v1/admin/alerts/key").status_code == 404
    key = client.post("/v1/admin/alerts/key", json={"issuer": "DE"}, headers=auth)
    ours = assert_documented(client, "POST", "/v1/admin/alerts/key", key)
    put = client.put("/v1/admin/alerts/partners/NL", json={**PARTNER, "shared_key": SHARED_B64}, headers=auth)
    view = assert_documented(client, "PUT", "/v1/admin/alerts/partners/{code}", put)
    assert "shared_key" not in view and view["fingerprint"] == pa.fingerprint(pa.public_bytes(NL_KEY))
    generated = client.put("/v1/admin/alerts/partners/BE", json={**PARTNER, "key_id": "be-1"}, headers=auth).json()
    assert len(base64.b64decode(generated["shared_key"])) == 32
    listed = assert_documented(client, "GET", "/v1/admin/alerts/partners", client.get("/v1/admin/alerts/partners"))
    assert [p["code"] for p in listed["items"]] == ["BE", "NL"]
    assert all("shared_key" not in p for p in listed["items"])
    bad = client.put("/v1/admin/alerts/partners/NL", json={**PARTNER, "public_key": "A" * 40}, headers=auth)
    assert bad.status_code == 422

    seize(service, consignment)
    since = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    exported = client.get("/v1/alerts/export", params={"partner": "NL", "since": since})
    assert exported.status_code == 200, exported.text
    at_nl = {"DE": pa.Partner("DE", "Zoll", ours["key_id"], pa.decode_key(ours["public_key"]), SHARED)}
    [alert] = pa.verify(exported.content, at_nl, dt.datetime.now(dt.UTC)).alerts
    assert alert.finding == "counterfeit"
    assert consignment.parties.seller.name.encode() not in exported.content
    assert consignment.parties.buyer.name.encode() not in exported.content
    assert json.loads(exported.content)["issuer"] == "DE"
    assert client.get("/v1/alerts/export", params={"partner": "XX", "since": since}).status_code == 404
