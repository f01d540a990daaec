"""China's answers to a kept message, from what became of each of its blocks: one receipt message
(CEB312, 412, 512 or 622) answering every block of the declaration, in the block's order."""

from __future__ import annotations

from collections.abc import Sequence

from clearway.clearance.lifecycle import HoldReason, State
from clearway.messages.cn.receipts import RECEIPT_OF, Outcome, build, keys_of
from clearway.messages.model import Mapped, RecordState, Response

MEDIA_TYPE = "application/xml"
PRE_NO_LENGTH = 18  # preNo, the pre-entry number a CEB622 must carry


def outcome(state: RecordState) -> Outcome | None:
    """One block's outcome in the receipts' terms: "stored" or "rejected" for a document, the
    declaration's state otherwise; None for a cancelled declaration (its CEB624 is not written).
    Clearway's number for an inventory (preNo) is the first 18 characters of its consignment id."""
    if state.status == State.CANCELLED:
        return None
    if state.status in ("stored", "rejected"):
        return Outcome(state.status, state.at, errors=state.errors)  # type: ignore[arg-type]
    pre_no = state.number[:PRE_NO_LENGTH].upper() if state.number else None
    hold = HoldReason(state.hold_reason) if state.hold_reason else None
    return Outcome(State(state.status), state.at, hold, state.errors, pre_no=pre_no)


def respond(
    mapped: Sequence[Mapped],
    original: bytes,
    states: Sequence[RecordState | None],
    *,
    guid: str | None = None,
    message_id: str = "",
) -> list[Response]:
    """The receipt for the blocks of ``original`` (``states`` in the same order; None where there
    is nothing to answer, such as a cancelled declaration, answered by a CEB624 Clearway does not
    write). No receipt when the message was not a CEB declaration at all (its root was refused)."""
    outcomes = [None if state is None else outcome(state) for state in states]
    answered = [
        (keys_of(block, original), found)
        for block, found in zip(mapped, outcomes, strict=True)
        if found is not None and block.message_type in RECEIPT_OF
    ]
    if not answered:
        return []
    receipt = RECEIPT_OF[answered[0][0].message_type]
    # ``guid``: the caller derives it from the message and the outcomes, so that asking twice for an
    # unchanged outcome gives the same receipt (a new guid would read as a new receipt).
    return [Response(receipt, MEDIA_TYPE, build(answered, guid=guid))]
