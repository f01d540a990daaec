"""The UPU's answers to a kept ITMATT or CUSITM: one CUSRSP per postal item, from what became of it.

Each item is its own consignment, so each gets its own answer: a post matches a CUSRSP to its item
by the S10 id in BGM. A record refused before it was stored is answered "refused" (code 90) with its
errors; an item the message could not even name (no readable item id) has nothing to be matched
against and gets no answer, its errors stay in the message's result.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from decimal import Decimal

from clearway.clearance.lifecycle import HoldReason, State
from clearway.messages.model import Mapped, RecordState, Response
from clearway.messages.upu.cusrsp import DutiesDue, Situation, build

MEDIA_TYPE = "application/edifact"
MESSAGE_TYPE = "CUSRSP"
SENDER = "CLEARWAY"


def _situation(state: RecordState) -> tuple[Situation, HoldReason | None]:
    if state.status == "rejected":
        return "refused", None
    hold = HoldReason(state.hold_reason) if state.hold_reason else None
    return State(state.status), hold


def control_reference(message_id: str, item_id: str, state: RecordState) -> str:
    """The interchange's control reference (UNB 0020, an..14): the same for the same message, item and
    answer, and different between the items of one message, whose states may share their second
    (a receiver refuses a reference it has seen from the same sender as a duplicate interchange)."""
    digest = hashlib.sha256(f"{message_id}:{item_id}:{state.key}:{state.at.isoformat()}".encode()).hexdigest()
    return digest[:14].upper()


def respond(
    mapped: Sequence[Mapped], original: bytes, states: Sequence[RecordState | None], *, guid: str, message_id: str = ""
) -> list[Response]:
    """One CUSRSP interchange per answered item, in the message's item order. ``original`` and
    ``guid`` are not needed: the item id is in the mapping."""
    del original, guid
    answers: list[Response] = []
    for item, state in zip(mapped, states, strict=True):
        if state is None or not item.message_id:
            continue
        situation, hold = _situation(state)
        duties = None if state.duties is None else DutiesDue(Decimal(state.duties[0]), state.duties[1])
        text = build(
            item.message_id,
            situation,
            "; ".join(state.reasons),
            duties,
            state.at,
            hold=hold,
            errors=state.errors,
            sender=SENDER,
            recipient=item.sender or "POST",
            control=control_reference(message_id, item.message_id, state),
        )
        answers.append(Response(MESSAGE_TYPE, MEDIA_TYPE, text.encode("latin-1", "replace"), "iso-8859-1"))
    return answers
