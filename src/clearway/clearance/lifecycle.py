"""The consignment lifecycle as an explicit state machine.

    received -> awaiting_documents -> assessed -> released
                                             \\-> held (request for information | inspection | do not load)
                                                  -> inspected (outcome) -> released | seized | returned

A consignment can be amended (a new version) or cancelled by its declarant only while customs has
not taken it into control: once it is selected for examination, held or examined by an officer,
found incorrect, or released, the declaration is what customs controls and the declarant cannot
change or withdraw it (Union Customs Code Art. 173(2) and 174(1); the same rule holds in the other
jurisdictions' customs codes). The control is attached to the consignment, not to a version, and
only an officer's decision ends it. An amendment sends a consignment back to ``received`` so that it
is linked and assessed again. Every transition is stored with its time, actor and reason.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

import msgspec


class State(StrEnum):
    RECEIVED = "received"
    AWAITING_DOCUMENTS = "awaiting_documents"
    ASSESSED = "assessed"
    HELD = "held"
    INSPECTED = "inspected"
    RELEASED = "released"
    SEIZED = "seized"
    RETURNED = "returned"
    CANCELLED = "cancelled"


class HoldReason(StrEnum):
    REQUEST_FOR_INFORMATION = "request_for_information"
    INSPECTION = "inspection"
    DO_NOT_LOAD = "do_not_load"


class Control(StrEnum):
    """Why a consignment is in customs' hands (``ConsignmentState.control``)."""

    # The risk engine chose it for examination (red lane) or not to be loaded.
    SELECTED = "selected"
    # An officer held it for examination (or not to be loaded), or examined it.
    OFFICER = "officer"
    # An officer asked the declarant for information: the declarant may answer with an amendment
    # (no examination has been announced), but the answer goes back to the officer, who decides;
    # it is never assessed and released by the engine alone.
    REQUESTED = "requested"


# Holds that put a consignment under control by themselves: customs has said it will examine the
# goods (or that they must not be loaded). A request for information raised by the engine (missing
# documents, a vague description) is answered by an amendment, so it does not.
CONTROLLING_HOLDS = frozenset({HoldReason.INSPECTION, HoldReason.DO_NOT_LOAD})

FINAL_STATES = frozenset({State.RELEASED, State.SEIZED, State.RETURNED, State.CANCELLED})

_ALLOWED: dict[State, frozenset[State]] = {
    State.RECEIVED: frozenset({State.AWAITING_DOCUMENTS, State.ASSESSED, State.CANCELLED}),
    State.AWAITING_DOCUMENTS: frozenset({State.ASSESSED, State.HELD, State.RECEIVED, State.CANCELLED}),
    State.ASSESSED: frozenset({State.RELEASED, State.HELD, State.RECEIVED, State.CANCELLED}),
    # A held consignment is released when the operator's answer to a request for information
    # satisfies the officer, or inspected; an amendment answers a request for information. A hold
    # may be restated (an officer turning a request for information into an examination, or the
    # declarant's answer to an officer's request, which stays with the officer).
    State.HELD: frozenset({State.HELD, State.INSPECTED, State.RELEASED, State.RECEIVED, State.CANCELLED}),
    State.INSPECTED: frozenset({State.RELEASED, State.SEIZED, State.RETURNED}),
    State.RELEASED: frozenset(),
    State.SEIZED: frozenset(),
    State.RETURNED: frozenset(),
    State.CANCELLED: frozenset(),
}

# States in which the declarant may still send a new version of its declaration (when no control is
# set: see ``declarant_may_change``).
AMENDABLE = frozenset({State.RECEIVED, State.AWAITING_DOCUMENTS, State.ASSESSED, State.HELD})

# Legal references for refusing a declarant's change, by what customs has done.
_REFUSAL = {
    Control.SELECTED: "customs has selected the consignment for examination",
    Control.OFFICER: "an officer holds the consignment for examination",
}
AMENDMENT_LAW = "Union Customs Code (Regulation (EU) No 952/2013) Art. 173(2)"
INVALIDATION_LAW = "Union Customs Code (Regulation (EU) No 952/2013) Art. 174(1)"


def declarant_may_change(state: State, control: Control | str | None, *, cancel: bool = False) -> str | None:
    """None when the declarant may amend (or, with ``cancel``, withdraw) its declaration; otherwise
    why not, in a sentence for people. An officer's request for information is answered by an
    amendment, but the consignment is the officer's to decide: it cannot be withdrawn meanwhile."""
    if cancel and control == Control.REQUESTED:
        return "an officer has asked for information and decides on the consignment"
    if control is not None and control != Control.REQUESTED:
        return _REFUSAL.get(Control(control), "the consignment is under customs control")
    if state in FINAL_STATES:
        return f"the consignment is {state.value}"
    if state is State.INSPECTED:
        return "customs has examined the goods"
    return None


class IllegalTransition(Exception):
    """A transition the lifecycle does not allow (e.g. cancelling a released consignment)."""

    def __init__(self, current: State, target: State) -> None:
        allowed = ", ".join(sorted(_ALLOWED[current])) or "none (final state)"
        super().__init__(f"cannot move a consignment from '{current}' to '{target}'; allowed: {allowed}")
        self.current = current
        self.target = target


class Transition(msgspec.Struct, frozen=True, kw_only=True):
    """One stored step of a consignment's history."""

    at: dt.datetime
    actor: str
    from_state: State | None
    to_state: State
    reason: str
    hold_reason: HoldReason | None = None


def can_move(current: State, target: State) -> bool:
    return target in _ALLOWED[current]


def move(
    current: State | None,
    target: State,
    *,
    at: dt.datetime,
    actor: str,
    reason: str,
    hold_reason: HoldReason | None = None,
) -> Transition:
    """Check and describe one transition; ``current`` is None only when a consignment is created."""
    if current is None:
        if target is not State.RECEIVED:
            raise IllegalTransition(State.RECEIVED, target)
    elif not can_move(current, target):
        raise IllegalTransition(current, target)
    if (target is State.HELD) != (hold_reason is not None):
        raise ValueError("a hold needs a hold reason, and only a hold has one")
    return Transition(at=at, actor=actor, from_state=current, to_state=target, reason=reason, hold_reason=hold_reason)
