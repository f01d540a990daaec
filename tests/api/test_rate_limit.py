"""Rate limits: the token-bucket arithmetic with an injected clock, the key, and the middleware."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from typing import Any

import jwt
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.testclient import TestClient
from starlette.types import Scope

from clearway.access import credentials, tokens
from clearway.api.app import create_app
from clearway.api.rate_limit import CallerKey, RateLimit, TokenBuckets, default_key
from clearway.app.platform import Clearway
from clearway.store.engine import create_engine
from tests.api.conftest import Keyring


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


# --- TokenBuckets ------------------------------------------------------------------------------


def test_a_new_key_gets_its_burst_then_waits_for_the_refill() -> None:
    buckets = TokenBuckets(rate_per_second=2.0, burst=3)
    assert [buckets.take("a", 0.0) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert buckets.take("a", 0.0) == pytest.approx(0.5)
    assert buckets.take("a", 0.25) == pytest.approx(0.25)
    assert buckets.take("a", 0.5) == 0.0
    assert buckets.take("a", 0.5) == pytest.approx(0.5)


def test_a_refused_request_takes_no_token() -> None:
    buckets = TokenBuckets(rate_per_second=1.0, burst=1)
    assert buckets.take("a", 0.0) == 0.0
    for _ in range(100):
        assert buckets.take("a", 0.5) == pytest.approx(0.5)
    assert buckets.take("a", 1.0) == 0.0


def test_the_refill_never_exceeds_the_burst() -> None:
    buckets = TokenBuckets(rate_per_second=10.0, burst=2)
    buckets.take("a", 0.0)
    allowed = [buckets.take("a", 3600.0) for _ in range(5)]
    assert allowed == [0.0, 0.0, pytest.approx(0.1), pytest.approx(0.1), pytest.approx(0.1)]


def test_sustained_rate_is_the_configured_rate() -> None:
    buckets = TokenBuckets(rate_per_second=100.0, burst=10)
    now, allowed = 0.0, 0
    while now < 10.0:  # a client hammering every millisecond for 10 s
        allowed += buckets.take("a", now) == 0.0
        now += 0.001
    assert 1000 <= allowed <= 1011  # 10 s x 100/s, plus the initial burst


def test_keys_are_independent() -> None:
    buckets = TokenBuckets(rate_per_second=1.0, burst=1)
    assert buckets.take("a", 0.0) == 0.0
    assert buckets.take("a", 0.0) > 0
    assert buckets.take("b", 0.0) == 0.0


def test_a_clock_going_backwards_refills_nothing() -> None:
    buckets = TokenBuckets(rate_per_second=1.0, burst=1)
    buckets.take("a", 100.0)
    assert buckets.take("a", 50.0) == pytest.approx(1.0)
    assert buckets.take("a", 101.0) == 0.0


def test_memory_is_bounded_and_the_stalest_keys_go_first() -> None:
    buckets = TokenBuckets(rate_per_second=1.0, burst=1, max_keys=3)
    for key in "abc":
        buckets.take(key, 0.0)
    buckets.take("a", 0.5)  # "a" is seen again: "b" is now the stalest
    buckets.take("d", 0.6)
    assert [k for k in "abcd" if k in buckets] == ["a", "c", "d"]
    for n in range(10_000):
        buckets.take(f"flood-{n}", 1.0)
    assert len(buckets) == 3


def test_an_evicted_key_comes_back_with_a_full_bucket() -> None:
    buckets = TokenBuckets(rate_per_second=1.0, burst=1, max_keys=1)
    buckets.take("a", 0.0)
    buckets.take("b", 0.0)
    assert buckets.take("a", 0.0) == 0.0


@pytest.mark.parametrize(("rate", "burst", "max_keys"), [(0.0, 1, 1), (-1.0, 1, 1), (1.0, 0, 1), (1.0, 1, 0)])
def test_nonsense_limits_are_refused(rate: float, burst: int, max_keys: int) -> None:
    with pytest.raises(ValueError, match="must be"):
        TokenBuckets(rate, burst, max_keys)


# --- default_key -------------------------------------------------------------------------------


def scope(headers: list[tuple[bytes, bytes]], client: Any = ("203.0.113.7", 4711)) -> Scope:
    return {"type": "http", "path": "/v1/consignments", "headers": headers, "client": client}


def sha(value: bytes) -> str:
    return hashlib.sha256(value).hexdigest()


KEY_ID = "0123456789ab"
SECRET = "s" * 43
API_KEY = f"cw_{KEY_ID}_{SECRET}"
SIGNING_KEY = b"k" * 32
NOW = dt.datetime.now(dt.UTC)


def token(key_id: str = KEY_ID, signing_key: bytes = SIGNING_KEY, minutes: int = 15) -> str:
    lifetime = dt.timedelta(minutes=minutes)
    return tokens.issue_token(operator_id="op-1", key_id=key_id, signing_key=signing_key, now=NOW, lifetime=lifetime)


callers = CallerKey(token_key=lambda: SIGNING_KEY)


def key_of(authorization: bytes, client: Any = ("203.0.113.7", 4711)) -> str:
    return callers(scope([(b"authorization", authorization)], client))


def test_an_api_key_is_one_caller_however_bearer_is_spelt() -> None:
    spellings = [b"Bearer ", b"bearer ", b"BEARER ", b"bEaReR ", b"Bearer  ", b" Bearer "]
    keys = {key_of(spelling + API_KEY.encode()) for spelling in spellings}
    assert keys == {f"key:{KEY_ID}:{sha(SECRET.encode())[:16]}"}
    assert SECRET not in keys.pop()


def test_a_made_up_secret_for_someone_elses_key_id_does_not_spend_their_allowance() -> None:
    assert key_of(f"Bearer cw_{KEY_ID}_{'x' * 43}".encode()) != key_of(f"Bearer {API_KEY}".encode())


def test_all_the_tokens_of_one_key_are_one_caller() -> None:
    first, second = token(minutes=15), token(minutes=5)
    assert first != second
    assert key_of(b"Bearer " + first.encode()) == key_of(b"bearer " + second.encode()) == f"token:{KEY_ID}"
    # Expired tokens still belong to their key: they are refused later, and count here.
    assert key_of(b"Bearer " + token(minutes=-5).encode()) == f"token:{KEY_ID}"


def test_a_forged_token_counts_against_its_sender_not_the_key_it_names() -> None:
    forged = token(signing_key=b"not the platform's key!" * 2)
    assert key_of(b"Bearer " + forged.encode()) == "ip:203.0.113.7"
    unsigned = jwt.encode({"iss": "clearway", "kid": KEY_ID}, None, algorithm="none")
    assert key_of(b"Bearer " + unsigned.encode()) == "ip:203.0.113.7"


@pytest.mark.parametrize(
    "authorization",
    [b"Basic b3A6cHc=", b"Bearer", b"Bearer ", b"Bearer junk", b"Bearer cw_nothex_nope", b"Token " + API_KEY.encode()],
)
def test_anything_else_counts_against_the_address(authorization: bytes) -> None:
    assert key_of(authorization) == "ip:203.0.113.7"


def test_without_a_credential_the_key_is_the_client_address() -> None:
    assert default_key(scope([(b"content-type", b"application/json")])) == "ip:203.0.113.7"
    assert default_key(scope([], client=None)) == "ip:unknown"
    # A header anyone can set does not make a caller: it bought a fresh allowance per value.
    assert default_key(scope([(b"x-clearway-operator", b"op-1")])) == "ip:203.0.113.7"


def test_without_the_signing_key_tokens_count_against_the_address() -> None:
    assert default_key(scope([(b"authorization", b"Bearer " + token().encode())])) == "ip:203.0.113.7"


@pytest.mark.parametrize("path", ["/v1/tracking/LX123456785DE", "/track", "/v1/restrictions", "/v1/quotes"])
def test_public_routes_are_limited_by_address_whatever_the_headers(path: str) -> None:
    # A junk credential per request must not buy a fresh allowance on routes that answer anyone.
    for credential in (b"Bearer a", b"Bearer b", b"Bearer " + API_KEY.encode()):
        request = {**scope([(b"authorization", credential)]), "path": path}
        assert callers(request) == "ip:203.0.113.7"


def test_a_huge_header_still_makes_a_small_key() -> None:
    assert key_of(b"Bearer " + b"x" * 100_000) == "ip:203.0.113.7"
    assert len(key_of(b"Bearer " + API_KEY.encode())) == len(f"key:{KEY_ID}:") + 16


# --- the middleware ----------------------------------------------------------------------------


async def hello(request: Request) -> JSONResponse:
    return JSONResponse({"ok": True})


def limited_app(clock: Clock, rate: float = 1.0, burst: int = 2) -> RateLimit:
    inner = Starlette(routes=[Route("/v1/things", hello, methods=["GET", "POST"]), Route("/v1/health", hello)])
    return RateLimit(inner, TokenBuckets(rate, burst), default_key, clock=clock)


def test_over_the_limit_is_429_problem_json_with_retry_after() -> None:
    clock = Clock()
    with TestClient(limited_app(clock, rate=0.25, burst=2)) as client:
        op = {"Authorization": f"Bearer {API_KEY}"}
        assert [client.get("/v1/things", headers=op).status_code for _ in range(2)] == [200, 200]
        refused = client.get("/v1/things", headers=op)
        assert refused.status_code == 429
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.headers["retry-after"] == "4"
        problem = refused.json()
        assert problem["status"] == 429 and problem["type"].endswith("/rate-limited")
        assert problem["title"] == "Too many requests" and "retry after 4 s" in problem["detail"]
        clock.now += 4.0
        assert client.get("/v1/things", headers=op).status_code == 200


def test_retry_after_is_whole_seconds_rounded_up() -> None:
    clock = Clock()
    with TestClient(limited_app(clock, rate=10.0, burst=1)) as client:
        client.get("/v1/things")
        assert client.get("/v1/things").headers["retry-after"] == "1"


def test_each_caller_has_its_own_bucket() -> None:
    clock = Clock()
    with TestClient(limited_app(clock, burst=1)) as client:
        assert client.get("/v1/things", headers={"Authorization": f"Bearer {API_KEY}"}).status_code == 200
        assert client.get("/v1/things", headers={"Authorization": f"BEARER {API_KEY}"}).status_code == 429
        other = f"cw_{'1' * 12}_{SECRET}"
        assert client.get("/v1/things", headers={"Authorization": f"Bearer {other}"}).status_code == 200
        assert client.get("/v1/things").status_code == 200  # by address
        assert client.get("/v1/things", headers={"Authorization": "Bearer k1"}).status_code == 429  # address again


def test_health_is_never_limited() -> None:
    clock = Clock()
    with TestClient(limited_app(clock, burst=1)) as client:
        assert {client.get("/v1/health").status_code for _ in range(20)} == {200}
        assert client.get("/v1/things").status_code == 200


def test_a_refused_request_never_reaches_the_app() -> None:
    calls = 0

    async def counting(request: Request) -> JSONResponse:
        nonlocal calls
        calls += 1
        return JSONResponse({})

    app = RateLimit(Starlette(routes=[Route("/x", counting, methods=["POST"])]), TokenBuckets(1.0, 1), clock=Clock())
    with TestClient(app) as client:
        statuses = [client.post("/x", content=b"{}").status_code for _ in range(5)]
    assert statuses == [200, 429, 429, 429, 429] and calls == 1


# --- the real application ----------------------------------------------------------------------


def test_the_app_counts_a_key_and_its_tokens_once_however_they_are_spelt(service: Clearway, keyring: Keyring) -> None:
    settings = dataclasses.replace(service.settings, rate_limit_per_second=0.001, rate_limit_burst=3)
    api_key = keyring.key("op-courier-1")
    key_id, secret = credentials.parse_key(api_key) or ("", "")
    grant = {"grant_type": "client_credentials", "client_id": key_id, "client_secret": secret}
    with TestClient(create_app(settings, service, sweep=False), base_url="https://testserver") as client:
        spellings = ["Bearer", "bearer", "BEARER", "bEaReR"]
        answers = [client.get("/v1/consignments", headers={"Authorization": f"{s} {api_key}"}) for s in spellings]
        assert [a.status_code for a in answers] == [200, 200, 200, 429]
        # Tokens from the token endpoint (limited by address there), then spent: one allowance per key.
        minted = [client.post("/v1/oauth/token", data=grant).json()["access_token"] for _ in range(3)]
        used = [client.get("/v1/consignments", headers={"Authorization": f"Bearer {t}"}) for t in [*minted, minted[0]]]
        assert [u.status_code for u in used] == [200, 200, 200, 429]


@pytest.mark.parametrize(("store", "allowed"), [("database", 4), ("memory", 8)])
def test_two_server_processes_share_one_allowance_in_the_database(
    service: Clearway, keyring: Keyring, database_url: str, store: str, allowed: int
) -> None:
    # Two applications, each with its own engine and connections, as two server processes have.
    settings = dataclasses.replace(
        service.settings, rate_limit_per_second=0.001, rate_limit_burst=4, rate_limit_store=store
    )
    other = Clearway(settings, engine=create_engine(database_url))
    auth = {"Authorization": f"Bearer {keyring.key('op-courier-1')}"}
    try:
        with (
            TestClient(create_app(settings, service, sweep=False), base_url="https://testserver") as a,
            TestClient(create_app(settings, other, sweep=False), base_url="https://testserver") as b,
        ):
            answers = [(a if i % 2 else b).get("/v1/consignments", headers=auth) for i in range(10)]
    finally:
        other.close()
    statuses = [answer.status_code for answer in answers]
    # In memory each process has its own bucket: the service as a whole allows twice the burst.
    assert statuses == [200] * allowed + [429] * (10 - allowed)
    refused = answers[-1]
    assert refused.headers["content-type"] == "application/problem+json" and int(refused.headers["retry-after"]) >= 1


def test_an_unknown_rate_limit_store_is_refused(service: Clearway) -> None:
    with pytest.raises(ValueError, match="CLEARWAY_RATE_LIMIT_STORE"):
        create_app(dataclasses.replace(service.settings, rate_limit_store="redis"), service, sweep=False)
