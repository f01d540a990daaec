"""Which state changes are events, and what the message event says: no database, no network."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from clearway.clearance import notices
from clearway.clearance.lifecycle import HoldReason, State, move

NOW = dt.datetime(2026, 12, 7, 9, 0, tzinfo=dt.UTC)
EVERYTHING = frozenset(notices.EVENT_TYPES)


@pytest.mark.parametrize(
    ("start", "target", "hold", "kind"),
    [
        (State.INSPECTED, State.RELEASED, None, "consignment.released"),
        (State.INSPECTED, State.SEIZED, None, "consignment.seized"),
        (State.INSPECTED, State.RETURNED, None, "consignment.returned"),
        (State.ASSESSED, State.HELD, HoldReason.INSPECTION, "consignment.held"),
        (State.ASSESSED, State.HELD, HoldReason.REQUEST_FOR_INFORMATION, "consignment.information_requested"),
        # The declarant withdrew it itself: nothing to tell it.
        (State.ASSESSED, State.CANCELLED, None, None),
        (State.HELD, State.INSPECTED, None, None),
        (State.RECEIVED, State.ASSESSED, None, None),
    ],
)
def test_which_steps_are_events(start: State, target: State, hold: HoldReason | None, kind: str | None) -> None:
    step = move(start, target, at=NOW, actor="person:officer-1", reason="why", hold_reason=hold)
    assert notices.step_kind(step, None) == kind
    assert kind is None or kind in notices.EVENT_TYPES


def test_a_message_event_names_the_message_and_where_its_responses_are() -> None:
    subscribers = {"op-post-1": [("sub-1", EVERYTHING), ("sub-2", frozenset({"consignment.released"}))]}
    found = notices.for_message(subscribers, "op-post-1", "m" * 32, "upu-itmatt", NOW)
    assert found is not None
    assert found.type == "message.response_ready" and found.subject == "m" * 32
    assert found.subscriptions == ("sub-1",)  # only the subscription that asked for it
    body = json.loads(found.payload())
    assert body == {
        "type": "message.response_ready",
        "timestamp": "2026-12-07T09:00:00Z",
        "data": {"id": "m" * 32, "standard": "upu-itmatt", "responses": f"/v1/messages/{'m' * 32}/responses"},
    }


def test_no_message_event_for_an_operator_that_did_not_ask_nor_for_another_operator() -> None:
    subscribers = {"op-post-1": [("sub-1", frozenset({"consignment.released"}))]}
    assert notices.for_message(subscribers, "op-post-1", "m" * 32, "upu-itmatt", NOW) is None
    assert notices.for_message(subscribers, "op-post-2", "m" * 32, "upu-itmatt", NOW) is None
