"""A real HTTP receiver in the test process, a clock the tests move, and the service with webhooks to
loopback allowed (CLEARWAY_WEBHOOKS_ALLOW_PRIVATE, as for a demonstration)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import http.server
import json
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from standardwebhooks.webhooks import Webhook

from clearway.app.platform import Clearway
from clearway.app.webhooks.delivery import Deliverer
from clearway.dataset.records import Consignment, Order, Payment, Waybill
from clearway.settings import Settings
from clearway.store.webhook_tables import webhook_deliveries
from tests.conftest import NO_MODEL, STANDARD_OPERATORS, TEST_SECRET, decode, fixture_json, register_operators

# What a receiver answers a request: an HTTP status, or HANG (no answer until the test ends).
HANG = -1
Behaviour = Callable[[int], int]  # the request's number (1, 2, ...) -> what to answer


@dataclasses.dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    status: int

    @property
    def event(self) -> dict[str, Any]:
        found: dict[str, Any] = json.loads(self.body)
        return found

    def verify(self, secret: str) -> dict[str, Any]:
        """The body, once the standardwebhooks library has verified its signature with ``secret``."""
        found: dict[str, Any] = Webhook(secret).verify(self.body, self.headers)
        return found


class Receiver:
    """An HTTP server on 127.0.0.1 that records every request and answers as its behaviour says."""

    def __init__(self, behaviour: Behaviour = lambda n: 200) -> None:
        self.behaviour = behaviour
        self.requests: list[Received] = []
        self._lock = threading.Lock()
        self._release = threading.Event()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with receiver._lock:
                    number = len(receiver.requests) + 1
                    status = receiver.behaviour(number)
                    receiver.requests.append(Received(dict(self.headers.items()), body, status))
                if status == HANG:
                    receiver._release.wait(30)
                    return
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks"

    def delivered(self) -> list[Received]:
        """The requests answered 2xx."""
        return [r for r in self.requests if 200 <= r.status < 300]

    def close(self) -> None:
        self._release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver()
    yield found
    found.close()


@pytest.fixture
def make_receiver() -> Iterator[Callable[[Behaviour], Receiver]]:
    made: list[Receiver] = []

    def make(behaviour: Behaviour) -> Receiver:
        made.append(Receiver(behaviour))
        return made[-1]

    yield make
    for r in made:
        r.close()


class Clock:
    """The deliverer's clock: real time, moved ahead by the test (a retry schedule of a day and a
    half runs in a second)."""

    def __init__(self) -> None:
        self.offset = dt.timedelta(0)

    def __call__(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC) + self.offset

    def advance(self, delta: dt.timedelta) -> None:
        self.offset += delta


@pytest.fixture
def clock() -> Clock:
    return Clock()


def hooks_settings(database_url: str, **changes: Any) -> Settings:
    base = Settings(
        database_url=database_url,
        secret_key=TEST_SECRET,
        model_dir=NO_MODEL,
        hs_model_dir=NO_MODEL,
        webhooks_allow_private=True,
        webhooks_timeout_seconds=1.0,
    )
    return dataclasses.replace(base, **changes)


@pytest.fixture
def service(clean_engine: sa.Engine, database_url: str, clock: Clock) -> Clearway:
    svc = Clearway(hooks_settings(database_url), engine=clean_engine)
    svc.webhooks.clock = clock
    register_operators(svc, STANDARD_OPERATORS)
    return svc


# -- flows ------------------------------------------------------------------------------------------

COURIER, PLATFORM, PSP, POST = "op-courier-1", "op-platform-1", "op-psp-1", "op-post-1"
ALL_EVENTS = (
    "consignment.decided",
    "consignment.held",
    "consignment.information_requested",
    "consignment.released",
    "consignment.inspection_outcome",
    "consignment.duties_due",
    "consignment.seized",
    "consignment.returned",
)


def subscribe(service: Clearway, url: str, events: tuple[str, ...] = ALL_EVENTS, operator: str = COURIER) -> Any:
    """A subscription's id and secret."""
    view, secret = service.webhooks.subscribe(operator, url, list(events))
    return view["id"], secret


def declare(service: Clearway, reference: str = "MSG-0001", *, documents: bool = True, operator: str = COURIER) -> str:
    """The fixture declaration under ``reference`` (its own order, payment and waybill numbers), with
    its documents sent first: released at once. The consignment's id."""
    order_number, payment_id, waybill_number = f"O-{reference}", f"P-{reference}", f"HAWB-{reference}"
    order = fixture_json("order.json") | {"order_number": order_number}
    payment = fixture_json("payment.json") | {"payment_id": payment_id, "order_number": order_number}
    waybill_fields = {"transport_document": waybill_number, "document_type": "house_waybill"}
    waybill = fixture_json("waybill.json") | waybill_fields | {"order_number": order_number}
    declared = fixture_json("consignment.json") | {"reference": reference}
    declared["transaction"] |= {"order_number": order_number, "payment_id": payment_id}
    declared["logistics"] |= waybill_fields
    if documents:
        service.submit_documents("order", PLATFORM, [decode(Order, order)])
        service.submit_documents("payment", PSP, [decode(Payment, payment)])
        service.submit_documents("waybill", POST, [decode(Waybill, waybill)])
    [result] = service.submit_consignments(operator, [decode(Consignment, declared)])
    assert result.status == "accepted", result
    return result.id or ""


def deliver_all(service: Clearway, clock: Clock, deliverer: Deliverer, *, passes: int = 200) -> int:
    """Run the deliverer, moving the clock to each next try, until nothing is left pending."""
    tries = 0
    for _ in range(passes):
        done = deliverer.run_once()
        tries += done
        if done:
            continue
        # Nothing due now: the next try is the soonest one still in the future (later deliveries of a
        # subscription may be due already, waiting behind it).
        pending = [d["next_attempt_at"] for d in deliveries(service) if d["state"] == "pending"]
        if not pending:
            return tries
        now = clock()
        ahead = [at for at in pending if at > now]
        if not ahead:
            raise AssertionError(f"deliveries due but none sent: {pending}")
        clock.advance(min(ahead) - now + dt.timedelta(milliseconds=1))
    raise AssertionError(f"deliveries still pending after {passes} passes")


def deliveries(service: Clearway) -> list[dict[str, Any]]:
    """Every delivery row, oldest first."""
    with service.engine.connect() as conn:
        rows = conn.execute(
            sa.select(webhook_deliveries).order_by(webhook_deliveries.c.queued_at, webhook_deliveries.c.id)
        )
        return [dict(r._mapping) for r in rows]
