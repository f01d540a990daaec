"""Rate limits per caller: a token bucket per key, as a pure core and a pure ASGI middleware.

``TokenBuckets`` is the arithmetic only (no clock, no I/O): each key owns a bucket of ``burst``
tokens that refills at ``rate_per_second``; a request takes one token or is told how long to wait.
Memory is bounded: past ``max_keys`` the least recently seen keys are dropped (a dropped key comes
back with a full bucket, which is what an idle key would have anyway).

``RateLimit`` answers ``429`` with ``application/problem+json`` and ``Retry-After`` before the request
reaches the application, so a refused request costs neither a body read nor a database query. The
key of a request is ``default_key``: on the public routes the client address; elsewhere a SHA-256 of
the ``Authorization`` header when there is one, else of the ``X-Clearway-Operator`` header, else the
client address. Credentials are hashed so that
the table never holds them and every key has the same small size whatever the caller sends.

Limits are per process: behind N workers the whole service allows N times the rate. The table is
used from the event loop only (no lock), as ASGI middlewares are.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections import OrderedDict
from collections.abc import Callable, Collection
from typing import Any

import msgspec
from starlette.types import ASGIApp, Receive, Scope, Send

from clearway.api.problems import PROBLEM_BASE, PROBLEM_JSON, Problem

__all__ = ["EXEMPT_PATHS", "RATE_LIMITED_RESPONSES", "RateLimit", "TokenBuckets", "default_key"]

# Liveness probes must never be refused: a load balancer would take a healthy instance out.
EXEMPT_PATHS = frozenset({"/v1/health"})

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
_OPERATOR = b"x-clearway-operator"


# Public routes answer anyone, so a header proves nothing there: they are limited per client address,
# or a caller could send a new junk credential with each request and walk through tracking numbers.
PUBLIC_PREFIXES = ("/v1/tracking/", "/track", "/v1/restrictions", "/prohibited", "/v1/quotes", "/landed-cost", "/login")


def default_key(scope: Scope) -> str:
    """The caller of a request: on public routes its address; elsewhere its credentials' hash, else
    its operator header's hash, else its address."""
    client = scope.get("client")
    address = "ip:" + (str(client[0]) if client else "unknown")
    if str(scope.get("path", "")).startswith(PUBLIC_PREFIXES):
        return address
    operator: bytes | None = None
    for name, value in scope["headers"]:
        if name == _AUTHORIZATION:
            return "auth:" + hashlib.sha256(value).hexdigest()
        if name == _OPERATOR and operator is None:
            operator = value
    if operator is not None:
        return "operator:" + hashlib.sha256(operator).hexdigest()
    return address


class RateLimit:
    """Refuse requests over the caller's rate with 429 problem+json and ``Retry-After``."""

    def __init__(
        self,
        app: ASGIApp,
        buckets: TokenBuckets,
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
        wait = self.buckets.take(self.key_func(scope), self.clock())
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
