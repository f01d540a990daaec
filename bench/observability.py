"""What the shared rate limit and the request metrics cost per request.

    .venv/bin/python bench/observability.py [--database postgresql+psycopg://...] [--requests 20000]

Three measurements, each printed as microseconds per request:

1. The bucket alone: ``TokenBuckets.take`` (memory) against ``SharedBuckets.take`` (one UPSERT on the
   database named, PostgreSQL by default), for one hot caller and for many callers, and for a refused
   caller (answered from the process's memory).
2. The middleware stack without the application: a bare ASGI endpoint behind RequestContext (request
   id, HTTP metrics) and RateLimit, called in-process with ``--concurrency`` requests in flight, once
   with each store; p50 and p99 latency, requests per second, and for the database how many
   requests shared a statement (api/rate_limit_shared.py batches them).
3. The metrics scrape: ``metrics.render`` (counters plus the queue depths from the database).

The database must be migrated (`clearway db upgrade`); the bench adds rows to rate_limit_buckets
only, under keys starting with ``bench:``, and deletes them at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from typing import Any

import sqlalchemy as sa

from clearway.api.observe import RequestContext
from clearway.api.rate_limit import RateLimit, SharedLimit, TokenBuckets
from clearway.app import metrics
from clearway.store.engine import create_engine
from clearway.store.rate_limit_repo import SharedBuckets

HUGE = 1e9  # a rate no bench reaches: every request is allowed, every one pays the full statement


def per_call(label: str, calls: int, fn: Any) -> float:
    started = time.perf_counter()
    for i in range(calls):
        fn(i)
    micros = (time.perf_counter() - started) / calls * 1e6
    print(f"  {label:<48} {micros:8.1f} us/request")
    return micros


def buckets(engine: sa.Engine, calls: int) -> None:
    print("1. the bucket alone")
    memory = TokenBuckets(HUGE, 1_000_000)
    per_call("memory, one caller", calls, lambda i: memory.take("bench:hot", time.monotonic()))
    shared = SharedBuckets(engine, HUGE, 1_000_000)
    per_call("database, one caller (one row, its lock)", calls, lambda i: shared.take("bench:hot"))
    per_call("database, 1,000 callers", calls, lambda i: shared.take(f"bench:k{i % 1000}"))
    tight = SharedBuckets(engine, 0.001, 1)
    tight.take("bench:refused")
    per_call("database, refused caller (from memory)", calls, lambda i: tight.take("bench:refused"))


async def endpoint(scope: Any, receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"2")]})
    await send({"type": "http.response.body", "body": b"{}"})


async def stack(
    store: TokenBuckets | SharedLimit | None, requests: int, concurrency: int
) -> tuple[float, float, float]:
    app: Any = endpoint
    if store is not None:
        app = RequestContext(RateLimit(endpoint, buckets=store, key_func=lambda scope: "bench:" + scope["path"]))
    latencies: list[float] = []

    async def one(i: int) -> None:
        scope = {
            "type": "http",
            "method": "GET",
            "path": f"/bench/{i % 1000}",
            "headers": [(b"x-request-id", b"bench-1")],
            "client": ("127.0.0.1", 1),
        }

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            return None

        started = time.perf_counter()
        await app(scope, receive, send)
        latencies.append(time.perf_counter() - started)

    queue = iter(range(requests))

    async def worker() -> None:
        for i in queue:
            await one(i)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    latencies.sort()
    p50 = statistics.median(latencies) * 1e6
    p99 = latencies[int(len(latencies) * 0.99)] * 1e6
    return requests / elapsed, p50, p99


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args()
    engine = create_engine(args.database)
    try:
        print(f"database: {engine.dialect.name}; {args.requests:,} requests each\n")
        buckets(engine, args.requests)
        print(f"\n2. RequestContext + RateLimit, {args.concurrency} in flight (no application behind)")
        stores: tuple[tuple[str, TokenBuckets | SharedLimit | None], ...] = (
            ("bare endpoint", None),
            ("memory buckets", TokenBuckets(HUGE, 1_000_000)),
            ("database buckets", SharedLimit(SharedBuckets(engine, HUGE, 1_000_000))),
        )
        for label, store in stores:
            rate, p50, p99 = asyncio.run(stack(store, args.requests, args.concurrency))
            batches = (
                f"   {args.requests / store.statements:5.1f} requests a statement"
                if isinstance(store, SharedLimit)
                else ""
            )
            print(f"  {label:<20} {rate:9,.0f} requests/s   p50 {p50:7.0f} us   p99 {p99:7.0f} us{batches}")
        print("\n3. the scrape")
        per_call("metrics.render (counters + queue depths)", 200, lambda i: metrics.render(engine))
    finally:
        with engine.begin() as conn:
            conn.execute(sa.text("DELETE FROM rate_limit_buckets WHERE key LIKE 'bench:%'"))
        engine.dispose()


if __name__ == "__main__":
    main()
