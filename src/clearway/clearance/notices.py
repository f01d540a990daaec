"""What an operator is notified of (signed webhooks), and what each notification says.

A notice is built only for an operator with a subscription that wants its type (the store is asked
once per batch, clearance.changes), and says what the operator's own view of the consignment says
(api/views.py): where it stands and what the operator must do, never how customs chose it (no lane,
score, rule name or random selection, no officer's or engine's free text) and no personal data
beyond what the operator itself sent. The body follows the Standard Webhooks payload structure:
``{"type", "timestamp", "data"}``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any, Literal, get_args

import msgspec

from clearway.clearance.decision import Decision
from clearway.clearance.instructions import Instruction, duties_due, requested
from clearway.clearance.lifecycle import HoldReason, State, Transition
from clearway.clearance.linking import LinkResult
from clearway.clearance.model import StoredConsignment, new_id
from clearway.revenue.model import Assessment

EventType = Literal[
    # The pipeline's decision on a declaration (each version assessed): released or held, and what to do.
    "consignment.decided",
    # Customs holds the goods: for examination, or not to be loaded.
    "consignment.held",
    # Customs asks for information (a hold the declarant answers by amending or sending documents).
    "consignment.information_requested",
    # Released, by the pipeline or by an officer.
    "consignment.released",
    # An examination's result is recorded (whether a discrepancy was found; never the officer's note).
    "consignment.inspection_outcome",
    # Duties and taxes are due (the assessed total, above zero).
    "consignment.duties_due",
    # After an examination, customs seizes the goods (they will not be delivered), or has them
    # returned to the sender. Both end the consignment. A cancellation has no event: only the
    # declarant cancels, and it is told so in the answer to its own request.
    "consignment.seized",
    "consignment.returned",
    # A standard message's responses (receipts, status messages) are ready to fetch (for_message).
    "message.response_ready",
]
EVENT_TYPES: tuple[str, ...] = get_args(EventType)
RESPONSE_READY = "message.response_ready"

# Subscriptions of an operator: (subscription id, the event types it wants).
Subscribers = Mapping[str, Sequence[tuple[str, frozenset[str]]]]

_ENCODER = msgspec.json.Encoder(decimal_format="string")


class Notice(msgspec.Struct, kw_only=True, frozen=True):
    """One event for one operator, with the subscriptions it goes to."""

    id: str
    operator_id: str
    type: str
    subject: str
    at: dt.datetime
    data: dict[str, Any]
    subscriptions: tuple[str, ...]

    def payload(self) -> bytes:
        """The body every try sends: the Standard Webhooks structure, the time in UTC with a Z."""
        timestamp = self.at.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
        return _ENCODER.encode({"type": self.type, "timestamp": timestamp, "data": self.data})


def _wanting(subscribers: Subscribers, operator_id: str, kind: str) -> tuple[str, ...]:
    return tuple(sid for sid, types in subscribers.get(operator_id, ()) if kind in types)


def _head(row: StoredConsignment, state: State, hold: HoldReason | None) -> dict[str, Any]:
    head: dict[str, Any] = {"id": row.id, "reference": row.reference, "version": row.version, "state": state.value}
    if hold is not None:
        head["hold_reason"] = hold.value
    return head


def _steps(found: Sequence[Instruction]) -> list[Any]:
    return [msgspec.to_builtins(i) for i in found]


def notice(
    subscribers: Subscribers, operator_id: str, kind: str, subject: str, at: dt.datetime, data: dict[str, Any]
) -> Notice | None:
    """A notice of ``kind`` for the operator's subscriptions that want it (None: none does)."""
    wanting = _wanting(subscribers, operator_id, kind)
    if not wanting:
        return None
    return Notice(
        id=new_id(), operator_id=operator_id, type=kind, subject=subject, at=at, data=data, subscriptions=wanting
    )


# The states that end a consignment by customs' decision, each its own event.
_FINAL_EVENTS = {
    State.RELEASED: "consignment.released",
    State.SEIZED: "consignment.seized",
    State.RETURNED: "consignment.returned",
}


def step_kind(step: Transition, previous_hold: HoldReason | None) -> str | None:
    """The event a state change is, if any: a release, a seizure, a return to the sender, or a hold
    that is new to the declarant (a request for information restated while the declarant answers
    it tells it nothing new)."""
    final = _FINAL_EVENTS.get(step.to_state)
    if final is not None:
        return final
    if step.to_state is not State.HELD:
        return None
    if step.from_state is State.HELD and previous_hold is step.hold_reason:
        return None
    if step.hold_reason is HoldReason.REQUEST_FOR_INFORMATION:
        return "consignment.information_requested"
    return "consignment.held"


def for_step(subscribers: Subscribers, row: StoredConsignment, step: Transition, kind: str) -> Notice | None:
    """A state change as the operator's view says it: the state, the hold, and what to do now
    (present the goods, answer a request; know that the goods are seized, or return them). The
    officer's reason for the step stays with customs."""
    data = _head(row, step.to_state, step.hold_reason)
    if step.to_state is not State.RELEASED:
        data["requested"] = _steps(requested(step.to_state, step.hold_reason))
    return notice(subscribers, row.operator_id, kind, row.id, step.at, data)


def for_decision(
    subscribers: Subscribers,
    row: StoredConsignment,
    decision: Decision,
    link: LinkResult,
    assessment: Assessment | None,
    state: State,
    hold: HoldReason | None,
) -> list[Notice]:
    """The decision (released or held, and what to do), and the duties due when there are some."""
    found: list[Notice] = []
    data = _head(row, state, hold)
    data["outcome"] = "released" if state is State.RELEASED else "held"
    data["link_status"] = link.status
    asked = requested(state, hold, link=link, decision=decision, assessment=assessment)
    data["requested"] = _steps(asked)
    decided = notice(subscribers, row.operator_id, "consignment.decided", row.id, decision.decided_at, data)
    if decided is not None:
        found.append(decided)
    due = duties_due(assessment, state)
    if due is not None and assessment is not None:
        duties = {
            "currency": assessment.currency,
            "duty": assessment.duty,
            "tax": assessment.tax,
            "fees": assessment.fees,
            "total": assessment.total,
            "collection_model": assessment.collection_model,
        }
        data = _head(row, state, hold) | {"duties": duties, "requested": _steps([due])}
        owed = notice(subscribers, row.operator_id, "consignment.duties_due", row.id, decision.decided_at, data)
        if owed is not None:
            found.append(owed)
    return found


# An examination's result as the declarant is told it: whether customs found a discrepancy. The kind
# of finding (undervalued, counterfeit, prohibited...) and the officer's note stay with customs: a
# finding may lead to proceedings in which customs informs the declarant formally.
def for_outcome(subscribers: Subscribers, row: StoredConsignment, outcome: str, at: dt.datetime) -> Notice | None:
    state = row.status.state
    data = _head(row, state, row.status.hold_reason)
    data["result"] = "no_discrepancy" if outcome == "compliant" else "discrepancy_found"
    data["requested"] = _steps(requested(state, row.status.hold_reason))
    return notice(subscribers, row.operator_id, "consignment.inspection_outcome", row.id, at, data)


# A message's responses are fetched, not pushed: the event names the message and where to read them,
# so that the body a receiver must verify stays small and carries no declaration data.
def for_message(
    subscribers: Subscribers, operator_id: str, message_id: str, standard: str, at: dt.datetime
) -> Notice | None:
    """``message.response_ready`` for the operator that sent message ``message_id`` of ``standard``
    (None: no subscription of the operator wants it)."""
    data = {"id": message_id, "standard": standard, "responses": f"/v1/messages/{message_id}/responses"}
    return notice(subscribers, operator_id, "message.response_ready", message_id, at, data)


__all__ = [
    "EVENT_TYPES",
    "EventType",
    "Notice",
    "Subscribers",
    "for_decision",
    "for_message",
    "for_outcome",
    "for_step",
    "notice",
    "step_kind",
]
