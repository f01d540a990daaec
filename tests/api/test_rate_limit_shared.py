"""The shared buckets from the event loop: concurrent requests share statements, a caller's tokens
go to its requests in order, and a database that does not answer never leaves a request waiting."""

from __future__ import annotations

import asyncio

import pytest
import sqlalchemy as sa
from prometheus_client import REGISTRY

from clearway.api.rate_limit_shared import SharedLimit
from clearway.store.engine import create_engine
from clearway.store.rate_limit_repo import SharedBuckets


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.mark.anyio
async def test_concurrent_requests_share_statements_and_get_the_burst_exactly(clean_engine: sa.Engine) -> None:
    limit = SharedLimit(SharedBuckets(clean_engine, 0.0001, burst=10))
    waits = await asyncio.gather(*(limit.take("key:a" if i % 2 else "key:b") for i in range(60)))
    allowed_a = [w == 0 for w in waits[1::2]]
    allowed_b = [w == 0 for w in waits[0::2]]
    # Each caller's first ten requests, in the order they came, and none after.
    assert allowed_a == [True] * 10 + [False] * 20 and allowed_b == [True] * 10 + [False] * 20
    assert all(w > 1000 for w in waits if w)
    assert limit.statements < 60
    # Known to be empty now: answered from memory, no statement.
    before = limit.statements
    assert await limit.take("key:a") > 0 and limit.statements == before


@pytest.mark.anyio
async def test_a_database_that_does_not_answer_lets_requests_through() -> None:
    silent = create_engine("postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=2")
    before = failures()
    try:
        limit = SharedLimit(SharedBuckets(silent, 1.0, burst=1))
        waits = await asyncio.wait_for(asyncio.gather(*(limit.take("key:a") for _ in range(5))), timeout=10)
    finally:
        silent.dispose()
    assert waits == [0.0] * 5 and failures() > before


def failures() -> float:
    return REGISTRY.get_sample_value("clearway_errors_total", {"where": "rate_limit"}) or 0.0
