"""Growing waits after failed sign-ins, instead of a lockout."""

from __future__ import annotations

import datetime as dt

import pytest

from clearway.access.throttle import ACCOUNT, ADDRESS, PAIR, ThrottlePolicy, account_name, address_name

T0 = dt.datetime(2026, 12, 6, 9, 0, tzinfo=dt.UTC)
S = dt.timedelta(seconds=1)


@pytest.mark.parametrize(
    ("failures", "wait"),
    [(0, 0), (4, 0), (5, 10), (6, 20), (7, 40), (8, 80), (9, 160), (10, 300), (50, 300), (10_000, 300)],
)
def test_a_pairs_wait_doubles_up_to_five_minutes(failures: int, wait: int) -> None:
    assert PAIR.wait_after(failures) == wait * S


def test_an_address_gets_more_free_failures_and_a_longer_cap() -> None:
    assert ADDRESS.wait_after(19) == dt.timedelta(0) and ADDRESS.wait_after(20) == 10 * S
    assert ADDRESS.wait_after(1_000) == dt.timedelta(minutes=15)


def test_an_accounts_ceiling_is_far_above_anyones_mistakes_and_its_waits_stay_short() -> None:
    # 100 failures an hour from every address together; then waits as a pair's, up to 5 minutes.
    assert ACCOUNT.wait_after(99) == dt.timedelta(0) and ACCOUNT.wait_after(100) == 10 * S
    assert ACCOUNT.wait_after(10_000) == dt.timedelta(minutes=5)
    assert ACCOUNT.forget_after == dt.timedelta(hours=1)


def test_retry_after_counts_from_the_last_failure() -> None:
    assert PAIR.retry_after(5, T0, T0) == 10 * S
    assert PAIR.retry_after(5, T0, T0 + 4 * S) == 6 * S
    assert PAIR.retry_after(5, T0, T0 + 10 * S) == dt.timedelta(0)
    assert PAIR.retry_after(4, T0, T0) == dt.timedelta(0)
    assert PAIR.retry_after(0, None, T0) == dt.timedelta(0)


def test_old_failures_are_forgotten() -> None:
    policy = ThrottlePolicy(3, S, 8 * S, dt.timedelta(hours=1))
    assert policy.counted(7, T0, T0 + dt.timedelta(minutes=59)) == 7
    assert policy.counted(7, T0, T0 + dt.timedelta(hours=1)) == 0
    assert policy.retry_after(1_000, T0, T0 + dt.timedelta(hours=2)) == dt.timedelta(0)


def test_a_username_has_one_form_whatever_its_case() -> None:
    assert account_name("Olga") == account_name("OLGA") == account_name("olga") == "olga"
    assert account_name("Straße") == account_name("STRASSE")


@pytest.mark.parametrize(
    ("address", "counted_as"),
    [
        ("203.0.113.9", "203.0.113.9"),
        ("::ffff:203.0.113.9", "203.0.113.9"),
        ("2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"),
        ("2001:DB8:1:3::1", "2001:db8:1:3::/64"),
        ("fe80::1%eth0", "fe80::/64"),
        ("testclient", "testclient"),
        (None, ""),
        ("", ""),
    ],
)
def test_an_address_is_counted_by_what_one_holder_has(address: str | None, counted_as: str) -> None:
    # One subscriber usually holds a whole IPv6 /64: walking through it is not a new address.
    assert address_name(address) == counted_as
