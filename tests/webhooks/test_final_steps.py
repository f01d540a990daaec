"""An examination that ends in a seizure or a return to the sender is notified, as the operator's view
says it (the state and what follows for the declarant), never the officer's reason or finding."""

from __future__ import annotations

import msgspec
import pytest

from clearway.app.platform import Clearway
from clearway.clearance.instructions import requested
from clearway.clearance.lifecycle import HoldReason, State
from tests.webhooks.conftest import ALL_EVENTS, Clock, Receiver, declare, deliver_all, subscribe

OFFICER = "person:officer-1"


def _examined(service: Clearway, reference: str) -> str:
    cid = declare(service, reference, documents=False)  # awaiting documents: nothing to tell yet
    service.control(cid, State.HELD, actor=OFFICER, reason="Peter Miller tipped us", hold_reason=HoldReason.INSPECTION)
    service.control(cid, State.INSPECTED, actor=OFFICER, reason="opening the parcel")
    return cid


@pytest.mark.parametrize(
    ("target", "kind", "code"),
    [
        (State.SEIZED, "consignment.seized", "goods_seized"),
        (State.RETURNED, "consignment.returned", "return_goods"),
    ],
)
def test_a_seizure_and_a_return_are_events_of_their_own(
    service: Clearway, receiver: Receiver, clock: Clock, target: State, kind: str, code: str
) -> None:
    _, secret = subscribe(service, receiver.url)
    cid = _examined(service, f"MSG-{target.value}")
    service.control(cid, target, actor=OFFICER, reason="counterfeit watch, Anna Schmidt's invoice false")
    deliverer = service.webhooks.deliverer()
    deliver_all(service, clock, deliverer)
    deliverer.close()
    events = [r.verify(secret) for r in receiver.requests]
    assert [e["type"] for e in events] == ["consignment.held", kind]
    final = events[-1]["data"]
    assert final == {
        "id": cid,
        "reference": f"MSG-{target.value}",
        "version": 1,
        "state": target.value,
        "requested": [final["requested"][0]],
    }
    assert final["requested"][0]["code"] == code
    # What the operator's own view of the consignment says (api/views.py asks the same function).
    assert final["requested"] == msgspec.to_builtins(requested(target, None))
    view = service.dossier("op-courier-1", cid)
    assert view is not None and view.consignment.status.state is target
    text = b" ".join(r.body for r in receiver.requests).decode()
    for hidden in ("counterfeit", "Anna", "Peter", "invoice", "opening", OFFICER):
        assert hidden not in text


def test_a_subscription_to_seizures_only_hears_of_nothing_else_and_a_cancellation_is_no_event(
    service: Clearway, receiver: Receiver, clock: Clock
) -> None:
    subscribe(service, receiver.url, ("consignment.seized",))
    released = declare(service, "MSG-FINE")
    returned = _examined(service, "MSG-BACK")
    service.control(returned, State.RETURNED, actor=OFFICER, reason="wrong address")
    cancelled = declare(service, "MSG-WITHDRAWN", documents=False)
    service.cancel("op-courier-1", cancelled, "sent twice")
    seized = _examined(service, "MSG-TAKEN")
    service.control(seized, State.SEIZED, actor=OFFICER, reason="prohibited")
    deliverer = service.webhooks.deliverer()
    deliver_all(service, clock, deliverer)
    deliverer.close()
    assert [r.event["data"]["id"] for r in receiver.requests] == [seized]
    assert released not in {r.event["data"]["id"] for r in receiver.requests}
    assert "consignment.cancelled" not in ALL_EVENTS
