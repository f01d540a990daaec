from __future__ import annotations

import datetime as dt
from itertools import pairwise

import msgspec
import pytest

from clearway.audit.chain import GENESIS, AuditEntry, AuditEvent, extend, verify

T0 = dt.datetime(2026, 11, 22, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def log() -> list[AuditEntry]:
    events = [
        AuditEvent(
            at=T0 + dt.timedelta(seconds=n),
            actor="operator:op-1",
            action="consignment.state",
            subject=f"c{n}",
            detail={"to": "received", "version": 1},
        )
        for n in range(6)
    ]
    return extend(0, GENESIS, events)


def test_an_intact_log_verifies(log: list[AuditEntry]) -> None:
    result = verify(log, head=(log[-1].seq, log[-1].hash))
    assert result.ok and result.checked == 6
    assert [e.seq for e in log] == [1, 2, 3, 4, 5, 6]
    assert log[0].prev_hash == GENESIS and all(b.prev_hash == a.hash for a, b in pairwise(log))


def test_extending_continues_the_chain(log: list[AuditEntry]) -> None:
    more = extend(log[-1].seq, log[-1].hash, [AuditEvent(at=T0, actor="officer:o-1", action="x", subject="c9")])
    assert more[0].seq == 7 and more[0].prev_hash == log[-1].hash
    assert verify([*log, *more]).ok


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("actor", "officer:someone-else"),
        ("detail", {"to": "released", "version": 1}),
        ("subject", "c99"),
        ("at", T0 + dt.timedelta(days=1)),
    ],
)
def test_an_altered_entry_is_named(log: list[AuditEntry], field: str, value: object) -> None:
    log[3] = msgspec.structs.replace(log[3], **{field: value})
    result = verify(log)
    assert not result.ok and result.seq == 4 and "altered" in (result.problem or "")


def test_a_recomputed_hash_breaks_the_next_link(log: list[AuditEntry]) -> None:
    # A forger who rewrites an entry and its hash still breaks the link from the following entry.
    forged = extend(log[2].seq, log[2].hash, [AuditEvent(at=T0, actor="forger", action="x", subject="c3")])[0]
    log[3] = forged
    result = verify(log)
    assert not result.ok and result.seq == 5 and "does not link" in (result.problem or "")


def test_a_removed_entry_is_named(log: list[AuditEntry]) -> None:
    del log[2]
    result = verify(log)
    assert not result.ok and result.seq == 3 and "missing" in (result.problem or "")


def test_reordered_entries_are_caught(log: list[AuditEntry]) -> None:
    log[1], log[2] = log[2], log[1]
    assert not verify(log).ok
    # Swapping sequence numbers too keeps the order plausible but breaks the links.
    a, b = log[1], log[2]
    log[1] = msgspec.structs.replace(a, seq=2)
    log[2] = msgspec.structs.replace(b, seq=3)
    result = verify(log)
    assert not result.ok and result.seq == 2


def test_entries_cut_off_the_end_are_caught_by_the_head(log: list[AuditEntry]) -> None:
    head = (log[-1].seq, log[-1].hash)
    assert verify(log[:-2]).ok  # the chain alone cannot see a truncated tail
    result = verify(log[:-2], head=head)
    assert not result.ok and result.seq == 5 and "removed from the end" in (result.problem or "")
