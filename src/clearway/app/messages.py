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
from collections.abc import Callable, Sequence
from typing import Any, Literal

import msgspec
import sqlalchemy as sa

from clearway.app import metrics
from clearway.app.message_answers import answers, kept_for, messages_of
from clearway.app.message_notices import tell_response_ready
from clearway.app.preloading import Filed, PreloadingService
from clearway.clearance.errors import Conflict
from clearway.clearance.model import SubmissionResult, new_id
from clearway.dataset.decode import RecordDecoder
from clearway.dataset.records import Consignment, Order, Payment, Waybill
from clearway.messages.model import Mapped, MessageError, Response, Standard
from clearway.messages.registry import adapter_for
from clearway.risk.preloading import PlaciFiling, placi_errors
from clearway.store.message_tables import message_records, messages

# What the service needs of the platform, passed in by it (app.platform builds this service): the
# pipeline's mixed submission with a hook in its transaction.
Submit = Callable[..., list[SubmissionResult]]

Status = Literal["accepted", "duplicate", "conflict", "rejected"]
_DECODERS: dict[str, RecordDecoder[Any]] = {
    "consignment": RecordDecoder(Consignment),
    "order": RecordDecoder(Order),
    "payment": RecordDecoder(Payment),
    "waybill": RecordDecoder(Waybill),
    "preloading": RecordDecoder(PlaciFiling, placi_errors),
}
# The standards whose records are pre-loading filings rather than declarations and documents.
PRELOADING = frozenset({"eu-ics2"})


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
    def __init__(self, engine: sa.Engine, submit: Submit, preloading: PreloadingService) -> None:
        self.engine = engine
        self._submit = submit
        self._preloading = preloading

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
                # A change or withdrawal goes through the API's amendment and cancellation (app.submissions).
                kind = str(one.kind) if one.action == "new" else f"{one.kind}.{one.action}"
                submissions.append((kind, operator_id, record))
                positions.append(i)
        message_id = new_id()
        digest = hashlib.sha256(body).hexdigest()
        message_type = next((m.message_type for m in mapped if m.message_type), None)

        def write(conn: sa.Connection) -> None:
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
            tell_response_ready(conn, message_id=message_id, standard=standard, operator_id=operator_id, at=at)

        def keep(conn: sa.Connection, results: list[SubmissionResult]) -> None:
            for i, result in zip(positions, results, strict=True):
                outcomes[i] = _outcome(mapped[i], result)
            write(conn)

        def keep_filed(conn: sa.Connection, filed: list[Filed]) -> None:
            for i, one in zip(positions, filed, strict=True):
                outcomes[i] = _filed(mapped[i], one)
            write(conn)

        if standard in PRELOADING:
            # Pre-loading filings (ICS2) go to the pre-loading service, which assesses each at once
            # and keeps it beside the message in one transaction; a refiling is refused alone.
            self._preloading.file_many(operator_id, [r for _, _, r in submissions], now=at, also=keep_filed)
        else:
            self._submit(submissions, now=at, also=keep)
        metrics.count_message(standard, [o.status for o in outcomes if o is not None])
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

    def responses(self, message_id: str, *, only: str | None = None) -> list[Response] | None:
        """The answers the message's family expects, from what became of each record now (None: no
        such message). ``only``: answer for that record alone (the per-consignment view)."""
        found = self.read(message_id)
        if found is None:
            return None
        records = found.records if only is None else [o for o in found.records if o.id == only]
        return answers(
            self.engine,
            self._preloading,
            message_id=found.id,
            standard=found.standard,
            operator_id=found.operator_id,
            received_at=found.received_at,
            body=found.body,
            records=records,
        )

    def kept_for(self, record_ids: Sequence[str]) -> list[dict[str, Any]]:
        """The kept messages that carried these records, oldest first (the officer's page)."""
        return kept_for(self.engine, record_ids)

    def responses_for(self, record_id: str, operator_id: str | None) -> list[tuple[str, Response]] | None:
        """Every answer about one record (a consignment, a filing), with the message each answers,
        oldest first; ``operator_id``: only that operator's messages (None: customs reads all).
        None when no such message carried the record."""
        found: list[tuple[str, Response]] = []
        kept = messages_of(self.engine, record_id, operator_id)
        for message_id in kept:
            found += [(message_id, r) for r in self.responses(message_id, only=record_id) or []]
        return found if kept else None


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


def _filed(one: Mapped, filed: Filed) -> RecordOutcome:
    """What a pre-loading filing became: filed, its answer as its state; or refused as a refiling."""
    outcome = RecordOutcome(position=one.index, message_type=one.message_type, status="accepted", kind=one.kind,
                            message_ref=one.message_id)  # fmt: skip
    if isinstance(filed, Conflict):
        outcome.status = "conflict"
        outcome.errors = [ErrorView(where=one.where_of(""), detail=str(filed))]
    else:
        outcome.id, outcome.reference, outcome.state = filed["id"], filed["reference"], filed["answer"]
    return outcome


def outcomes_of(result_json: str) -> Sequence[RecordOutcome]:
    return msgspec.json.decode(result_json, type=list[RecordOutcome])
