"""A suspended operator is not notified: nothing new is written for it, and what it had pending waits,
untried, until it is active again, then goes out in order (docs/webhooks.md)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import sqlalchemy as sa

from clearway.app.platform import Clearway
from clearway.clearance.lifecycle import HoldReason, State
from clearway.store.webhook_tables import webhook_events
from tests.webhooks.conftest import (
    COURIER,
    Behaviour,
    Clock,
    Receiver,
    declare,
    deliver_all,
    deliveries,
    subscribe,
)

ADMIN, OFFICER = "person:admin-1", "person:officer-1"
OTHER = "op-courier-2"


def _events(service: Clearway) -> int:
    with service.engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(webhook_events)).scalar_one())


def test_a_suspended_operator_gets_nothing_and_what_was_pending_goes_out_when_it_is_active_again(
    service: Clearway, receiver: Receiver, clock: Clock
) -> None:
    _, secret = subscribe(service, receiver.url, ("consignment.released", "consignment.held"))
    before = declare(service, "MSG-BEFORE")  # released: one event pending, not sent yet
    waiting = declare(service, "MSG-WAITING", documents=False)
    assert _events(service) == 1
    service.access.set_status(COURIER, "suspended", actor=ADMIN)
    # While suspended: an officer's hold is no event for it, and the deliverer sends it nothing,
    # however long it runs (the pending delivery is not tried, so it does not fail either).
    service.control(waiting, State.HELD, actor=OFFICER, reason="x-ray", hold_reason=HoldReason.INSPECTION)
    assert _events(service) == 1
    deliverer = service.webhooks.deliverer()
    for _ in range(3):
        assert deliverer.drain() == 0
        clock.advance(dt.timedelta(days=2))
    assert receiver.requests == []
    [pending] = deliveries(service)
    assert pending["state"] == "pending" and pending["tries"] == 0 and pending["attempts"] == 0
    # Active again: what waited goes out, the hold made while suspended never does, and new changes do.
    service.access.set_status(COURIER, "active", actor=ADMIN)
    service.control(waiting, State.INSPECTED, actor=OFFICER, reason="opened")
    service.control(waiting, State.RELEASED, actor=OFFICER, reason="fine")
    deliver_all(service, clock, deliverer)
    deliverer.close()
    got = [r.verify(secret) for r in receiver.requests]
    assert [(e["type"], e["data"]["id"]) for e in got] == [
        ("consignment.released", before),
        ("consignment.released", waiting),
    ]
    assert {d["state"] for d in deliveries(service)} == {"delivered"}


def test_suspending_one_operator_does_not_hold_up_another(
    service: Clearway, make_receiver: Callable[[Behaviour], Receiver]
) -> None:
    mine, theirs = make_receiver(lambda n: 200), make_receiver(lambda n: 200)
    subscribe(service, mine.url, ("consignment.released",))
    subscribe(service, theirs.url, ("consignment.released",), operator=OTHER)
    declare(service, "MSG-MINE")
    service.access.set_status(COURIER, "suspended", actor=ADMIN)
    # The other courier's declaration, released at once, is told to it while the suspended one waits.
    other = declare(service, "MSG-THEIRS", operator=OTHER)
    deliverer = service.webhooks.deliverer()
    deliverer.drain()
    deliverer.close()
    assert mine.requests == []
    assert [r.event["data"]["id"] for r in theirs.requests] == [other]
