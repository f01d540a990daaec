"""Notifications written with the state change and delivered signed to a real receiver: retries,
failures after the last try, a process killed between commit and delivery, order per endpoint,
secret rotation, redelivery. On SQLite, and on PostgreSQL in the suite's second pass."""

from __future__ import annotations

import datetime as dt
import itertools
import random
from typing import Any

import msgspec
import pytest
import sqlalchemy as sa
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from clearway.app.platform import Clearway
from clearway.app.webhooks.delivery import SCHEDULE, TRIES
from clearway.clearance.lifecycle import HoldReason, State
from clearway.store.webhook_tables import webhook_events
from tests.webhooks.conftest import (
    COURIER,
    HANG,
    Clock,
    Receiver,
    declare,
    deliver_all,
    deliveries,
    hooks_settings,
    subscribe,
)

# What an operator's notification never carries: how customs chose the consignment.
TARGETING = ("lane", "score", "risk", "rule", "rules", "random", "reasons", "engine", "green", "yellow", "red")


def _keys(node: Any) -> set[str]:
    if isinstance(node, dict):
        return set(node) | {k for v in node.values() for k in _keys(v)}
    if isinstance(node, list):
        return {k for v in node for k in _keys(v)}
    return set()


def test_a_released_declaration_is_notified_signed_and_says_no_more_than_the_operators_view(
    service: Clearway, receiver: Receiver, clock: Clock
) -> None:
    _, secret = subscribe(service, receiver.url)
    cid = declare(service)
    deliverer = service.webhooks.deliverer()
    assert deliver_all(service, clock, deliverer) == len(receiver.requests) >= 2
    events = [r.verify(secret) for r in receiver.requests]
    kinds = [e["type"] for e in events]
    assert kinds[0] == "consignment.decided" and "consignment.released" in kinds
    decided = events[0]
    assert decided["data"] | {"requested": []} == {
        "id": cid,
        "reference": "MSG-0001",
        "version": 1,
        "state": "released",
        "outcome": "released",
        "link_status": "linked",
        "requested": [],
    }
    assert decided["timestamp"].endswith("Z")
    for event in events:
        assert set(event) == {"type", "timestamp", "data"}
        assert _keys(event["data"]).isdisjoint(TARGETING), event
        # Nothing of the buyer's: the operator's reference and the state, never the declaration.
        assert "Anna" not in receiver.requests[0].body.decode()
    # Each delivery is sent under its own webhook-id, the event's, as the Standard Webhooks header says.
    ids = [r.headers["webhook-id"] for r in receiver.requests]
    assert len(set(ids)) == len(ids) and all(i.startswith("msg_") for i in ids)
    assert {d["state"] for d in deliveries(service)} == {"delivered"}
    deliverer.close()


def test_duties_due_say_how_much_and_who_collects(service: Clearway, receiver: Receiver, clock: Clock) -> None:
    _, secret = subscribe(service, receiver.url, ("consignment.duties_due",))
    declare(service, "MSG-DUTY")
    deliverer = service.webhooks.deliverer()
    deliver_all(service, clock, deliverer)
    deliverer.close()
    [owed] = [r.verify(secret) for r in receiver.requests]
    assert owed["type"] == "consignment.duties_due"
    # The fixture's parcel: duty and import VAT in Germany, collected by the vendor under its IOSS number.
    assert owed["data"]["duties"] == {
        "currency": "EUR",
        "duty": "6.00",
        "tax": "6.33",
        "fees": "0.00",
        "total": "12.33",
        "collection_model": "vendor",
    }
    assert [i["code"] for i in owed["data"]["requested"]] == ["duties_and_taxes_due"]


def test_nothing_is_written_for_an_operator_without_a_subscription_nor_for_types_it_did_not_ask(
    service: Clearway, receiver: Receiver
) -> None:
    declare(service, "MSG-NONE")
    with service.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(webhook_events)).scalar_one() == 0
    subscribe(service, receiver.url, ("consignment.held",))
    declare(service, "MSG-RELEASED")  # released: no hold, so nothing for this subscription
    with service.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(webhook_events)).scalar_one() == 0


def test_a_receiver_that_fails_three_times_then_accepts_gets_each_event_exactly_once(
    service: Clearway, make_receiver: Any, clock: Clock
) -> None:
    flaky = make_receiver(lambda n: 500 if n <= 3 else 200)
    _, secret = subscribe(service, flaky.url, ("consignment.released",))
    first, second = declare(service, "MSG-A"), declare(service, "MSG-B")
    deliverer = service.webhooks.deliverer(rng=random.Random(7))
    deliver_all(service, clock, deliverer)
    deliverer.close()
    accepted = [r.verify(secret) for r in flaky.delivered()]
    assert [e["data"]["id"] for e in accepted] == [first, second]
    # The first event was sent four times (three refused), the second once: after the first got through.
    assert [r.event["data"]["id"] for r in flaky.requests] == [first] * 4 + [second]
    # A retry keeps its webhook-id, so that a receiver that did process it can tell.
    assert len({r.headers["webhook-id"] for r in flaky.requests[:4]}) == 1
    log = service.webhooks.deliveries(COURIER, _only_subscription(service), state=None, before=None, limit=10)
    by_subject = {row["subject"]: row for row in log}
    assert [t["status_code"] for t in by_subject[first]["tries"]] == [500, 500, 500, 200]
    assert by_subject[first]["state"] == "delivered" and by_subject[first]["attempts"] == 4
    # Each wait drawn below its step of the schedule (full jitter), from the try it follows.
    times = [t["at"] for t in by_subject[first]["tries"]]
    for step, (before, after) in enumerate(itertools.pairwise(times)):
        assert dt.timedelta(0) <= after - before <= SCHEDULE[step] + dt.timedelta(seconds=5)


def _only_subscription(service: Clearway) -> str:
    [found] = service.webhooks.subscriptions(COURIER)
    return str(found["id"])


def test_an_event_committed_before_the_process_died_is_delivered_by_the_next(
    database_url: str, service: Clearway, receiver: Receiver, clock: Clock
) -> None:
    _, secret = subscribe(service, receiver.url, ("consignment.released",))
    cid = declare(service, "MSG-KILLED")
    # The process "dies" after the commit: no deliverer ever ran, the service is dropped.
    engine = service.engine
    del service
    assert receiver.requests == []
    restarted = Clearway(hooks_settings(database_url), engine=engine)
    restarted.webhooks.clock = clock
    deliverer = restarted.webhooks.deliverer()
    deliver_all(restarted, clock, deliverer)
    deliverer.close()
    [arrived] = receiver.requests
    assert arrived.verify(secret)["data"]["id"] == cid


@pytest.mark.parametrize("answer", [500, HANG], ids=["500-forever", "hangs"])
def test_a_receiver_that_never_accepts_ends_failed_after_the_last_try_with_each_try_logged(
    service: Clearway, make_receiver: Any, clock: Clock, answer: int
) -> None:
    broken = make_receiver(lambda n: answer)
    subscribe(service, broken.url, ("consignment.released",))
    declare(service, "MSG-BROKEN")
    deliverer = service.webhooks.deliverer(timeout=0.4)
    deliver_all(service, clock, deliverer)
    deliverer.close()
    assert len(broken.requests) == TRIES
    [row] = service.webhooks.deliveries(COURIER, _only_subscription(service), state=None, before=None, limit=5)
    assert row["state"] == "failed" and row["attempts"] == TRIES and row["next_attempt_at"] is None
    if answer == HANG:
        assert [(t["status_code"], t["error"]) for t in row["tries"]] == [(None, "no answer in time")] * TRIES
    else:
        assert [t["status_code"] for t in row["tries"]] == [500] * TRIES


def test_one_endpoint_waits_for_its_earlier_event_and_does_not_hold_up_another(
    service: Clearway, make_receiver: Any, clock: Clock
) -> None:
    slow = make_receiver(lambda n: 503 if n == 1 else 200)
    fast = make_receiver(lambda n: 200)
    subscribe(service, slow.url, ("consignment.released",))
    subscribe(service, fast.url, ("consignment.released",))
    first, second = declare(service, "MSG-1"), declare(service, "MSG-2")
    deliverer = service.webhooks.deliverer()
    deliverer.run_once()
    deliverer.run_once()  # the first is waiting for its retry: the second must not overtake it
    assert [r.event["data"]["id"] for r in slow.requests] == [first]
    assert [r.event["data"]["id"] for r in fast.requests] == [first, second]
    deliver_all(service, clock, deliverer)
    deliverer.close()
    assert [r.event["data"]["id"] for r in slow.delivered()] == [first, second]


def test_during_the_grace_after_a_rotation_both_secrets_verify_then_only_the_new(
    service: Clearway, receiver: Receiver, clock: Clock
) -> None:
    sid, old = subscribe(service, receiver.url, ("consignment.released",))
    new, until = service.webhooks.rotate_secret(COURIER, sid)
    assert new != old and new.startswith("whsec_")
    assert dt.timedelta(hours=23, minutes=59) < until - clock() <= dt.timedelta(hours=24)
    declare(service, "MSG-ROT-1")
    deliverer = service.webhooks.deliverer()
    deliver_all(service, clock, deliverer)
    [during] = receiver.requests
    assert len(during.headers["webhook-signature"].split(" ")) == 2
    during.verify(old)
    during.verify(new)
    clock.advance(dt.timedelta(hours=24, minutes=1))
    declare(service, "MSG-ROT-2")
    deliver_all(service, clock, deliverer)
    deliverer.close()
    after = receiver.requests[1]
    after.verify(new)
    with pytest.raises(WebhookVerificationError):
        after.verify(old)
    with pytest.raises(WebhookVerificationError):
        Webhook("whsec_" + "A" * 43 + "=").verify(after.body, after.headers)


def test_officer_steps_and_the_inspection_outcome_are_notified_as_the_operator_may_see_them(
    service: Clearway, receiver: Receiver, clock: Clock
) -> None:
    _, secret = subscribe(service, receiver.url)
    cid = declare(service, "MSG-CONTROL", documents=False)  # awaiting documents: nothing to tell yet
    officer = "person:officer-1"
    service.control(cid, State.HELD, actor=officer, reason="Peter Miller called", hold_reason=HoldReason.INSPECTION)
    service.control(cid, State.INSPECTED, actor=officer, reason="opening the parcel")
    service.risk.record_outcome(cid, "undervalued", officer=officer, note="Anna Schmidt wrote the invoice")
    service.control(cid, State.RELEASED, actor=officer, reason="duty corrected")
    deliverer = service.webhooks.deliverer()
    deliver_all(service, clock, deliverer)
    deliverer.close()
    events = [r.verify(secret) for r in receiver.requests]
    assert [e["type"] for e in events] == [
        "consignment.held",
        "consignment.inspection_outcome",
        "consignment.released",
    ]
    held, outcome, _ = (e["data"] for e in events)
    assert held["hold_reason"] == "inspection" and held["requested"][0]["code"] == "present_goods"
    assert outcome["result"] == "discrepancy_found" and outcome["state"] == "inspected"
    text = b" ".join(r.body for r in receiver.requests).decode()
    for secret_word in ("undervalued", "Anna", "Peter", "invoice", "opening"):
        assert secret_word not in text


def test_a_request_for_information_is_its_own_event_and_the_answer_to_it_is_not_news(
    service: Clearway, receiver: Receiver, clock: Clock
) -> None:
    _, secret = subscribe(service, receiver.url, ("consignment.information_requested", "consignment.held"))
    cid = declare(service, "MSG-RFI", documents=False)
    officer = "person:officer-1"
    service.control(cid, State.HELD, actor=officer, reason="ask", hold_reason=HoldReason.REQUEST_FOR_INFORMATION)
    # The declarant answers with an amendment: still held for the officer, with the same request.
    dossier = service.dossier(COURIER, cid)
    assert dossier is not None
    record = dossier.consignment.record
    first = msgspec.structs.replace(record.items[0], description="Women's blouse, 100 % silk")
    amended = msgspec.structs.replace(record, items=[first, *record.items[1:]])
    service.amend(COURIER, cid, amended)
    deliverer = service.webhooks.deliverer()
    deliver_all(service, clock, deliverer)
    deliverer.close()
    [asked] = [r.verify(secret) for r in receiver.requests]
    assert asked["type"] == "consignment.information_requested"
    assert asked["data"]["requested"][0]["code"] == "answer_request_for_information"
