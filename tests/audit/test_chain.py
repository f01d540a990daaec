from __future__ import annotations

import datetime as dt
from itertools import pairwise

import msgspec
import pytest

from clearway.audit.chain import (
    GENESIS,
    AuditBatch,
    AuditEntry,
    AuditEvent,
    batch_hash,
    content_hash,
    extend,
    seal,
    verify,
)

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


# -- batches (migration 0022): one link commits to the ordered content hashes of many entries ----


def _events(n: int, first: int = 0) -> list[AuditEvent]:
    return [
        AuditEvent(
            at=T0 + dt.timedelta(seconds=k // 2),  # pairs share a time, as a batch's events do
            actor="engine:risk-1",
            action="consignment.state",
            subject=f"c{k}",
            detail={"to": "held", "version": 1, "codes": ["late_filing"]},
        )
        for k in range(first, first + n)
    ]


@pytest.fixture
def mixed() -> tuple[list[AuditEntry], list[AuditBatch]]:
    """Three single entries (as before migration 0022), a batch of five, one single, a batch of four."""
    singles = extend(0, GENESIS, _events(3))
    one = seal(3, singles[-1].hash, _events(5, 3))
    middle = extend(8, one.batch.hash, _events(1, 8))
    two = seal(9, middle[0].hash, _events(4, 9))
    return [*singles, *one.entries, *middle, *two.entries], [one.batch, two.batch]


def _rehashed(e: AuditEntry) -> AuditEntry:
    """What a forger does after editing a batched entry: recompute its content hash."""
    return msgspec.structs.replace(e, hash=content_hash(e.seq, e.at, e.actor, e.action, e.subject, e.detail))


def _head(entries: list[AuditEntry], batches: list[AuditBatch]) -> tuple[int, str]:
    return entries[-1].seq, batches[-1].hash


def test_both_shapes_chain_and_verify(mixed: tuple[list[AuditEntry], list[AuditBatch]]) -> None:
    entries, batches = mixed
    assert [e.seq for e in entries] == list(range(1, 14))
    assert all(e.prev_hash == "" for e in entries[3:8]) and entries[8].prev_hash == batches[0].hash
    assert (batches[0].first_seq, batches[0].last_seq, len(batches[0].digests)) == (4, 8, 5 * 32)
    assert batches[0].prev_hash == entries[2].hash
    result = verify(entries, head=_head(entries, batches), batches=batches)
    assert result.ok and result.checked == 13


def test_the_spliced_hash_is_the_content_hash() -> None:
    # seal() hashes bytes spliced from the detail's JSON encoded once; verification re-encodes.
    sealed = seal(41, GENESIS, _events(3))
    for e in sealed.entries:
        assert e.hash == content_hash(e.seq, e.at, e.actor, e.action, e.subject, e.detail)


def test_old_single_entries_without_batches_still_verify(log: list[AuditEntry]) -> None:
    assert verify(log, head=(log[-1].seq, log[-1].hash), batches=[]).ok


@pytest.mark.parametrize("field", ["actor", "detail", "subject", "at"])
def test_an_event_altered_inside_a_batch_is_named(mixed: tuple[list[AuditEntry], list[AuditBatch]], field: str) -> None:
    entries, batches = mixed
    value = {"actor": "x", "detail": {"to": "released"}, "subject": "c99", "at": T0 + dt.timedelta(days=1)}[field]
    entries[5] = msgspec.structs.replace(entries[5], **{field: value})
    result = verify(entries, head=_head(entries, batches), batches=batches)
    assert not result.ok and result.seq == 6 and "altered" in (result.problem or "")


def test_an_altered_event_with_its_hash_recomputed_is_named(
    mixed: tuple[list[AuditEntry], list[AuditBatch]],
) -> None:
    entries, batches = mixed
    e = entries[6]
    forged = msgspec.structs.replace(e, detail={"to": "released"})
    forged = msgspec.structs.replace(
        forged, hash=content_hash(e.seq, e.at, e.actor, e.action, e.subject, forged.detail)
    )
    entries[6] = forged
    result = verify(entries, head=_head(entries, batches), batches=batches)
    assert not result.ok and result.seq == 7 and "committed to" in (result.problem or "")


def test_an_event_dropped_from_a_batch_is_named(mixed: tuple[list[AuditEntry], list[AuditBatch]]) -> None:
    entries, batches = mixed
    del entries[4]  # seq 5
    result = verify(entries, head=_head(entries, batches), batches=batches)
    assert not result.ok and result.seq == 5 and "missing" in (result.problem or "")


def test_an_event_dropped_and_the_rest_renumbered_is_named(
    mixed: tuple[list[AuditEntry], list[AuditBatch]],
) -> None:
    entries, batches = mixed
    del entries[4]
    # The forger renumbers the batch's later entries and recomputes their hashes to close the gap.
    for i in range(4, 7):
        e = msgspec.structs.replace(entries[i], seq=i + 1)
        entries[i] = msgspec.structs.replace(e, hash=content_hash(e.seq, e.at, e.actor, e.action, e.subject, e.detail))
    result = verify(entries, head=_head(entries, batches), batches=batches)
    assert not result.ok and result.seq == 5 and "committed to" in (result.problem or "")


def test_two_events_swapped_inside_a_batch_are_named(mixed: tuple[list[AuditEntry], list[AuditBatch]]) -> None:
    entries, batches = mixed
    a, b = entries[4], entries[6]  # seq 5 and 7
    # Their whole content swapped, sequence numbers kept: each no longer matches its own hash.
    entries[4] = msgspec.structs.replace(b, seq=5)
    entries[6] = msgspec.structs.replace(a, seq=7)
    result = verify(entries, head=_head(entries, batches), batches=batches)
    assert not result.ok and result.seq == 5 and "altered" in (result.problem or "")
    # With their hashes recomputed, the batch's list still names the first of the two.
    for i in (4, 6):
        e = entries[i]
        entries[i] = msgspec.structs.replace(e, hash=content_hash(e.seq, e.at, e.actor, e.action, e.subject, e.detail))
    result = verify(entries, head=_head(entries, batches), batches=batches)
    assert not result.ok and result.seq == 5 and "committed to" in (result.problem or "")


def test_an_altered_batch_entry_is_named(mixed: tuple[list[AuditEntry], list[AuditBatch]]) -> None:
    entries, batches = mixed
    # Its list rewritten to match a forged event: the batch entry's own hash no longer holds.
    forged = _rehashed(msgspec.structs.replace(entries[5], detail={"to": "released"}))
    entries[5] = forged
    b = batches[0]
    digests = b.digests[:64] + bytes.fromhex(forged.hash) + b.digests[96:]
    batches[0] = msgspec.structs.replace(b, digests=digests)
    result = verify(entries, head=_head(entries, batches), batches=batches)
    assert not result.ok and result.seq == 4 and "batch entry for entries 4-8 was altered" in (result.problem or "")
    # Its hash recomputed too: the next link no longer links to it.
    batches[0] = msgspec.structs.replace(batches[0], hash=batch_hash(4, 8, digests, b.prev_hash))
    result = verify(entries, head=_head(entries, batches), batches=batches)
    assert not result.ok and result.seq == 9 and "does not link" in (result.problem or "")


def test_a_removed_batch_entry_is_named(mixed: tuple[list[AuditEntry], list[AuditBatch]]) -> None:
    entries, batches = mixed
    result = verify(entries, head=_head(entries, batches), batches=batches[1:])
    assert not result.ok and result.seq == 4 and "no batch entry commits to it" in (result.problem or "")


def test_a_batch_entry_cannot_swallow_single_entries(mixed: tuple[list[AuditEntry], list[AuditBatch]]) -> None:
    entries, batches = mixed
    # A forged batch entry starting at a single entry: the range no longer matches where it links.
    b = batches[0]
    forged = AuditBatch(first_seq=3, last_seq=8, digests=b"\0" * 32 + b.digests, prev_hash=b.prev_hash, hash="x")
    result = verify(entries, head=_head(entries, batches), batches=[forged, batches[1]])
    assert not result.ok and result.seq == 3


def test_a_batch_cut_off_the_end_is_caught(mixed: tuple[list[AuditEntry], list[AuditBatch]]) -> None:
    entries, batches = mixed
    head = _head(entries, batches)
    result = verify(entries[:-2], head=head, batches=batches)
    assert not result.ok and result.seq == 12 and "end" in (result.problem or "")
    # The last batch entry cut off with its entries: the head still says where the log ended.
    result = verify(entries[:-4], head=head, batches=batches[:1])
    assert not result.ok and result.seq == 10 and "removed from the end" in (result.problem or "")
