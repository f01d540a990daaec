from __future__ import annotations

import datetime as dt
from itertools import pairwise

import pytest

from clearway.clearance.lifecycle import (
    AMENDABLE,
    FINAL_STATES,
    HoldReason,
    IllegalTransition,
    State,
    can_move,
    move,
)

NOW = dt.datetime(2026, 11, 22, 12, 0, tzinfo=dt.UTC)

HAPPY_PATHS = [
    [State.RECEIVED, State.AWAITING_DOCUMENTS, State.ASSESSED, State.RELEASED],
    [State.RECEIVED, State.ASSESSED, State.HELD, State.INSPECTED, State.RELEASED],
    [State.RECEIVED, State.ASSESSED, State.HELD, State.INSPECTED, State.SEIZED],
    [State.RECEIVED, State.ASSESSED, State.HELD, State.INSPECTED, State.RETURNED],
    [State.RECEIVED, State.AWAITING_DOCUMENTS, State.HELD, State.RELEASED],
]


@pytest.mark.parametrize("path", HAPPY_PATHS)
def test_paths_of_the_issue_are_allowed(path: list[State]) -> None:
    for current, target in pairwise(path):
        assert can_move(current, target), (current, target)


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (State.RECEIVED, State.RELEASED),  # never released unassessed
        (State.AWAITING_DOCUMENTS, State.RELEASED),
        (State.RELEASED, State.CANCELLED),
        (State.INSPECTED, State.CANCELLED),  # once inspected, only an outcome ends it
        (State.SEIZED, State.RELEASED),
        (State.ASSESSED, State.INSPECTED),  # inspection needs a hold first
    ],
)
def test_forbidden_transitions(current: State, target: State) -> None:
    assert not can_move(current, target)
    with pytest.raises(IllegalTransition, match=f"from '{current}' to '{target}'"):
        move(
            current,
            target,
            at=NOW,
            actor="test",
            reason="r",
            hold_reason=HoldReason.INSPECTION if target is State.HELD else None,
        )


def test_final_states_have_no_way_out() -> None:
    for final in FINAL_STATES:
        assert all(not can_move(final, target) for target in State)
    assert not AMENDABLE & FINAL_STATES


def test_creation_is_only_into_received() -> None:
    step = move(None, State.RECEIVED, at=NOW, actor="operator:x", reason="declaration received")
    assert step.from_state is None and step.to_state is State.RECEIVED and step.actor == "operator:x"
    with pytest.raises(IllegalTransition):
        move(None, State.RELEASED, at=NOW, actor="x", reason="r")


def test_a_hold_needs_its_reason_and_only_a_hold_has_one() -> None:
    with pytest.raises(ValueError, match="hold reason"):
        move(State.ASSESSED, State.HELD, at=NOW, actor="x", reason="r")
    with pytest.raises(ValueError, match="hold reason"):
        move(State.ASSESSED, State.RELEASED, at=NOW, actor="x", reason="r", hold_reason=HoldReason.INSPECTION)
    step = move(State.ASSESSED, State.HELD, at=NOW, actor="x", reason="r", hold_reason=HoldReason.DO_NOT_LOAD)
    assert step.hold_reason is HoldReason.DO_NOT_LOAD
