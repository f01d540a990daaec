"""The document's security is what the routes enforce: every operation, asked with each kind of
credential, gets past authentication exactly when the document lists that credential's scheme (and,
for a person's session, exactly for the roles it names).

Requests carry no body: a route that let the caller in then answers 404, 405, 415 or 422, never
the 401 or 403 of authentication. Refusals later in a route (another operator's sender, an officer
forcing the model) have other problem types, so a refusal is told from the rest by its type.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from clearway.access import credentials
from clearway.access.roles import PEOPLE_ROLES, Role
from clearway.api.app import create_app
from clearway.api.contract import CSRF, OAUTH2, OPERATOR_KEY, SESSION
from clearway.api.deps import CSRF_HEADER, SESSION_COOKIE
from clearway.api.problems import PROBLEM_BASE
from clearway.app.platform import Clearway
from tests.api.conftest import Keyring

PASSWORD = "a long enough phrase"
# The problem types of authentication's refusals (api/deps.py): anything else got past it.
REFUSALS = {PROBLEM_BASE + slug for slug in ("unauthenticated", "forbidden", "csrf")}
# Path parameters: well-formed values that name nothing.
SAMPLE = {"consignment_id": "0" * 32}
QUERY = {"/v1/statements/schemes": "?month=2025-01", "/v1/statements/intermediaries": "?month=2025-01"}


@dataclasses.dataclass(frozen=True)
class Credential:
    name: str
    headers: dict[str, str]
    role: Role | None = None


@pytest.fixture
def client(service: Clearway) -> Iterator[TestClient]:
    # Hundreds of requests from a handful of callers: the rate limit would answer some of them 429.
    settings = dataclasses.replace(service.settings, rate_limit_per_second=0)
    with TestClient(create_app(settings, service, sweep=False), base_url="https://testserver") as c:
        yield c


def _session(service: Clearway, role: Role) -> tuple[str, str]:
    username = f"person-{role}"
    service.access.create_person(username=username, display_name=role.title(), role=role, password=PASSWORD, actor="t")
    result = service.access.login(username, PASSWORD)
    assert result.token is not None, result
    found = service.access.session(result.token)
    assert found is not None
    return result.token, found[1]


@pytest.fixture
def credentials_by_kind(client: TestClient, service: Clearway, keyring: Keyring) -> list[Credential]:
    api_key = keyring.key("op-courier-1")
    key_id, secret = credentials.parse_key(api_key) or ("", "")
    form = {"grant_type": "client_credentials", "client_id": key_id, "client_secret": secret}
    token = client.post("/v1/oauth/token", data=form).json()["access_token"]
    found = [
        Credential("none", {}),
        Credential(OPERATOR_KEY, {"Authorization": f"Bearer {api_key}"}, Role.OPERATOR),
        Credential(OAUTH2, {"Authorization": f"Bearer {token}"}, Role.OPERATOR),
    ]
    for role in sorted(PEOPLE_ROLES):
        cookie, csrf = _session(service, role)
        found.append(Credential(SESSION, {"Cookie": f"{SESSION_COOKIE}={cookie}", CSRF_HEADER: csrf}, role))
    return found


def _operations(client: TestClient) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in client.get("/openapi.json").json()["paths"].items():
        for method, operation in item.items():
            yield method, path, operation


def _url(path: str) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: SAMPLE.get(m.group(1), "unknown-1"), path) + QUERY.get(path, "")


def _refused(client: TestClient, method: str, path: str, headers: dict[str, str]) -> bool:
    answer = client.request(method, _url(path), headers=headers)
    if answer.status_code not in (401, 403):
        return False
    kind = answer.json().get("type") if answer.headers.get("content-type", "").endswith("json") else None
    return kind in REFUSALS


def test_every_operation_names_its_security(client: TestClient) -> None:
    schemes = client.get("/openapi.json").json()["components"]["securitySchemes"]
    assert set(schemes) == {OPERATOR_KEY, OAUTH2, SESSION, CSRF}
    assert schemes[OAUTH2]["flows"]["clientCredentials"]["tokenUrl"] == "/v1/oauth/token"
    assert (schemes[SESSION]["in"], schemes[SESSION]["name"]) == ("cookie", SESSION_COOKIE)
    assert (schemes[CSRF]["in"], schemes[CSRF]["name"]) == ("header", CSRF_HEADER)
    public = set()
    for method, path, operation in _operations(client):
        assert "security" in operation, f"{method} {path}"
        if operation["security"] == []:
            public.add((method.upper(), path))
            # A public operation refuses no credential: the problem of 401 and 403 is never its answer.
            assert not {"401", "403"} & {s for s, r in operation["responses"].items() if "problem" in str(r)}
        for requirement in operation["security"]:
            # The CSRF header goes with the session, on every unsafe method and only there.
            if SESSION in requirement:
                assert (CSRF in requirement) == (method != "get"), f"{method} {path}"
    assert public == {
        ("GET", "/v1/health"),
        ("GET", "/v1/health/ready"),
        ("GET", "/v1/restrictions"),
        ("GET", "/v1/tracking/{transport_document}"),
        ("POST", "/v1/classifications"),
        ("POST", "/v1/oauth/token"),
        ("POST", "/v1/quotes"),
    }


def test_the_document_says_who_gets_past_authentication(
    client: TestClient, credentials_by_kind: list[Credential]
) -> None:
    wrong: list[str] = []
    for method, path, operation in _operations(client):
        listed = {scheme for requirement in operation["security"] for scheme in requirement}
        roles = set(operation["x-roles"])
        for credential in credentials_by_kind:
            if credential.name == "none":
                expected = operation["security"] == []
            elif credential.name == SESSION:
                expected = operation["security"] == [] or (SESSION in listed and credential.role in roles)
            else:
                expected = operation["security"] == [] or credential.name in listed
            passed = not _refused(client, method, path, credential.headers)
            if passed != expected:
                wrong.append(f"{method.upper()} {path} with {credential.name} ({credential.role}): passed={passed}")
            if credential.name == SESSION and SESSION in listed and method != "get" and credential.role in roles:
                # Without its CSRF header, a session gets no further than authentication.
                cookie_only = {"Cookie": credential.headers["Cookie"]}
                if not _refused(client, method, path, cookie_only):
                    wrong.append(f"{method.upper()} {path}: a session without its CSRF header got in")
    assert wrong == []


def test_operator_routes_name_an_operators_credentials_only(client: TestClient) -> None:
    for method, path, operation in _operations(client):
        roles = set(operation["x-roles"])
        listed = {scheme for requirement in operation["security"] for scheme in requirement}
        assert ({OPERATOR_KEY, OAUTH2} <= listed) == (Role.OPERATOR in roles), f"{method} {path}"
        assert (SESSION in listed) == bool(roles & PEOPLE_ROLES), f"{method} {path}"
