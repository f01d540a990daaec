"""Two services on one PostgreSQL database (two processes' worth: their own engines and locks) racing
on the same records: a transaction held open in one while the other commits (app.concurrency)."""

from __future__ import annotations

import datetime as dt
import json
import os
import threading
import time
from collections.abc import Iterator
from typing import Any

import msgspec
import pytest
import sqlalchemy as sa

from clearway.app.platform import Clearway
from clearway.clearance import actions
from clearway.clearance.lifecycle import HoldReason, State
from clearway.clearance.model import SubmissionResult
from clearway.clearance.stages import STAGES, since
from clearway.dataset.records import Consignment, Order, Payment, Waybill
from clearway.store.repository import SqlClearanceStore
from tests.conftest import decode

T0 = dt.datetime(2026, 11, 22, 8, 0, tzinfo=dt.UTC)
COURIER, PLATFORM, PSP, CARRIER = "op-courier-1", "op-platform-1", "op-psp-1", "op-post-1"
ON_POSTGRESQL = bool(os.environ.get("CLEARWAY_TEST_DATABASE_URL"))
pytestmark = [
    pytest.mark.usefixtures("standard_operators"),
    pytest.mark.skipif(
        not ON_POSTGRESQL,
        reason="PostgreSQL-only: SQLite has one writing process, whose lock orders every transaction",
    ),
]


def history_of(service: Clearway, consignment_id: str) -> list[str]:
    dossier = service.dossier(None, consignment_id)
    assert dossier is not None
    return [h["to_state"] for h in dossier.history]


@pytest.fixture
def second(service: Clearway, database_url: str) -> Iterator[Clearway]:
    """Another process's service: its own engine and its own lock on the same database."""
    other = Clearway(service.settings, engine=sa.create_engine(database_url))
    yield other
    other.engine.dispose()


def held_open(
    service: Clearway, items: list[tuple[str, str, Any]]
) -> tuple[threading.Thread, threading.Event, list[Any]]:
    """Submit ``items`` in a thread whose transaction stays open until the event is set."""
    release, inside, done = threading.Event(), threading.Event(), []

    def wait(conn: sa.Connection, results: list[SubmissionResult]) -> None:
        inside.set()
        assert release.wait(30), "the test never let the transaction commit"

    def run() -> None:
        done.extend(service.submit_mixed(items, now=T0, also=wait))

    thread = threading.Thread(target=run)
    thread.start()
    assert inside.wait(30), "the held transaction never reached its commit"
    return thread, release, done


def finish(thread: threading.Thread, release: threading.Event) -> None:
    release.set()
    thread.join(30)
    assert not thread.is_alive()


def send_documents(service: Clearway, order: Order, payment: Payment, waybill: Waybill) -> None:
    service.submit_documents("order", PLATFORM, [order], now=T0)
    service.submit_documents("payment", PSP, [payment], now=T0)
    service.submit_documents("waybill", CARRIER, [waybill], now=T0)


def test_documents_committed_while_the_declaration_was_open_are_linked(
    service: Clearway, second: Clearway, consignment: Consignment, order: Order, payment: Payment, waybill: Waybill
) -> None:
    thread, release, done = held_open(service, [("consignment", COURIER, consignment)])
    send_documents(second, order, payment, waybill)  # their look for waiting declarations sees nothing yet
    finish(thread, release)
    [result] = done
    assert history_of(service, str(result.id)) == ["received", "awaiting_documents", "assessed", "released"]


def test_a_declaration_committed_while_the_documents_were_open_is_linked(
    service: Clearway, second: Clearway, consignment: Consignment, order: Order, payment: Payment, waybill: Waybill
) -> None:
    documents = [("order", PLATFORM, order), ("payment", PSP, payment), ("waybill", CARRIER, waybill)]
    thread, release, _ = held_open(service, documents)
    [result] = second.submit_consignments(COURIER, [consignment], now=T0)
    assert result.state is State.AWAITING_DOCUMENTS  # the documents are not committed yet
    finish(thread, release)
    assert history_of(second, str(result.id)) == ["received", "awaiting_documents", "assessed", "released"]


def waiting_on_a_lock(engine: sa.Engine, seconds: float = 10.0, statement: str = "%") -> bool:
    """Whether some session of the test database is waiting on a lock (the unique index's) in a
    statement like ``statement`` (a LIKE pattern)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with engine.connect() as conn:
            waiting = conn.exec_driver_sql(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' "
                "AND query LIKE %s",
                (statement,),
            ).scalar_one()
        if waiting:
            return True
        time.sleep(0.05)
    return False


def test_the_same_declaration_from_two_processes_at_once_is_stored_once(
    service: Clearway, second: Clearway, consignment: Consignment
) -> None:
    """The second insert waits on the unique index, is refused when the first commits, and is run
    again (app.concurrency.retry_conflicts): it answers "duplicate" with the first one's id. The
    stage totals (/metrics) count each submission's declaration once, not the refused attempt too."""
    before = STAGES.snapshot()
    thread, release, first = held_open(service, [("consignment", COURIER, consignment)])
    answers: list[SubmissionResult] = []
    other = threading.Thread(target=lambda: answers.extend(second.submit_consignments(COURIER, [consignment], now=T0)))
    other.start()
    assert waiting_on_a_lock(service.engine), "the second submission never met the first one's row"
    finish(thread, release)
    other.join(30)
    [stored_first], [again] = first, answers
    assert (stored_first.status, again.status, again.id) == ("accepted", "duplicate", stored_first.id)
    with service.engine.connect() as conn:
        count = conn.exec_driver_sql("SELECT count(*) FROM consignments").scalar_one()
    assert count == 1
    assert since(before, STAGES.snapshot())["accept"].records == 2


def test_a_document_batch_does_not_wait_for_a_declaration_another_is_linking(
    service: Clearway, second: Clearway, consignment: Consignment, order: Order, payment: Payment, waybill: Waybill
) -> None:
    """The declaration is locked by a batch linking its order; the waybill's batch leaves it (SKIP
    LOCKED), commits at once, and its catch-up links it once the order's batch has committed."""
    service.submit_documents("payment", PSP, [payment], now=T0)
    [declared] = service.submit_consignments(COURIER, [consignment], now=T0)
    assert declared.state is State.AWAITING_DOCUMENTS
    thread, release, _ = held_open(service, [("order", PLATFORM, order)])  # holds the declaration's row
    other = threading.Thread(target=lambda: second.submit_documents("waybill", CARRIER, [waybill], now=T0))
    other.start()
    deadline = time.monotonic() + 10
    while not stored_waybills(service) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert stored_waybills(service) == 1, "the waybill's batch waited for the order's"
    finish(thread, release)
    other.join(30)
    assert not other.is_alive()
    assert history_of(service, str(declared.id)) == ["received", "awaiting_documents", "assessed", "released"]


def stored_waybills(service: Clearway) -> int:
    with service.engine.connect() as conn:
        return int(conn.exec_driver_sql("SELECT count(*) FROM documents WHERE kind = 'waybill'").scalar_one())


def parcel(consignment: Consignment, reference: str, description: str, waybill_number: str) -> Consignment:
    """Another parcel of the fixture's order: its own reference, goods and transport document."""
    data = json.loads(msgspec.json.encode(consignment))
    data["reference"] = reference
    data["items"][0]["description"] = description
    data["logistics"]["transport_document"] = waybill_number
    result: Consignment = decode(Consignment, data)
    return result


def test_a_parcel_decided_while_another_process_puts_its_order_under_control_is_not_released(
    service: Clearway, second: Clearway, consignment: Consignment, order: Order, payment: Payment, waybill: Waybill
) -> None:
    """Two parcels of one order from one declarant, decided at the same moment in two processes: the
    first is put under control in a transaction still open when the second is decided. The second
    waits for the order (store/order_locks.py) and, once the first commits, sees its control, as if
    it had come a moment later. Without the lock it read no control and was released."""
    send_documents(service, order, payment, waybill)
    other_waybill = msgspec.structs.replace(waybill, transport_document="RR111111115CN")
    service.submit_documents("waybill", CARRIER, [other_waybill], now=T0)
    spray = parcel(consignment, "MSG-0001", "Pepper spray 50 ml", waybill.transport_document)
    hair = parcel(consignment, "MSG-0002", "Hair spray 50 ml", "RR111111115CN")
    thread, release, first = held_open(service, [("consignment", COURIER, spray)])
    later = decided_meanwhile(second, hair, thread, release)
    [controlled] = first
    assert (controlled.state, later.state) == (State.HELD, State.HELD)
    assert "order_under_control" in link_codes(service, later)
    assert history_of(service, str(later.id)) == ["received", "assessed", "held"]


def decided_meanwhile(
    second: Clearway, record: Consignment, held: threading.Thread, release: threading.Event
) -> SubmissionResult:
    """``record`` submitted by the other service while ``held``'s transaction is open: it must wait
    for the order's lock; its result once ``held`` has committed."""
    answers: list[SubmissionResult] = []
    other = threading.Thread(target=lambda: answers.extend(second.submit_consignments(COURIER, [record], now=T0)))
    other.start()
    assert waiting_on_a_lock(second.engine, statement="%order_locks%"), "the parcel never waited for the order"
    finish(held, release)
    other.join(30)
    assert not other.is_alive()
    [result] = answers
    return result


def link_codes(service: Clearway, result: SubmissionResult) -> set[str]:
    dossier = service.dossier(None, str(result.id))
    assert dossier is not None and dossier.link is not None
    return {r.code for r in dossier.link.reasons}


def test_a_parcel_decided_while_an_officer_takes_another_of_its_order_into_control_is_not_released(
    service: Clearway, second: Clearway, consignment: Consignment, order: Order, payment: Payment, waybill: Waybill
) -> None:
    """The officer holds the first parcel (waiting for its waybill) for examination in a transaction
    still open when the second parcel, its documents all there, is decided in another process: the
    officer's control locks the order too, so the second waits and sees it."""
    send_documents(service, order, payment, waybill)
    first = parcel(consignment, "MSG-0009", "Hair spray 50 ml", "RR111111115CN")  # its waybill never sent
    [waiting] = service.submit_consignments(COURIER, [first], now=T0)
    assert waiting.state is State.AWAITING_DOCUMENTS
    inside, release = threading.Event(), threading.Event()

    def officer() -> None:
        with service.engine.begin() as conn:
            actions.control(
                SqlClearanceStore(conn),
                str(waiting.id),
                State.HELD,
                reason="examination",
                now=T0,
                actor="officer:olga",
                hold_reason=HoldReason.INSPECTION,
            )
            inside.set()
            assert release.wait(30), "the test never let the officer's transaction commit"

    held = threading.Thread(target=officer)
    held.start()
    assert inside.wait(30)
    later = decided_meanwhile(second, consignment, held, release)
    assert later.state is State.HELD
    assert "order_under_control" in link_codes(service, later)
