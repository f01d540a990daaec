"""Access tokens are believed for what the platform issues, not for what they claim: the subject must
own the key the token names, and no token lives longer than the issued lifetime, whatever its
signature (a leaked signing key or an issuer's bug must not yield a token for another operator, or
one that lasts for ever)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import jwt
import pytest
from fastapi.testclient import TestClient

from clearway.access import credentials, tokens
from clearway.app.platform import Clearway
from tests.api.conftest import Keyring
from tests.api.test_denials_recorded import denials


def now() -> int:
    return int(dt.datetime.now(dt.UTC).timestamp())


def signed(service: Clearway, **claims: Any) -> str:
    """A token signed with the platform's own key, with the claims given (None drops one)."""
    body = {"iss": "clearway", "scope": "operator", "iat": now()}
    body["exp"] = body["iat"] + 15 * 60
    body.update(claims)
    return jwt.encode({k: v for k, v in body.items() if v is not None}, service.access.token_key, algorithm="HS256")


def key_id(api_key: str) -> str:
    parsed = credentials.parse_key(api_key)
    assert parsed is not None, "expected a well-formed key"
    return parsed[0]


def status(client: TestClient, token: str) -> int:
    return client.get("/v1/consignments", headers={"Authorization": f"Bearer {token}"}).status_code


def test_a_token_from_the_token_endpoint_works(client: TestClient, keyring: Keyring) -> None:
    kid = key_id(keyring.key("op-courier-1"))
    secret = keyring.key("op-courier-1")
    answer = client.post(
        "/v1/oauth/token", data={"grant_type": "client_credentials", "client_id": kid, "client_secret": secret}
    )
    assert answer.status_code == 200 and answer.json()["expires_in"] == 15 * 60
    assert status(client, answer.json()["access_token"]) == 200


def test_a_token_whose_subject_does_not_own_its_key_is_refused(
    client: TestClient, service: Clearway, keyring: Keyring
) -> None:
    mine = key_id(keyring.key("op-courier-1"))
    keyring.key("op-courier-2")
    assert status(client, signed(service, sub="op-courier-1", kid=mine)) == 200
    # The same key, another operator's name: that operator's data must stay out of reach.
    assert status(client, signed(service, sub="op-courier-2", kid=mine)) == 401
    assert status(client, signed(service, sub="op-nobody", kid=mine)) == 401
    assert [d[1] for d in denials(service)] == ["bad_token", "bad_token"]


def test_the_owner_check_holds_when_the_key_is_already_cached(
    client: TestClient, service: Clearway, keyring: Keyring
) -> None:
    mine = key_id(keyring.key("op-courier-1"))
    keyring.key("op-courier-2")
    assert status(client, signed(service, sub="op-courier-2", kid=mine)) == 401  # first: from the key's row
    assert status(client, signed(service, sub="op-courier-1", kid=mine)) == 200
    assert status(client, signed(service, sub="op-courier-2", kid=mine)) == 401  # then: from the cache


@pytest.mark.parametrize(
    ("iat", "exp", "accepted"),
    [
        (0, 15 * 60, True),
        (-14 * 60, 60, True),  # issued 14 minutes ago, one left
        (0, 15 * 60 + 1, False),  # a second longer than the platform issues
        (0, 24 * 3600, False),
        (-10, 10 * 365 * 24 * 3600, False),
        (30, 15 * 60, True),  # another process's clock a little ahead
        (3600, 3600 + 60, False),  # issued an hour in the future
        (-20 * 60, -5 * 60, False),  # expired
    ],
)
def test_a_token_lives_no_longer_than_issued(
    client: TestClient, service: Clearway, keyring: Keyring, iat: int, exp: int, accepted: bool
) -> None:
    mine = key_id(keyring.key("op-courier-1"))
    at = now()
    token = signed(service, sub="op-courier-1", kid=mine, iat=at + iat, exp=at + exp)
    assert status(client, token) == (200 if accepted else 401)


@pytest.mark.parametrize("claim", ["iat", "exp", "sub", "kid"])
def test_a_token_without_a_claim_is_refused(
    client: TestClient, service: Clearway, keyring: Keyring, claim: str
) -> None:
    claims: dict[str, Any] = {"sub": "op-courier-1", "kid": key_id(keyring.key("op-courier-1")), claim: None}
    assert status(client, signed(service, **claims)) == 401


@pytest.mark.parametrize("iat", ["0", 1.5, True])
def test_an_issue_time_that_is_not_a_whole_number_is_refused(service: Clearway, iat: Any) -> None:
    token = signed(service, sub="op-courier-1", kid="abc", iat=iat)
    assert tokens.read_token(token, signing_key=service.access.token_key, now=dt.datetime.now(dt.UTC)) is None


def test_the_configured_lifetime_is_the_cap(service: Clearway) -> None:
    at = dt.datetime.now(dt.UTC)
    token = signed(service, sub="op-courier-1", kid="abc", iat=int(at.timestamp()), exp=int(at.timestamp()) + 3600)
    read = tokens.read_token
    assert read(token, signing_key=service.access.token_key, now=at) is None
    hour = dt.timedelta(hours=1)
    assert read(token, signing_key=service.access.token_key, now=at, max_lifetime=hour) == ("op-courier-1", "abc")
