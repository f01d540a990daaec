"""CUSRSP (UPU M44): customs' answer to the post about one item, from the consignment's state.

Built with pydifact on the segments of the UN CUSRES message (BGM, DTM, FTX, GIS, TAX/MOA). The
UPU's decision code list is not public (docs/standards/upu.md), so the decision is coded in
Clearway's own list below, one table from lifecycle state to code; GIS names it as code list
``CWRSP`` of a mutually defined agency (``ZZZ``), so that no receiver takes it for a UN or UPU code.
Each code also names the nearest UN/EDIFACT processing indicator (UNCL 7365) for a receiver that
maps to that list; docs/messages.md prints the table.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Sequence
from decimal import Decimal
from typing import Literal

from pydifact.control.characters import Characters
from pydifact.segmentcollection import Interchange, Message
from pydifact.segments import Segment

from clearway.clearance.lifecycle import HoldReason, State
from clearway.messages.model import MessageError

CODE_LIST = "CWRSP"  # GIS 1131: the code list's name
AGENCY = "ZZZ"  # GIS 3055: mutually defined (UNCL 3055), not the UN's or the UPU's
MESSAGE_TYPE = ("CUSRSP", "D", "96B", "UN")
SYNTAX = ("UNOC", 3)  # ISO 8859-1: the text is encoded as latin-1 by whoever sends it
TEXT_LIMIT = 512  # C108 4440: free text, one component
MAX_ERROR_LINES = 8  # CUSRES allows 9 FTX in its header: the reason and up to 8 errors


@dataclasses.dataclass(frozen=True, slots=True)
class Response:
    code: str
    name: str
    un_7365: str | None  # the nearest UNCL 7365 processing indicator and its name, where one is near
    un_name: str | None


ACCEPTED = Response("10", "accepted, no decision yet", "1", "Message content accepted")
RELEASED = Response("20", "released", "4", "Goods released")
HELD = Response("30", "held for a customs control", "5", "Goods required for examination")
INFORMATION = Response("31", "held: information requested", "6", "All documents or as specified to be produced")
SEIZED = Response("40", "seized", "7", "Goods detained")
RETURNED = Response("50", "returned to the sender", None, None)
CANCELLED = Response("60", "declaration withdrawn by the declarant", None, None)
REFUSED = Response("90", "declaration refused: the record was rejected", "2", "Message content rejected with comment")

Situation = State | Literal["refused"]
# The one table: a lifecycle state (or a record refused before it had one) -> the answer. A hold
# for information is told apart from a hold for control by its reason (see response_for).
RESPONSES: dict[Situation, Response] = {
    State.RECEIVED: ACCEPTED,
    State.AWAITING_DOCUMENTS: ACCEPTED,
    State.ASSESSED: ACCEPTED,
    State.HELD: HELD,
    State.INSPECTED: HELD,
    State.RELEASED: RELEASED,
    State.SEIZED: SEIZED,
    State.RETURNED: RETURNED,
    State.CANCELLED: CANCELLED,
    "refused": REFUSED,
}


@dataclasses.dataclass(frozen=True, slots=True)
class DutiesDue:
    """What the addressee must pay before delivery: duties, taxes and fees together."""

    amount: Decimal
    currency: str


def response_for(state: Situation, hold: HoldReason | None = None) -> Response:
    if state == State.HELD and hold == HoldReason.REQUEST_FOR_INFORMATION:
        return INFORMATION
    return RESPONSES[state]


_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


def _text(value: str) -> str:
    """Text as UNOC can carry it: control characters as spaces, what latin-1 lacks as '?'."""
    return _CONTROL.sub(" ", value).encode("latin-1", "replace").decode("latin-1")[:TEXT_LIMIT]


def _free_text(qualifier: str, parts: Sequence[str]) -> Segment:
    return Segment("FTX", qualifier, "", "", [_text(part) for part in parts])


def build(
    item_id: str,
    state: Situation,
    reason: str,
    duties: DutiesDue | None,
    at: dt.datetime,
    *,
    hold: HoldReason | None = None,
    errors: Sequence[MessageError] = (),
    sender: str = "CLEARWAY",
    recipient: str = "POST",
    control: str | None = None,
) -> str:
    """One interchange holding one CUSRSP message: the item's decision, why, and any duties due.

    ``at`` must carry its offset; the message states it in UTC. The interchange's control reference
    is ``control`` (an..14), by default the time to the second, so the same answer built twice is the
    same text. ``errors`` (a refused record's) go one to an FTX+AAO as where, detail and JSON pointer.
    """
    utc = at.astimezone(dt.UTC)
    response = response_for(state, hold)
    message = Message("1", MESSAGE_TYPE)
    message.add_segment(Segment("BGM", "", _text(item_id), "9"))
    message.add_segment(Segment("DTM", ["137", utc.strftime("%Y%m%d%H%M%S"), "204"]))
    if reason:
        message.add_segment(_free_text("AAI", [reason]))
    shown = errors if len(errors) <= MAX_ERROR_LINES else errors[: MAX_ERROR_LINES - 1]
    for error in shown:
        message.add_segment(_free_text("AAO", [error.where, error.detail, error.pointer]))
    if len(shown) < len(errors):
        message.add_segment(_free_text("AAO", ["", f"and {len(errors) - len(shown)} more errors"]))
    message.add_segment(Segment("GIS", [response.code, CODE_LIST, AGENCY]))
    if duties is not None:
        # SG5: TAX 5283 "2" = total of all duties, taxes and fees of a customs item; MOA 161 = duty/tax/fee amount.
        message.add_segment(Segment("TAX", "2"))
        message.add_segment(Segment("MOA", ["161", format(duties.amount, "f"), duties.currency]))
    interchange = Interchange(
        sender,
        recipient,
        control or utc.strftime("%y%m%d%H%M%S"),
        SYNTAX,
        utc,
        characters=Characters.from_str(":+.? '"),  # pydifact's default advice says ',': ours is '.'
    )
    interchange.has_una_segment = True
    interchange.add_message(message)
    return interchange.serialize()
