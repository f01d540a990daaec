"""A hash chain of audit entries, and its verification. Pure: no storage here.

Each entry carries the hash of the one before it and a hash of its own content including that
link, so altering an entry breaks its own hash, removing one leaves a gap in the sequence and a
broken link, and reordering breaks the links. Entries hold codes and identifiers, never free
text or personal data, so that retention can anonymise consignments without touching the chain.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Sequence
from typing import Any

import msgspec

GENESIS = "0" * 64

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
    prev_hash: str
    hash: str


class Verification(msgspec.Struct, frozen=True, kw_only=True):
    ok: bool
    checked: int
    seq: int | None = None
    problem: str | None = None


def _utc(at: dt.datetime) -> str:
    return at.astimezone(dt.UTC).isoformat(timespec="microseconds")


def entry_hash(seq: int, at: dt.datetime, actor: str, action: str, subject: str, detail: Any, prev_hash: str) -> str:
    """SHA-256 over the canonical JSON (sorted keys) of the entry's content and its link."""
    content = _ENCODER.encode([seq, _utc(at), actor, action, subject, detail, prev_hash])
    return hashlib.sha256(content).hexdigest()


def extend(head_seq: int, head_hash: str, events: Sequence[AuditEvent]) -> list[AuditEntry]:
    """Chain new events after the head entry (``0, GENESIS`` for an empty log)."""
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


def verify(entries: Iterable[AuditEntry], head: tuple[int, str] | None = None) -> Verification:
    """Check a whole log in sequence order; report the first entry that does not hold.

    ``head`` is the last (seq, hash) recorded separately at each append: without it, entries cut
    off the end of the log would go unnoticed.
    """
    expected_seq, expected_prev = 1, GENESIS
    checked = 0
    for entry in entries:
        if entry.seq != expected_seq:
            what = "missing (removed?)" if entry.seq > expected_seq else "out of order or repeated"
            return Verification(
                ok=False,
                checked=checked,
                seq=expected_seq,
                problem=f"entry {expected_seq} is {what}; found {entry.seq}",
            )
        if entry.prev_hash != expected_prev:
            return Verification(
                ok=False,
                checked=checked,
                seq=entry.seq,
                problem=f"entry {entry.seq} does not link to entry {entry.seq - 1} (removed, reordered or altered)",
            )
        actual = entry_hash(
            entry.seq, entry.at, entry.actor, entry.action, entry.subject, entry.detail, entry.prev_hash
        )
        if actual != entry.hash:
            return Verification(
                ok=False,
                checked=checked,
                seq=entry.seq,
                problem=f"entry {entry.seq} was altered: its content does not match its hash",
            )
        checked += 1
        expected_seq, expected_prev = entry.seq + 1, entry.hash
    last_seq = expected_seq - 1
    if head is not None and (last_seq, expected_prev) != head:
        return Verification(
            ok=False,
            checked=checked,
            seq=min(head[0], last_seq + 1),
            problem=f"the log ends at entry {last_seq} but its head says {head[0]} (entries removed from the end?)",
        )
    return Verification(ok=True, checked=checked)
