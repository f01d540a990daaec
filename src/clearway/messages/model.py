"""What an adapter answers for each message of a batch: a canonical record or the reasons it has none."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any, Literal, Protocol

Standard = Literal["upu-itmatt", "upu-cusitm", "eu-h7", "eu-ics2", "cn-ceb"]
STANDARDS: tuple[Standard, ...] = ("upu-itmatt", "upu-cusitm", "eu-h7", "eu-ics2", "cn-ceb")
# What a message becomes: one of the records the JSON API takes, or a pre-loading filing.
RecordKind = Literal["consignment", "order", "payment", "waybill", "preloading"]
Action = Literal["new", "change", "delete"]


@dataclasses.dataclass(frozen=True, slots=True)
class MessageError:
    """One problem with a message.

    ``where`` names the place in the message's own terms (``/ceb:CEB311Message/ceb:Order[1]/...``, or
    ``segment 7 MOA, element 1``); ``pointer`` is the canonical field it maps to (RFC 6901), "" when
    it maps to none (a missing envelope, a wrong root).
    """

    where: str
    detail: str
    pointer: str = ""


@dataclasses.dataclass(frozen=True, slots=True)
class Mapped:
    """One message (or one record of a message that carries several) after mapping.

    ``record`` is the canonical JSON object (as ``POST /v1/{kind}s`` takes it) when the message could
    be mapped; ``origins`` says where each canonical field came from, so that an error the canonical
    checks find later still names the element at fault.
    """

    index: int  # 1-based position in the batch
    message_type: str  # "CEB311", "ITMATT", "H7"...
    kind: RecordKind | None
    message_id: str | None  # the message's own identifier (a guid, an item id, an LRN)
    record: dict[str, Any] | None
    origins: Mapping[str, str]
    errors: tuple[MessageError, ...]
    # The operator the message names as its sender (a platform's ebpCode, a carrier's code): the
    # application checks it against the caller, so that nobody files in another's name.
    sender: str | None = None
    # What the record asks of a declaration: filed anew, or a change to or the withdrawal of one the
    # sender filed before under the same reference (China's appType 2 and 3 on an inventory).
    action: Action = "new"

    @property
    def ok(self) -> bool:
        return self.record is not None and not self.errors

    def where_of(self, pointer: str) -> str:
        """The element a canonical field came from: the longest mapped prefix of ``pointer``."""
        probe = pointer
        while True:
            if probe in self.origins:
                return self.origins[probe]
            if not probe:
                return ""
            probe = probe.rsplit("/", 1)[0]


@dataclasses.dataclass(frozen=True, slots=True)
class Response:
    """A message a family answers with (a CEB622, a CUSRSP...), generated from the current outcome."""

    message_type: str
    media_type: str
    body: bytes
    charset: str = "utf-8"  # how ``body`` is encoded (a UNOC interchange is ISO 8859-1)

    @property
    def text(self) -> str:
        return self.body.decode(self.charset)


@dataclasses.dataclass(frozen=True, slots=True)
class RecordState:
    """What became of one record of a kept message, as its family's answers need it.

    ``status`` is the declaration's lifecycle state (``clearance.lifecycle.State``), "stored" for a
    document, "rejected" for a record refused before it was stored, or a pre-loading filing's answer
    (``risk.preloading.Answer``: "assessment_complete", "request_for_information"...).
    """

    status: str
    at: dt.datetime  # when it came to be: the state's time, or when the message was received
    hold_reason: str | None = None
    errors: tuple[MessageError, ...] = ()
    number: str | None = None  # Clearway's id for the record (the consignment's, the filing's)
    duties: tuple[Decimal, str] | None = None  # the total due before delivery and its currency
    reasons: tuple[str, ...] = ()  # why, in words the sender may read (a referral's reasons)
    due_at: dt.datetime | None = None  # an open referral's deadline
    received_at: dt.datetime | None = None  # when the message carrying it was received (accepted)

    @property
    def key(self) -> str:
        """What changes the answer: asking again for the same key gives the same response id."""
        return f"{self.status}:{self.hold_reason or ''}:{self.duties or ''}"


class Responder(Protocol):
    """A family's answers to a kept message: the response messages from each record's state (None
    where there is nothing to answer), in the message's record order. ``guid`` names the answer: the
    same outcomes give the same guid, so asking twice is not a new answer. ``message_id`` is the
    kept message's id at Clearway: what stays the same however and whenever it is asked (an MRN, a
    control reference are derived from it)."""

    def __call__(
        self,
        mapped: Sequence[Mapped],
        original: bytes,
        states: Sequence[RecordState | None],
        *,
        guid: str,
        message_id: str,
    ) -> list[Response]: ...


class Adapter(Protocol):
    """Reads one standard: a body (one message or a batch of them) in, one result per message out."""

    standard: Standard
    media_types: tuple[str, ...]

    def parse(self, data: bytes) -> list[Mapped]: ...
