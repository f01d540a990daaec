"""Standard messages in: kept as received, mapped by their family's adapter, stored through the
same pipeline as JSON, each record's outcome told in the message's own terms.

One body is one message as its standard defines it (an XML document, an EDIFACT interchange), which
may carry several records (a CEB311 holds up to 100 orders). The message row, its records' link rows
and the records themselves are written in one transaction: either the original is kept with what
it became, or nothing is.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import uuid
from collections.abc import Callable, Sequence
from typing import Any, Literal

import msgspec
import sqlalchemy as sa

from clearway.clearance.model import ConsignmentState, SubmissionResult, new_id
from clearway.dataset.decode import RecordDecoder
from clearway.dataset.records import Consignment, Order, Payment, Waybill
from clearway.messages.model import Mapped, MessageError, Responder, Response, Standard
from clearway.messages.registry import adapter_for, responder_for
from clearway.store.message_tables import message_records, messages
from clearway.store.repository import SqlClearanceStore

# What the service needs of the platform, passed in by it (app.platform builds this service): the
# pipeline's mixed submission with a hook in its transaction.
Submit = Callable[..., list[SubmissionResult]]

Status = Literal["accepted", "duplicate", "conflict", "rejected"]
_DECODERS: dict[str, RecordDecoder[Any]] = {
    "consignment": RecordDecoder(Consignment),
    "order": RecordDecoder(Order),
    "payment": RecordDecoder(Payment),
    "waybill": RecordDecoder(Waybill),
}


class UnknownStandard(LookupError):
    """A standard Clearway has no adapter for."""


class ErrorView(msgspec.Struct, kw_only=True, omit_defaults=True):
    where: str
    detail: str
    pointer: str = ""


class RecordOutcome(msgspec.Struct, kw_only=True, omit_defaults=True):
    """What one record of a message became."""

    position: int
    message_type: str
    status: Status
    kind: str | None = None
    message_ref: str | None = None  # the record's own id in the message
    id: str | None = None  # the consignment's or document's id, once stored
    reference: str | None = None
    state: str | None = None
    errors: list[ErrorView] = msgspec.field(default_factory=list)


@dataclasses.dataclass(frozen=True, slots=True)
class Received:
    id: str
    standard: Standard
    message_type: str | None
    sha256: str
    size: int
    received_at: dt.datetime
    records: list[RecordOutcome]

    @property
    def refused(self) -> bool:
        return any(r.status in ("rejected", "conflict") for r in self.records)


@dataclasses.dataclass(frozen=True, slots=True)
class StoredMessage:
    """A message as kept: who sent it, its bytes (None once retention cleared them), its outcomes."""

    id: str
    standard: str
    message_type: str | None
    operator_id: str
    received_at: dt.datetime
    media_type: str
    sha256: str
    size: int
    body: bytes | None
    records: list[RecordOutcome]


class MessageService:
    def __init__(self, engine: sa.Engine, submit: Submit) -> None:
        self.engine = engine
        self._submit = submit

    def receive(
        self, standard: str, operator_id: str, body: bytes, media_type: str, *, now: dt.datetime | None = None
    ) -> Received:
        """Read, keep and submit one message; one outcome per record it carries, in order."""
        adapter = adapter_for(standard)
        if adapter is None:
            raise UnknownStandard(standard)
        at = now or dt.datetime.now(dt.UTC)
        mapped = adapter.parse(body)
        outcomes: list[RecordOutcome | None] = [None] * len(mapped)
        submissions: list[tuple[str, str, Any]] = []
        positions: list[int] = []
        for i, one in enumerate(mapped):
            record, refusal = _checked(one, operator_id)
            if record is None:
                outcomes[i] = refusal
            else:
                submissions.append((str(one.kind), operator_id, record))
                positions.append(i)
        message_id = new_id()
        digest = hashlib.sha256(body).hexdigest()
        message_type = next((m.message_type for m in mapped if m.message_type), None)

        def keep(conn: sa.Connection, results: list[SubmissionResult]) -> None:
            for i, result in zip(positions, results, strict=True):
                outcomes[i] = _outcome(mapped[i], result)
            final = [o for o in outcomes if o is not None]
            conn.execute(
                messages.insert().values(
                    id=message_id,
                    standard=standard,
                    message_type=message_type,
                    operator_id=operator_id,
                    received_at=at,
                    media_type=media_type,
                    sha256=digest,
                    size=len(body),
                    body=body,
                    records=len(final),
                    accepted=sum(o.status in ("accepted", "duplicate") for o in final),
                    result=msgspec.json.encode(final).decode(),
                )
            )
            links = [
                {"message_id": message_id, "position": o.position, "kind": o.kind, "record_id": o.id,
                 "message_ref": (o.message_ref or "")[:64] or None}
                for o in final
                if o.id is not None and o.status in ("accepted", "duplicate")
            ]  # fmt: skip
            if links:
                conn.execute(message_records.insert(), links)

        self._submit(submissions, now=at, also=keep)
        return Received(
            message_id,
            adapter.standard,
            message_type,
            digest,
            len(body),
            at,
            [o for o in outcomes if o is not None],
        )

    def read(self, message_id: str) -> StoredMessage | None:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(messages).where(messages.c.id == message_id)).mappings().first()
        if row is None:
            return None
        return StoredMessage(
            id=row["id"],
            standard=row["standard"],
            message_type=row["message_type"],
            operator_id=row["operator_id"],
            received_at=row["received_at"],
            media_type=row["media_type"],
            sha256=row["sha256"],
            size=row["size"],
            body=row["body"],
            records=list(outcomes_of(row["result"])),
        )

    def responses(self, message_id: str) -> list[Response] | None:
        """The answers the message's family expects, from what became of each record now (None: no
        such message). Empty when the family has none yet, or retention has cleared the original
        (the answers echo keys only the original holds)."""
        found = self.read(message_id)
        if found is None:
            return None
        responder = responder_for(found.standard)
        adapter = adapter_for(found.standard)
        if responder is None or adapter is None or found.body is None:
            return []
        mapped = adapter.parse(found.body)
        by_position = {o.position: o for o in found.records}
        # A document's outcome is fixed when it is received: its receipt carries that time, so that
        # asking again gives the same receipt (a declaration's carries its state's time).
        # The declarations' current states in one read (a message carries up to 100 records).
        ids = [o.id for o in found.records if o.kind == "consignment" and o.id is not None]
        with self.engine.connect() as conn:
            stored = SqlClearanceStore(conn).consignments_by_id(ids) if ids else {}
        statuses = {key: row.status for key, row in stored.items()}
        outcomes = [_outcome_of(responder, by_position.get(one.index), found.received_at, statuses) for one in mapped]
        # The same outcomes give the same receipt id: asking again is not a new answer.
        marks = "|".join(f"{o.position}:{o.status}:{o.state}" for o in found.records)
        states = "|".join(str(getattr(o, "key", "")) for o in outcomes if o is not None)
        guid = str(uuid.uuid5(uuid.NAMESPACE_URL, f"clearway:{message_id}:{marks}:{states}")).upper()
        responses: list[Response] = responder.respond(mapped, found.body, outcomes, guid=guid)
        return responses


def _outcome_of(
    responder: Responder, record: RecordOutcome | None, at: dt.datetime, statuses: dict[str, ConsignmentState]
) -> Any:
    if record is None:
        return None
    errors = [MessageError(e.where, e.detail, e.pointer) for e in record.errors]
    if record.status in ("rejected", "conflict") or record.id is None:
        return responder.outcome(status="rejected", at=at, hold_reason=None, errors=errors, number=None)
    if record.kind != "consignment":
        return responder.outcome(status="stored", at=at, hold_reason=None, errors=(), number=record.id)
    status = statuses.get(record.id)
    if status is None:
        return None
    return responder.outcome(
        status=status.state, at=status.updated_at, hold_reason=status.hold_reason, errors=(), number=record.id
    )


def _checked(one: Mapped, operator_id: str) -> tuple[Any, RecordOutcome | None]:
    """The typed record to submit, or the outcome that refuses it before the pipeline."""
    errors = list(one.errors)
    if not errors and one.sender is not None and one.sender.lower() != operator_id:
        # Nobody files in another's name: the code the message gives its sender is the caller's
        # operator id (which is lower case: a post's "FRA" is operator "fra").
        errors.append(
            MessageError(
                one.where_of("") or "sender",
                f"the message names {one.sender!r} as its sender, but it was sent with the credentials of "
                f"{operator_id!r}",
            )
        )
    if not errors and (one.record is None or one.kind not in _DECODERS):
        errors.append(MessageError("", f"a {one.kind or 'message'} cannot be submitted here"))
    if not errors and one.record is not None:
        record, field_errors = _DECODERS[str(one.kind)].convert(one.record)
        if record is not None:
            return record, None
        errors += [MessageError(one.where_of(e.pointer), e.detail, e.pointer) for e in field_errors]
    return None, RecordOutcome(
        position=one.index,
        message_type=one.message_type,
        status="rejected",
        kind=one.kind,
        message_ref=one.message_id,
        errors=[ErrorView(where=e.where, detail=e.detail, pointer=e.pointer) for e in errors],
    )


def _outcome(one: Mapped, result: SubmissionResult) -> RecordOutcome:
    return RecordOutcome(
        position=one.index,
        message_type=one.message_type,
        status=result.status,
        kind=one.kind,
        message_ref=one.message_id,
        id=result.id,
        reference=result.reference,
        state=result.state,
        errors=[ErrorView(where=one.where_of(e.pointer), detail=e.detail, pointer=e.pointer) for e in result.errors],
    )


def outcomes_of(result_json: str) -> Sequence[RecordOutcome]:
    return msgspec.json.decode(result_json, type=list[RecordOutcome])
