"""The throttle of refused requests: pure arithmetic over an injected clock."""

from __future__ import annotations

import datetime as dt

import pytest

from clearway.audit.chain import extend, verify
from clearway.audit.denials import REASONS, SUBJECT, Denial, DenialThrottle, Suppressed

A, B = "203.0.113.7", "198.51.100.9"


def counts(summaries: list[Suppressed]) -> list[tuple[str, str, int]]:
    return [(s.address, s.reason, s.count) for s in summaries]


def test_the_first_refusals_of_a_window_are_recorded_the_rest_counted() -> None:
    throttle = DenialThrottle(per_key=3)
    assert [throttle.admit(A, "bad_key", 0.0 + n) for n in range(5)] == [True, True, True, False, False]
    assert throttle.due(59.0) == []
    assert counts(throttle.due(60.0)) == [(A, "bad_key", 2)]
    assert throttle.due(200.0) == []  # each count is given once


def test_addresses_and_reasons_have_their_own_allowances() -> None:
    throttle = DenialThrottle(per_key=1)
    assert [throttle.admit(A, "bad_key", 0), throttle.admit(A, "csrf", 0), throttle.admit(B, "bad_key", 0)] == [
        True,
        True,
        True,
    ]
    assert not throttle.admit(A, "bad_key", 1)


def test_a_new_window_starts_afresh_and_reports_the_last() -> None:
    throttle = DenialThrottle(per_key=1)
    assert throttle.admit(A, "bad_key", 0) and not throttle.admit(A, "bad_key", 1)
    assert throttle.admit(A, "bad_key", 61)  # a new minute: recorded again
    assert counts(throttle.due(61)) == [(A, "bad_key", 1)]


def test_a_ceiling_over_all_addresses_bounds_a_caller_who_rotates_them() -> None:
    throttle = DenialThrottle(per_key=2, total=5)
    admitted = [throttle.admit(f"2001:db8::{n}", "bad_key", 1.0) for n in range(20)]
    assert sum(admitted) == 5
    assert counts(throttle.due(61.0)) == [("*", "overflow", 15)]


def test_memory_is_bounded_and_an_evicted_count_is_kept() -> None:
    throttle = DenialThrottle(per_key=1, max_keys=2)
    throttle.admit(A, "bad_key", 0)
    throttle.admit(A, "bad_key", 0)  # counted
    throttle.admit(B, "bad_key", 1)
    throttle.admit("192.0.2.1", "bad_key", 2)  # A's window closes early
    assert counts(throttle.due(3)) == [(A, "bad_key", 1)]


def test_drain_gives_every_pending_count_at_shutdown() -> None:
    throttle = DenialThrottle(per_key=1)
    for address in (A, A, A, B, B):
        throttle.admit(address, "role", 0)
    assert sorted(counts(throttle.drain())) == [(B, "role", 1), (A, "role", 2)]
    assert throttle.drain() == []


@pytest.mark.parametrize(("per_key", "window", "max_keys"), [(0, 60, 1), (1, 0, 1), (1, 60, 0)])
def test_nonsense_settings_are_refused(per_key: int, window: float, max_keys: int) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        DenialThrottle(per_key=per_key, window_seconds=window, max_keys=max_keys)


def test_entries_hold_codes_and_identifiers_and_chain() -> None:
    at = dt.datetime(2026, 12, 6, 12, tzinfo=dt.UTC)
    denial = Denial(reason="bad_key", status=401, address=A, method="GET", route="/v1/consignments")
    summary = Suppressed(address=A, reason="bad_key", count=7, window_seconds=60)
    events = [denial.event(at), summary.event(at)]
    assert [(e.actor, e.action, e.subject) for e in events] == [
        ("anonymous", "security.denied", SUBJECT),
        ("system:security", "security.suppressed", SUBJECT),
    ]
    assert events[0].detail == {
        "reason": "bad_key",
        "status": 401,
        "address": A,
        "method": "GET",
        "route": "/v1/consignments",
    }
    assert verify(extend(0, "0" * 64, events)).ok
    assert {"no_credential", "bad_key", "bad_token", "role", "csrf", "not_found", "other_operator"} <= set(REASONS)


def test_failed_sign_ins_have_their_own_reasons_for_summaries() -> None:
    # people_access records them under their own actions, within a throttle like this one.
    assert {"login.failed", "login.throttled", "password.change_failed"} <= set(REASONS)
    throttle = DenialThrottle(per_key=1)
    assert throttle.admit(A, "login.failed", 0) and not throttle.admit(A, "login.failed", 1)
    assert throttle.admit(A, "login.throttled", 1)
    assert counts(throttle.due(60)) == [(A, "login.failed", 1)]
