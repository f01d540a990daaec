"""Token buckets in the database: one allowance whatever the number of processes (here, engines:
each has its own connections, as each server process does)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from clearway.store.engine import create_engine
from clearway.store.rate_limit_repo import SharedBuckets

# So slow a refill that nothing comes back during a test: what is allowed is the burst, exactly.
NEVER = 0.0001


@pytest.fixture
def engines(clean_engine: sa.Engine, database_url: str) -> Iterator[list[sa.Engine]]:
    """Three engines on the test database, as three server processes would have."""
    others = [create_engine(database_url) for _ in range(2)]
    yield [clean_engine, *others]
    for engine in others:
        engine.dispose()


def statements(engine: sa.Engine) -> list[str]:
    seen: list[str] = []
    sa.event.listen(engine, "before_cursor_execute", lambda *args: seen.append(args[2]))
    return seen


def test_two_processes_share_one_allowance(engines: list[sa.Engine]) -> None:
    a, b = (SharedBuckets(e, NEVER, burst=10) for e in engines[:2])
    answers = [(a if i % 2 else b).take("key:k1") for i in range(30)]
    assert [w == 0 for w in answers] == [True] * 10 + [False] * 20
    # Another caller is untouched by the first one's spending.
    assert a.take("key:k2") == 0.0


def test_concurrent_requests_from_several_processes_never_overspend(engines: list[sa.Engine]) -> None:
    burst = 25
    limiters = [SharedBuckets(e, NEVER, burst=burst) for e in engines]
    allowed: list[int] = []
    start = threading.Barrier(6)

    def hammer(limiter: SharedBuckets) -> None:
        start.wait()
        allowed.append(sum(limiter.take("key:hot") == 0 for _ in range(20)))

    threads = [threading.Thread(target=hammer, args=(limiters[i % 3],)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # 120 requests from six threads over three engines: the burst and not one more.
    assert sum(allowed) == burst


def test_a_batch_takes_what_each_caller_has_and_no_more(engines: list[sa.Engine]) -> None:
    a, b = (SharedBuckets(e, NEVER, burst=3) for e in engines[:2])
    assert a.take_many({"key:x": 2, "key:y": 5, "key:z": 1}) == {
        "key:x": (2, 0.0),
        "key:y": (3, pytest.approx(1 / NEVER)),
        "key:z": (1, 0.0),
    }
    # What the first process left is what the second finds: one token of x, none of y.
    found = b.take_many({"key:x": 4, "key:y": 1})
    assert found["key:x"][0] == 1 and found["key:y"][0] == 0
    assert b.take_many({}) == {}


def test_a_fraction_of_a_token_is_not_a_token(clean_engine: sa.Engine) -> None:
    # After 0.6 s at 1 a second, 0.6 tokens: PostgreSQL's CAST would round that up to one.
    limiter = SharedBuckets(clean_engine, 1.0, burst=1, remembered_refusals=0)
    assert limiter.take("key:f") == 0.0
    time.sleep(0.6)
    assert 0.3 < limiter.take("key:f") < 0.45


def test_the_bucket_refills_at_the_rate(engines: list[sa.Engine]) -> None:
    a, b = (SharedBuckets(e, 20.0, burst=1) for e in engines[:2])
    assert a.take("ip:203.0.113.7") == 0.0
    wait = b.take("ip:203.0.113.7")
    assert 0 < wait <= 0.05
    time.sleep(wait + 0.02)
    assert a.take("ip:203.0.113.7") == 0.0


def test_a_refusal_is_remembered_without_asking_the_database(clean_engine: sa.Engine) -> None:
    limiter = SharedBuckets(clean_engine, 1.0, burst=1)
    assert limiter.take("key:k") == 0.0
    assert limiter.take("key:k") > 0.9
    seen = statements(limiter.engine)
    waits = [limiter.take("key:k") for _ in range(100)]
    assert all(0 < w <= 1.0 for w in waits) and seen == []
    assert limiter.refused_here("key:other") == 0.0


def test_full_buckets_are_pruned(clean_engine: sa.Engine) -> None:
    # Full again 50 ms after a take: long enough that the newest bucket, taken just before the
    # prune in the same call, is not yet full on a loaded machine (1 ms was not).
    limiter = SharedBuckets(clean_engine, 20.0, burst=1, prune_every=0.0)
    for i in range(20):
        limiter.take(f"ip:198.51.100.{i}")
    time.sleep(0.2)
    limiter.take("ip:192.0.2.1")
    assert len(limiter) == 1


@pytest.mark.parametrize(("rate", "burst"), [(0.0, 1), (-1.0, 5), (1.0, 0)])
def test_nonsense_limits_are_refused(clean_engine: sa.Engine, rate: float, burst: int) -> None:
    with pytest.raises(ValueError, match="must be"):
        SharedBuckets(clean_engine, rate, burst)
