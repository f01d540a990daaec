"""Growing waits after failed sign-ins, instead of a lockout."""

from __future__ import annotations

import datetime as dt

import pytest

from clearway.access.throttle import ACCOUNT, ADDRESS, ThrottlePolicy

T0 = dt.datetime(2026, 12, 6, 9, 0, tzinfo=dt.UTC)
S = dt.timedelta(seconds=1)


@pytest.mark.parametrize(
    ("failures", "wait"),
    [(0, 0), (4, 0), (5, 10), (6, 20), (7, 40), (8, 80), (9, 160), (10, 300), (50, 300), (10_000, 300)],
)
def test_an_accounts_wait_doubles_up_to_five_minutes(failures: int, wait: int) -> None:
    assert ACCOUNT.wait_after(failures) == wait * S


def test_an_address_gets_more_free_failures_and_a_longer_cap() -> None:
    assert ADDRESS.wait_after(19) == dt.timedelta(0) and ADDRESS.wait_after(20) == 10 * S
    assert ADDRESS.wait_after(1_000) == dt.timedelta(minutes=15)


def test_retry_after_counts_from_the_last_failure() -> None:
    assert ACCOUNT.retry_after(5, T0, T0) == 10 * S
    assert ACCOUNT.retry_after(5, T0, T0 + 4 * S) == 6 * S
    assert ACCOUNT.retry_after(5, T0, T0 + 10 * S) == dt.timedelta(0)
    assert ACCOUNT.retry_after(4, T0, T0) == dt.timedelta(0)
    assert ACCOUNT.retry_after(0, None, T0) == dt.timedelta(0)


def test_old_failures_are_forgotten() -> None:
    policy = ThrottlePolicy(3, S, 8 * S, dt.timedelta(hours=1))
    assert policy.counted(7, T0, T0 + dt.timedelta(minutes=59)) == 7
    assert policy.counted(7, T0, T0 + dt.timedelta(hours=1)) == 0
    assert policy.retry_after(1_000, T0, T0 + dt.timedelta(hours=2)) == dt.timedelta(0)
