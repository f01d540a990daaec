"""Rate limits per caller: a token bucket per key, as a pure core and a pure ASGI middleware.

``TokenBuckets`` is the arithmetic only (no clock, no I/O): each key owns a bucket of ``burst``
tokens that refills at ``rate_per_second``; a request takes one token or is told how long to wait.
Memory is bounded: past ``max_keys`` the least recently seen keys are dropped (a dropped key comes
back with a full bucket, which is what an idle key would have anyway).

``RateLimit`` answers ``429`` with ``application/problem+json`` and ``Retry-After`` before the request
reaches the application, so a refused request costs neither a body read nor a database query. The
key of a request is ``CallerKey``'s: on the public routes the client address; elsewhere the caller's
credential, normalised so that no spelling of it buys a second allowance:

- an API key ``cw_<key id>_<secret>``: its key id and a digest of its secret, whatever the case of
  ``Bearer`` or the spaces around it (the digest, rather than the key id alone, keeps a caller who
  knows someone's key id, and sends it with made-up secrets, out of that key's allowance);
- an access token: the key id it was obtained with, once its signature is verified, so that all the
  tokens of one key share one allowance and a forged one cannot spend someone else's;
- anything else (no credential, a session cookie, Basic, a malformed or forged credential): the
  client address, which is the connection's peer unless a trusted proxy named another
  (CLEARWAY_TRUSTED_PROXIES, applied before this middleware).

Keys never hold a credential and have a small size whatever the caller sends.

``TokenBuckets`` are per process: behind N workers the whole service would allow N times the rate.
With several processes on PostgreSQL the buckets are rows in the database instead
(store/rate_limit_repo.py, CLEARWAY_RATE_LIMIT_STORE): one atomic statement per batch of
concurrent requests, off the event loop (api/rate_limit_shared.py); the answers (429,
``Retry-After``) are the same. The
in-memory table is used from the event loop only (no lock), as ASGI middlewares are.
"""

from __future__ import annotations

import functools
import hashlib
import math
import time
from collections import OrderedDict
from collections.abc import Callable, Collection
from typing import Any

import msgspec
from starlette.types import ASGIApp, Receive, Scope, Send

from clearway.access import credentials, tokens
from clearway.api.problems import PROBLEM_BASE, PROBLEM_JSON, Problem
from clearway.api.rate_limit_shared import SharedLimit

__all__ = [
    "EXEMPT_PATHS",
    "RATE_LIMITED_RESPONSES",
    "CallerKey",
    "RateLimit",
    "SharedLimit",
    "TokenBuckets",
    "default_key",
]

# Liveness and readiness probes must never be refused: a load balancer would take a healthy instance out.
EXEMPT_PATHS = frozenset({"/v1/health", "/v1/health/ready"})

# The 429 answer for the OpenAPI document: ``app.include_router(router, responses=RATE_LIMITED_RESPONSES)``.
RATE_LIMITED_RESPONSES: dict[int | str, dict[str, Any]] = {
    429: {
        "description": "Too many requests from this caller; retry after the given number of seconds",
        "headers": {"Retry-After": {"description": "Seconds to wait before retrying", "schema": {"type": "integer"}}},
        "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }
}


class TokenBuckets:
    """One token bucket per key, at most ``max_keys`` of them (the stalest are evicted)."""

    __slots__ = ("_buckets", "burst", "max_keys", "rate")

    def __init__(self, rate_per_second: float, burst: int, max_keys: int = 100_000) -> None:
        if not rate_per_second > 0:
            raise ValueError(f"rate_per_second must be positive, got {rate_per_second}")
        if burst < 1:
            raise ValueError(f"burst must be at least 1, got {burst}")
        if max_keys < 1:
            raise ValueError(f"max_keys must be at least 1, got {max_keys}")
        self.rate = float(rate_per_second)
        self.burst = burst
        self.max_keys = max_keys
        # key -> [tokens left, time of the last update]; ordered from least to most recently seen.
        self._buckets: OrderedDict[str, list[float]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._buckets)

    def __contains__(self, key: object) -> bool:
        return key in self._buckets

    def take(self, key: str, now: float) -> float:
        """Take one token from ``key``'s bucket: 0.0 when allowed, else the seconds to wait for one.

        ``now`` is any monotonic clock in seconds; a clock that goes backwards refills nothing.
        """
        buckets = self._buckets
        bucket = buckets.get(key)
        if bucket is None:
            if len(buckets) >= self.max_keys:
                buckets.popitem(last=False)
            buckets[key] = [self.burst - 1.0, now]
            return 0.0
        buckets.move_to_end(key)
        elapsed = now - bucket[1]
        tokens = bucket[0]
        if elapsed > 0:
            tokens = min(self.burst, tokens + elapsed * self.rate)
            bucket[1] = now
        if tokens >= 1.0:
            bucket[0] = tokens - 1.0
            return 0.0
        bucket[0] = tokens
        return (1.0 - tokens) / self.rate


_AUTHORIZATION = b"authorization"
# Longest credential looked at: an API key is 59 characters, an access token a few hundred.
_MAX_CREDENTIAL = 4096


# Public routes answer anyone, so a header proves nothing there: they are limited per client address,
# or a caller could send a new junk credential with each request and walk through tracking numbers.
PUBLIC_PREFIXES = (
    "/v1/tracking/",
    "/track",
    "/v1/restrictions",
    "/prohibited",
    "/v1/quotes",
    "/landed-cost",
    "/v1/classifications",
    "/classify",
    "/login",
)


def _address(scope: Scope) -> str:
    client = scope.get("client")
    return "ip:" + (str(client[0])[:64] if client else "unknown")


def _bearer(scope: Scope) -> str | None:
    """The credential of a Bearer Authorization header (scheme in any case), else None."""
    for name, value in scope["headers"]:
        if name == _AUTHORIZATION:
            scheme, _, credential = bytes(value).decode("latin-1").strip().partition(" ")
            credential = credential.strip()
            if scheme.lower() != "bearer" or not credential or len(credential) > _MAX_CREDENTIAL:
                return None
            return credential
    return None


class CallerKey:
    """The caller of a request, as a rate-limit key (see the module's docstring).

    ``token_key`` gives the key that verifies access tokens' signatures (asked for on the first
    token, as loading it may create the platform's secret); without it every token counts against
    the caller's address. Verified tokens are remembered (a bounded LRU), so a client that reuses
    its token for its 15 minutes pays for the signature check once.
    """

    def __init__(self, token_key: Callable[[], bytes] | None = None, remembered_tokens: int = 4096) -> None:
        self._token_key_id: Callable[[str], str | None] | None = None
        if token_key is not None:
            key_of = token_key

            def verified_key_id(token: str) -> str | None:
                return tokens.signed_key_id(token, signing_key=key_of())

            self._token_key_id = functools.lru_cache(maxsize=remembered_tokens)(verified_key_id)

    def __call__(self, scope: Scope) -> str:
        if str(scope.get("path", "")).startswith(PUBLIC_PREFIXES):
            return _address(scope)
        credential = _bearer(scope)
        if credential is None:
            return _address(scope)
        if credential.startswith(credentials.PREFIX):
            parsed = credentials.parse_key(credential)
            if parsed is None:
                return _address(scope)
            key_id, secret = parsed
            return f"key:{key_id}:{hashlib.sha256(secret.encode()).hexdigest()[:16]}"
        signed_by = self._token_key_id(credential) if self._token_key_id is not None else None
        return f"token:{signed_by}" if signed_by is not None else _address(scope)


# Without the token key: API keys by their key id and secret's digest, tokens like anything else by address.
default_key = CallerKey()


class RateLimit:
    """Refuse requests over the caller's rate with 429 problem+json and ``Retry-After``."""

    def __init__(
        self,
        app: ASGIApp,
        buckets: TokenBuckets | SharedLimit,
        key_func: Callable[[Scope], str] = default_key,
        *,
        exempt: Collection[str] = EXEMPT_PATHS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.app = app
        self.buckets = buckets
        self.key_func = key_func
        self.exempt = frozenset(exempt)
        self.clock = clock

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in self.exempt:
            await self.app(scope, receive, send)
            return
        key = self.key_func(scope)
        if isinstance(self.buckets, TokenBuckets):
            wait = self.buckets.take(key, self.clock())
        else:
            wait = await self.buckets.take(key)
        if wait:
            await self._refuse(send, wait)
            return
        await self.app(scope, receive, send)

    async def _refuse(self, send: Send, wait: float) -> None:
        # Whole seconds (RFC 9110 delay-seconds), rounded up so that a client that waits is served.
        retry_after = max(1, math.ceil(wait))
        body = msgspec.json.encode(
            Problem(
                type=PROBLEM_BASE + "rate-limited",
                title="Too many requests",
                status=429,
                detail=(
                    f"this caller may send {self.buckets.rate:g} requests per second "
                    f"(bursts of {self.buckets.burst}); retry after {retry_after} s"
                ),
            )
        )
        headers: list[Any] = [
            (b"content-type", PROBLEM_JSON.encode()),
            (b"content-length", str(len(body)).encode()),
            (b"retry-after", str(retry_after).encode()),
        ]
        await send({"type": "http.response.start", "status": 429, "headers": headers})
        await send({"type": "http.response.body", "body": body})
