"""What the pipeline stores and returns: consignment and document rows, results per record.

These are domain records, not table rows: the store maps them to its tables, the API to its
responses. Keeping the three apart lets each change without dragging the others along.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import time
from typing import Literal

import msgspec

from clearway.clearance.decision import Decision
from clearway.clearance.lifecycle import HoldReason, State, Transition
from clearway.clearance.link_view import DocumentView, view_of
from clearway.clearance.linking import LinkResult
from clearway.dataset.errors import FieldError
from clearway.dataset.records import Consignment, Document, DocumentKind

SubmissionStatus = Literal["accepted", "duplicate", "rejected", "conflict"]

_ENCODER = msgspec.json.Encoder(decimal_format="string")


def canonical_json(record: msgspec.Struct) -> bytes:
    """The stored form of a record: compact JSON with decimals as strings (exact)."""
    return _ENCODER.encode(record)


def content_hash(data: bytes) -> str:
    """Identity of a message's content for idempotency: same operator + reference + hash = same."""
    return hashlib.sha256(data).hexdigest()


def new_id() -> str:
    """A time-ordered 128-bit id (48-bit milliseconds + 80 random bits, as UUIDv7): index-friendly."""
    millis = time.time_ns() // 1_000_000
    return f"{millis:012x}{os.urandom(10).hex()}"


class ConsignmentState(msgspec.Struct, kw_only=True):
    """The current, mutable part of a consignment: where it is in its lifecycle."""

    state: State
    hold_reason: HoldReason | None = None
    lane: str | None = None
    link_status: str | None = None
    deadline: dt.datetime | None = None
    updated_at: dt.datetime
    # Customs control (lifecycle.Control), attached to the consignment and not to a version: while
    # it is set the declarant can neither amend nor cancel, and only an officer moves it on.
    control: str | None = None


class StoredConsignment(msgspec.Struct, kw_only=True):
    id: str
    operator_id: str
    reference: str
    version: int
    body_hash: str
    received_at: dt.datetime
    record: Consignment
    status: ConsignmentState


class StoredDocument(msgspec.Struct, kw_only=True, frozen=True):
    id: str
    kind: DocumentKind
    operator_id: str
    number: str
    body_hash: str
    received_at: dt.datetime
    record: Document
    # The sender's kind in the operator registry when the document came in (None: not registered).
    # Whether a document may count as an independent source depends on it (clearance.senders).
    sender_kind: str | None = None

    @property
    def view(self) -> DocumentView:
        """What linking reads of the record (clearance.link_view)."""
        return view_of(self.record)


class StepResult(msgspec.Struct, kw_only=True, frozen=True):
    """The link result and the decision made for one version of a consignment."""

    consignment_id: str
    version: int
    at: dt.datetime
    link: LinkResult
    decision: Decision | None


class HistoryEntry(msgspec.Struct, kw_only=True, frozen=True):
    consignment_id: str
    transition: Transition


class SubmissionResult(msgspec.Struct, kw_only=True, omit_defaults=True):
    """What happened to one submitted record; the API returns one per record."""

    index: int
    status: SubmissionStatus
    id: str | None = None
    reference: str | None = None
    state: State | None = None
    version: int | None = None
    errors: list[FieldError] = msgspec.field(default_factory=list)
