"""Records from a stream as the application takes them: what one is, who sent it, what became of it.

A stream record's key is the id of the operator that sent it (the topic is partitioned by operator,
so one operator's records keep their order). A header says what the value is: ``clearway-kind``
(consignment, order, payment, waybill) for a canonical JSON record, as `clearway ingest` and the API
take it; ``clearway-standard`` (eu-h7, cn-ceb, upu-itmatt...) for a standard message, as
``POST /v1/messages/{standard}`` takes it. Nothing here knows the broker: the worker's adapter
(workers/kafka.py) turns the client's messages into ``Incoming`` and sends ``Outgoing`` back.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, Literal

import msgspec

from clearway.app.messages import RecordOutcome
from clearway.dataset.decode import RecordDecoder
from clearway.dataset.errors import FieldError
from clearway.dataset.records import Consignment, Order, Payment, Waybill
from clearway.messages import xml_safe
from clearway.messages.registry import adapter_for

KIND_HEADER = "clearway-kind"
STANDARD_HEADER = "clearway-standard"
MEDIA_HEADER = "content-type"
# On a result and a dead letter: the input's topic/partition/offset, so that a producer can match them.
SOURCE_HEADER = "clearway-source"
# On a dead letter: why it was refused (JSON list of {pointer, detail}) and at which step.
ERROR_HEADER = "clearway-error"
STAGE_HEADER = "clearway-error-stage"

DECODERS: dict[str, RecordDecoder[Any]] = {
    "consignment": RecordDecoder(Consignment),
    "order": RecordDecoder(Order),
    "payment": RecordDecoder(Payment),
    "waybill": RecordDecoder(Waybill),
}
# An operator id is a 64-character column (store.tables.OPERATOR).
MAX_OPERATOR = 64
# Canonical records and messages alike: no single record is larger than the API takes a message.
MAX_VALUE = xml_safe.MAX_BYTES

Status = Literal["accepted", "duplicate", "conflict", "rejected"]
Stage = Literal["key", "header", "decode", "operator", "pipeline"]


@dataclasses.dataclass(frozen=True, slots=True)
class Incoming:
    """One record as the broker delivered it."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: Mapping[str, bytes]
    timestamp_ms: int | None = None

    @property
    def source(self) -> str:
        return f"{self.topic}/{self.partition}/{self.offset}"


@dataclasses.dataclass(frozen=True, slots=True)
class Outgoing:
    """One record to send: to the results topic or the dead-letter topic."""

    key: bytes | None
    value: bytes
    headers: list[tuple[str, bytes]]


class Source(msgspec.Struct, kw_only=True):
    topic: str
    partition: int
    offset: int
    timestamp_ms: int | None = None


class StreamResult(msgspec.Struct, kw_only=True, omit_defaults=True):
    """What became of one stream record: the value of its result on the results topic.

    A canonical record: its status as the API gives it, with the consignment's or document's id and
    the consignment's state. A standard message: its status (``duplicate`` when these very bytes came
    from this operator before), the kept message's id and one outcome per record it carried.
    """

    status: Status
    source: Source
    operator: str | None = None
    kind: str | None = None  # consignment, order, payment, waybill; or the message's standard
    reference: str | None = None
    id: str | None = None
    state: str | None = None
    version: int | None = None
    message_id: str | None = None
    records: list[RecordOutcome] = msgspec.field(default_factory=list)
    errors: list[FieldError] = msgspec.field(default_factory=list)
    dead_lettered: bool = False


@dataclasses.dataclass(frozen=True, slots=True)
class Canonical:
    kind: str
    operator: str
    record: Any


@dataclasses.dataclass(frozen=True, slots=True)
class Message:
    standard: str
    operator: str
    body: bytes
    media_type: str


@dataclasses.dataclass(frozen=True, slots=True)
class Refusal:
    """A record the worker cannot hand to any service: it goes to the dead-letter topic."""

    stage: Stage
    errors: list[FieldError]
    operator: str | None = None
    kind: str | None = None


def source_of(incoming: Incoming) -> Source:
    return Source(
        topic=incoming.topic, partition=incoming.partition, offset=incoming.offset, timestamp_ms=incoming.timestamp_ms
    )


def operator_of(incoming: Incoming) -> str | Refusal:
    """The operator a record's key names (registration is checked against the store, per batch)."""
    try:
        operator = (incoming.key or b"").decode()
    except UnicodeDecodeError:
        return Refusal("key", [FieldError("", "the record's key (its operator id) is not UTF-8")])
    if not operator or len(operator) > MAX_OPERATOR or operator != operator.strip():
        return Refusal("key", [FieldError("", f"the record's key must be its operator's id, not {operator!r}")])
    return operator


def read(incoming: Incoming) -> Canonical | Message | Refusal:
    """What a record is, decoded and checked as far as it can be without the store."""
    operator = operator_of(incoming)
    if isinstance(operator, Refusal):
        return operator
    kind = _header(incoming, KIND_HEADER)
    standard = _header(incoming, STANDARD_HEADER)
    value = incoming.value or b""
    if len(value) > MAX_VALUE:
        return Refusal("decode", [FieldError("", f"the record is larger than {MAX_VALUE} bytes")], operator, kind)
    if standard is not None and kind is None:
        if adapter_for(standard) is None:
            detail = f"no adapter for the standard {standard!r}"
            return Refusal("header", [FieldError("", detail)], operator, standard)
        media = _header(incoming, MEDIA_HEADER) or "application/octet-stream"
        return Message(standard, operator, value, media.split(";", 1)[0].strip().lower())
    if kind not in DECODERS:
        detail = (
            f"a record names what it is in one header: {KIND_HEADER} (one of {', '.join(DECODERS)}) "
            f"or {STANDARD_HEADER} (a message standard); this one has {KIND_HEADER}={kind!r}, "
            f"{STANDARD_HEADER}={standard!r}"
        )
        return Refusal("header", [FieldError("", detail)], operator, kind)
    record, errors = DECODERS[kind].decode(value)
    if record is None:
        return Refusal("decode", errors, operator, kind)
    claim = _claimed_operator(record)
    if claim is not None and claim != operator:
        # Nobody files in another's name (as app.messages refuses a message whose sender is not the
        # caller): the key is who sent it, and the record must not say it is someone else's.
        detail = f"the record names {claim!r} as its declarant, but it came keyed as operator {operator!r}"
        return Refusal("operator", [FieldError("/parties/declarant/operator_id", detail)], operator, kind)
    return Canonical(kind, operator, record)


def _claimed_operator(record: Any) -> str | None:
    if not isinstance(record, Consignment) or record.parties.declarant is None:
        return None
    return record.parties.declarant.operator_id


def _header(incoming: Incoming, name: str) -> str | None:
    raw = incoming.headers.get(name)
    if raw is None:
        return None
    try:
        return raw.decode().strip()
    except UnicodeDecodeError:
        return "(not UTF-8)"


_ENCODER = msgspec.json.Encoder()


def result_record(incoming: Incoming, result: StreamResult) -> Outgoing:
    """The result, keyed like the input, with the input's position in a header."""
    headers = [(SOURCE_HEADER, incoming.source.encode())]
    headers += [(name, incoming.headers[name]) for name in (KIND_HEADER, STANDARD_HEADER) if name in incoming.headers]
    return Outgoing(incoming.key, _ENCODER.encode(result), headers)


def dead_letter(incoming: Incoming, stage: str, errors: list[FieldError]) -> Outgoing:
    """The input as it came (key, value and headers untouched, so it can be sent again once mended),
    with why it was refused in headers."""
    headers = [(k, v) for k, v in incoming.headers.items() if k not in (SOURCE_HEADER, ERROR_HEADER, STAGE_HEADER)]
    headers += [
        (SOURCE_HEADER, incoming.source.encode()),
        (STAGE_HEADER, stage.encode()),
        (ERROR_HEADER, _ENCODER.encode(errors[:50])),
    ]
    return Outgoing(incoming.key, incoming.value or b"", headers)
