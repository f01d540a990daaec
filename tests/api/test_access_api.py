"""Authentication and authorisation over HTTP: API keys, OAuth2 tokens, people's sessions."""

from __future__ import annotations

import base64
import json
import re
from typing import Any

from fastapi.testclient import TestClient

from clearway.access import credentials
from clearway.access.roles import Role
from clearway.app.platform import Clearway
from tests.api.conftest import Keyring, headers
from tests.api.documented import assert_documented

PASSWORD = "a long enough phrase"


def sign_in(client: TestClient, service: Clearway, username: str, role: Role = Role.ADMIN) -> str:
    """Create a person and sign in through the login form; returns the session's CSRF token."""
    service.access.create_person(
        username=username, display_name=username.title(), role=role, password=PASSWORD, actor="test"
    )
    form = client.get("/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)
    assert csrf is not None, "expected a csrf"
    done = client.post(
        "/login", data={"username": username, "password": PASSWORD, "csrf": csrf.group(1)}, follow_redirects=False
    )
    assert done.status_code == 303 and done.headers["location"] == "/"
    found = service.access.session(client.cookies["cw_session"])
    assert found is not None, "expected a found"
    return found[1]


def test_oauth2_client_credentials(client: TestClient, keyring: Keyring, consignment_data: dict[str, Any]) -> None:
    api_key = keyring.key("op-courier-1")
    key_id, secret = credentials.parse_key(api_key) or ("", "")
    form = {"grant_type": "client_credentials", "client_id": key_id, "client_secret": secret}
    r = client.post("/v1/oauth/token", data=form)
    assert r.status_code == 200 and r.headers["cache-control"] == "no-store"
    body = r.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 900
    submitted = client.post(
        "/v1/consignments",
        content=json.dumps(consignment_data),
        headers={"Authorization": f"Bearer {body['access_token']}", "Content-Type": "application/json"},
    )
    assert submitted.status_code == 201
    basic = base64.b64encode(f"{key_id}:{secret}".encode()).decode()
    r = client.post(
        "/v1/oauth/token", data={"grant_type": "client_credentials"}, headers={"Authorization": f"Basic {basic}"}
    )
    assert r.status_code == 200
    assert client.post("/v1/oauth/token", data={**form, "client_secret": "nope"}).json()["error"] == "invalid_client"
    assert (
        client.post("/v1/oauth/token", data={**form, "grant_type": "password"}).json()["error"]
        == "unsupported_grant_type"
    )


def test_pages_need_a_session(client: TestClient, service: Clearway) -> None:
    r = client.get("/", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login"
    sign_in(client, service, "olga", Role.OFFICER)
    landing = client.get("/", follow_redirects=False)
    assert landing.status_code == 303 and landing.headers["location"] == "/dashboard"
    page = client.get("/queue")
    assert page.status_code == 200 and "olga (officer)" in page.text
    cookie = client.cookies["cw_session"]
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert csrf is not None, "expected a csrf"
    assert client.post("/logout", data={"csrf": csrf.group(1)}, follow_redirects=False).status_code == 303
    assert service.access.session(cookie) is None


def test_login_form_refuses_bad_passwords_then_throttles(client: TestClient, service: Clearway) -> None:
    service.access.create_person(username="ana", display_name="Ana", role=Role.ANALYST, password=PASSWORD, actor="test")
    for attempt in range(6):
        csrf = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text)
        assert csrf is not None, "expected a csrf"
        r = client.post(
            "/login", data={"username": "ana", "password": "wrong", "csrf": csrf.group(1)}, follow_redirects=False
        )
        if attempt < 5:
            assert r.headers["location"] == "/login?error=invalid"
        else:  # a wait, not a lock (tests/api/test_sign_in_controls.py replays the attack)
            assert r.status_code == 429 and "wait 10 seconds" in r.text
    assert "Invalid username or password" in client.get("/login?error=invalid").text
    # A forged form without the login CSRF cookie is refused outright.
    client.cookies.clear()
    r = client.post("/login", data={"username": "ana", "password": PASSWORD, "csrf": "forged"}, follow_redirects=False)
    assert r.headers["location"] == "/login?error=expired"


def test_admin_api_onboards_issues_and_suspends(
    client: TestClient, service: Clearway, consignment_data: dict[str, Any]
) -> None:
    csrf = sign_in(client, service, "root")
    operator = {
        "id": "op-shop-9",
        "name": "Shop Nine",
        "kind": "seller",
        "country": "FR",
        "contact_email": "it@shop9.example",
    }
    # A state change by a person needs the session's CSRF token.
    assert client.post("/v1/admin/operators", json=operator).status_code == 403
    guarded = {"X-CSRF-Token": csrf}
    created = client.post("/v1/admin/operators", json=operator, headers=guarded)
    assert created.status_code == 201 and created.json()["status"] == "active"
    assert client.post("/v1/admin/operators", json=operator, headers=guarded).status_code == 409
    bad = client.post("/v1/admin/operators", json={**operator, "id": "x", "kind": "drone"}, headers=guarded)
    assert bad.status_code == 422
    issued = client.post("/v1/admin/operators/op-shop-9/keys", json={"valid_days": 30}, headers=guarded).json()
    api_key = issued["api_key"]
    path = "/v1/admin/operators/{operator_id}/keys"
    listed = assert_documented(client, "GET", path, client.get("/v1/admin/operators/op-shop-9/keys"))
    assert [k["key_id"] for k in listed["items"]] == [issued["key_id"]] and api_key not in json.dumps(listed)
    unknown = client.get("/v1/admin/operators/op-nobody/keys")
    assert unknown.status_code == 404 and assert_documented(client, "GET", path, unknown)["status"] == 404
    operators = assert_documented(client, "GET", "/v1/admin/operators", client.get("/v1/admin/operators"))
    assert [o["id"] for o in operators["items"]] == ["op-shop-9"]
    submit = {"Authorization": f"Bearer {api_key}", "Content-Type": "application/json"}
    client.cookies.clear()
    assert client.post("/v1/consignments", content=json.dumps(consignment_data), headers=submit).status_code == 201
    csrf = sign_in(client, service, "root2")
    suspended = client.post("/v1/admin/operators/op-shop-9/suspension", headers={"X-CSRF-Token": csrf})
    assert suspended.json()["status"] == "suspended"
    client.cookies.clear()
    assert client.get("/v1/consignments", headers=submit).status_code == 401


def test_roles_are_kept_apart(client: TestClient, service: Clearway) -> None:
    # An operator's key does not open the administration...
    assert client.get("/v1/admin/operators", headers=headers()).status_code == 403
    # ...and a person who is not an administrator cannot use it either, nor the operators' intake.
    sign_in(client, service, "stat", Role.STATISTICIAN)
    assert client.get("/v1/admin/operators").status_code == 403
    assert client.get("/v1/consignments").status_code == 403
    client.cookies.clear()
    assert client.get("/v1/admin/operators").status_code == 401


def test_admin_routes_document_the_problems_they_can_send(client: TestClient) -> None:
    """A route without a body cannot answer 413, 415 or 422; one with a body can; a list cannot 404."""
    paths = client.get("/openapi.json").json()["paths"]
    # The 422 a path or query parameter can cause ("Invalid parameters") and the 500 any route can
    # give are documented everywhere (api/contract.py); this test is about what the body and the
    # resource can cause.
    problems = {
        (method.upper(), path): {
            s
            for s, r in op["responses"].items()
            if s[0] in "45" and not r["description"].startswith("Invalid parameters")
        }
        - {"401", "403", "429", "500"}
        for path, ops in paths.items()
        if path.startswith("/v1/admin/") and path != "/v1/admin/trust"
        for method, op in ops.items()
    }
    assert problems == {
        ("POST", "/v1/admin/operators"): {"409", "413", "415", "422"},
        ("GET", "/v1/admin/operators"): set(),
        ("POST", "/v1/admin/operators/{operator_id}/suspension"): {"404"},
        ("POST", "/v1/admin/operators/{operator_id}/activation"): {"404"},
        ("POST", "/v1/admin/operators/{operator_id}/keys"): {"404", "413", "415", "422"},
        ("GET", "/v1/admin/operators/{operator_id}/keys"): {"404"},
        ("POST", "/v1/admin/keys/{key_id}/rotation"): {"404"},
        ("POST", "/v1/admin/keys/{key_id}/revocation"): {"404"},
        ("POST", "/v1/admin/people"): {"409", "413", "415", "422"},
        ("GET", "/v1/admin/people"): set(),
        ("POST", "/v1/admin/people/{username}/disable"): {"404", "409"},
        ("POST", "/v1/admin/people/{username}/enable"): {"404"},
        ("POST", "/v1/admin/people/{username}/password"): {"404", "413", "415", "422"},
        ("DELETE", "/v1/admin/people/{username}/sessions"): {"404"},
        ("GET", "/v1/admin/security-events"): {"422"},
        ("GET", "/v1/admin/alerts/key"): {"404"},
        ("POST", "/v1/admin/alerts/key"): {"413", "415", "422"},
        ("GET", "/v1/admin/alerts/partners"): set(),
        ("PUT", "/v1/admin/alerts/partners/{code}"): {"413", "415", "422"},
    }
