"""A hash chain of audit entries, and its verification. Pure: no storage here.

The chain is a sequence of links, each of one of two shapes:

- *a single entry* (every entry before migration 0022, and appends of one event since): it carries
  the hash of the link before it and a hash of its own content including that link;
- *a batch* (appends of several events since migration 0022): each event row carries the hash of
  its own content (its sequence number included) and no link (``prev_hash`` is empty); one batch
  entry, kept apart, carries the hash of the link before it, the range of entries it covers, the
  ordered list of their content hashes, and a hash over all of that.

So altering an entry breaks its own hash (or, if the forger recomputed it, no longer matches what
its batch committed to), removing one leaves a gap in the sequence, reordering breaks the content
hashes (the sequence number is in them) or the batch's list, and altering a batch entry breaks its
hash or the next link. Verification names the first entry that does not hold, not just its batch.
Entries hold codes and identifiers, never free text or personal data, so that retention can
anonymise consignments without touching the chain.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import msgspec

GENESIS = "0" * 64
DIGEST = 32  # bytes of one SHA-256 in a batch's list

_ENCODER = msgspec.json.Encoder(order="sorted")


class AuditEvent(msgspec.Struct, frozen=True, kw_only=True):
    """Something to record: who did what to which subject, when, with structured details."""

    at: dt.datetime
    actor: str
    action: str
    subject: str
    detail: dict[str, Any] = {}


class AuditEntry(msgspec.Struct, frozen=True, kw_only=True):
    seq: int
    at: dt.datetime
    actor: str
    action: str
    subject: str
    detail: dict[str, Any]
    prev_hash: str  # "" for an entry a batch commits to
    hash: str


class AuditBatch(msgspec.Struct, frozen=True, kw_only=True):
    """One link committing to entries ``first_seq`` to ``last_seq``: their content hashes, in order."""

    first_seq: int
    last_seq: int
    digests: bytes  # (last_seq - first_seq + 1) SHA-256 digests, concatenated in sequence order
    prev_hash: str
    hash: str


class Sealed(msgspec.Struct, frozen=True, kw_only=True):
    """A batch ready to store: its entries, each with its detail as the canonical JSON that was
    hashed (stored as is, so it is encoded once), and the batch entry that commits to them."""

    entries: list[AuditEntry]
    details: list[bytes]
    batch: AuditBatch


class Verification(msgspec.Struct, frozen=True, kw_only=True):
    ok: bool
    checked: int
    seq: int | None = None
    problem: str | None = None


def _utc(at: dt.datetime) -> str:
    return at.astimezone(dt.UTC).isoformat(timespec="microseconds")


def entry_hash(seq: int, at: dt.datetime, actor: str, action: str, subject: str, detail: Any, prev_hash: str) -> str:
    """A single entry's hash: SHA-256 over the canonical JSON (sorted keys) of its content and link."""
    content = _ENCODER.encode([seq, _utc(at), actor, action, subject, detail, prev_hash])
    return hashlib.sha256(content).hexdigest()


def content_hash(seq: int, at: dt.datetime, actor: str, action: str, subject: str, detail: Any) -> str:
    """A batched entry's hash: SHA-256 over the canonical JSON of its content, without a link."""
    return hashlib.sha256(_ENCODER.encode([seq, _utc(at), actor, action, subject, detail])).hexdigest()


def batch_hash(first: int, last: int, digests: bytes, prev_hash: str) -> str:
    """A batch entry's hash: over its range, its link and the ordered content hashes."""
    return hashlib.sha256(_ENCODER.encode(["batch", first, last, prev_hash]) + digests).hexdigest()


def extend(head_seq: int, head_hash: str, events: Sequence[AuditEvent]) -> list[AuditEntry]:
    """Chain new events after the head as single entries (``0, GENESIS`` for an empty log)."""
    entries: list[AuditEntry] = []
    seq, prev = head_seq, head_hash
    for e in events:
        seq += 1
        digest = entry_hash(seq, e.at, e.actor, e.action, e.subject, e.detail, prev)
        entries.append(
            AuditEntry(
                seq=seq,
                at=e.at,
                actor=e.actor,
                action=e.action,
                subject=e.subject,
                detail=e.detail,
                prev_hash=prev,
                hash=digest,
            )
        )
        prev = digest
    return entries


def seal(head_seq: int, head_hash: str, events: Sequence[AuditEvent]) -> Sealed:
    """Chain new events after the head as one batch.

    Each content hash is over the same bytes as ``content_hash`` builds, spliced from the detail's
    JSON encoded once (which is also what is stored); a batch stamps most events with one time, so
    its text is converted once per distinct time.
    """
    entries: list[AuditEntry] = []
    details: list[bytes] = []
    digests = bytearray()
    sha256 = hashlib.sha256
    encode = _ENCODER.encode
    last_at: dt.datetime | None = None
    at_text = ""
    seq = head_seq
    for e in events:
        seq += 1
        if e.at is not last_at:
            last_at, at_text = e.at, _utc(e.at)
        detail = encode(e.detail)
        head = encode([seq, at_text, e.actor, e.action, e.subject])
        digest = sha256(head[:-1] + b"," + detail + b"]").digest()
        digests += digest
        details.append(detail)
        entries.append(
            AuditEntry(
                seq=seq,
                at=e.at,
                actor=e.actor,
                action=e.action,
                subject=e.subject,
                detail=e.detail,
                prev_hash="",
                hash=digest.hex(),
            )
        )
    first = head_seq + 1
    packed = bytes(digests)
    batch = AuditBatch(
        first_seq=first,
        last_seq=seq,
        digests=packed,
        prev_hash=head_hash,
        hash=batch_hash(first, seq, packed, head_hash),
    )
    return Sealed(entries=entries, details=details, batch=batch)


def verify(
    entries: Iterable[AuditEntry], head: tuple[int, str] | None = None, batches: Iterable[AuditBatch] = ()
) -> Verification:
    """Check a whole log in sequence order; report the first entry (or batch entry) that does not hold.

    ``batches`` are the batch entries in order of their first entry. ``head`` is the last (seq,
    hash) recorded separately at each append: without it, entries cut off the end of the log would
    go unnoticed.
    """
    return _Walk(iter(batches)).run(entries, head)


class _Walk:
    """One pass over the entries, with the batch entries taken in step."""

    def __init__(self, batches: Iterator[AuditBatch]) -> None:
        self.batches = batches
        self.pending = next(batches, None)
        self.open: AuditBatch | None = None  # the batch the next entries belong to
        self.checked = 0

    def fail(self, seq: int, problem: str) -> Verification:
        return Verification(ok=False, checked=self.checked, seq=seq, problem=problem)

    def run(self, entries: Iterable[AuditEntry], head: tuple[int, str] | None) -> Verification:
        expected_seq, expected_prev = 1, GENESIS
        for entry in entries:
            if entry.seq != expected_seq:
                what = "missing (removed?)" if entry.seq > expected_seq else "out of order or repeated"
                return self.fail(expected_seq, f"entry {expected_seq} is {what}; found {entry.seq}")
            if self.open is None and self.pending is not None and self.pending.first_seq <= entry.seq:
                problem = self._open(entry.seq, expected_prev)
                if problem is not None:
                    return self.fail(entry.seq, problem)
            if self.open is not None:
                problem = self._batched(entry, self.open)
                if problem is not None:
                    return self.fail(entry.seq, problem)
                if entry.seq == self.open.last_seq:
                    expected_prev, self.open = self.open.hash, None
            else:
                problem = _single(entry, expected_prev)
                if problem is not None:
                    return self.fail(entry.seq, problem)
                expected_prev = entry.hash
            self.checked += 1
            expected_seq += 1
        last_seq = expected_seq - 1
        if self.open is not None:
            return self.fail(
                expected_seq,
                f"entry {expected_seq} is missing: the log ends at entry {last_seq} but the batch entry for "
                f"entries {self.open.first_seq}-{self.open.last_seq} commits to more (removed from the end?)",
            )
        if self.pending is not None:
            return self.fail(
                self.pending.first_seq,
                f"the log ends at entry {last_seq} but a batch entry commits to entries "
                f"{self.pending.first_seq}-{self.pending.last_seq} (entries removed from the end?)",
            )
        if head is not None and (last_seq, expected_prev) != head:
            return self.fail(
                min(head[0], last_seq + 1),
                f"the log ends at entry {last_seq} but its head says {head[0]} (entries removed from the end?)",
            )
        return Verification(ok=True, checked=self.checked)

    def _open(self, seq: int, expected_prev: str) -> str | None:
        batch = self.pending
        assert batch is not None
        self.pending = next(self.batches, None)
        span = f"the batch entry for entries {batch.first_seq}-{batch.last_seq}"
        if batch.first_seq != seq:
            return f"{span} does not start at entry {seq}, where the chain continues (altered or removed?)"
        if batch.prev_hash != expected_prev:
            return f"{span} does not link to the entry before it (removed, reordered or altered)"
        if batch.last_seq < batch.first_seq or len(batch.digests) != DIGEST * (batch.last_seq - batch.first_seq + 1):
            return f"{span} was altered: its list of entries does not match its range"
        if batch_hash(batch.first_seq, batch.last_seq, batch.digests, batch.prev_hash) != batch.hash:
            return f"{span} was altered: its content does not match its hash"
        if self.pending is not None and self.pending.first_seq <= batch.last_seq:
            return f"{span} overlaps the next batch entry (altered?)"
        self.open = batch
        return None

    @staticmethod
    def _batched(entry: AuditEntry, batch: AuditBatch) -> str | None:
        actual = content_hash(entry.seq, entry.at, entry.actor, entry.action, entry.subject, entry.detail)
        if entry.prev_hash != "" or actual != entry.hash:
            return f"entry {entry.seq} was altered: its content does not match its hash"
        at = DIGEST * (entry.seq - batch.first_seq)
        if batch.digests[at : at + DIGEST].hex() != actual:
            return (
                f"entry {entry.seq} is not the entry its batch ({batch.first_seq}-{batch.last_seq}) committed to "
                "(altered, removed or reordered)"
            )
        return None


def _single(entry: AuditEntry, expected_prev: str) -> str | None:
    if entry.prev_hash == "":
        return f"entry {entry.seq} belongs to a batch, but no batch entry commits to it (batch entry removed?)"
    if entry.prev_hash != expected_prev:
        return f"entry {entry.seq} does not link to entry {entry.seq - 1} (removed, reordered or altered)"
    actual = entry_hash(entry.seq, entry.at, entry.actor, entry.action, entry.subject, entry.detail, entry.prev_hash)
    if actual != entry.hash:
        return f"entry {entry.seq} was altered: its content does not match its hash"
    return None
