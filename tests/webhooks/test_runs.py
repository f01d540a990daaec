"""A pass sends an endpoint several deliveries one after the other (a run) over a kept-alive
connection: in order, the rest handed back at the first failed try or when the run has taken its
time, and no endpoint waits for another's run."""

from __future__ import annotations

import http.server
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from clearway.app.platform import Clearway
from tests.webhooks.conftest import Behaviour, Clock, Receiver, declare, deliver_all, deliveries, subscribe


def test_a_run_stops_at_a_failed_try_and_what_was_behind_it_waits_for_it(
    service: Clearway, make_receiver: Callable[[Behaviour], Receiver], clock: Clock
) -> None:
    flaky = make_receiver(lambda n: 503 if n == 2 else 200)
    steady = make_receiver(lambda n: 200)
    _, secret = subscribe(service, flaky.url, ("consignment.released",))
    subscribe(service, steady.url, ("consignment.released",))
    made = [declare(service, f"MSG-RUN-{i}") for i in range(5)]
    deliverer = service.webhooks.deliverer(run_seconds=30)  # time is not what ends these runs
    assert deliverer.run_once() == 5 + 2  # the steady endpoint's five, the flaky one's first two
    assert [r.event["data"]["id"] for r in steady.requests] == made
    assert [r.event["data"]["id"] for r in flaky.requests] == made[:2]
    # Handed back, the three behind the failed try are due but wait behind it.
    assert deliverer.run_once() == 0
    waiting = [d for d in deliveries(service) if d["state"] == "pending"]
    assert len(waiting) == 4 and sum(d["tries"] for d in waiting) == 1 and all(d["claim"] is None for d in waiting)
    deliver_all(service, clock, deliverer)
    deliverer.close()
    assert [r.verify(secret)["data"]["id"] for r in flaky.delivered()] == made
    assert [r.event["data"]["id"] for r in flaky.requests] == [*made[:2], *made[1:]]


@pytest.fixture
def keep_alive() -> Iterator[tuple[str, list[tuple[int, float]]]]:
    """An HTTP/1.1 receiver that keeps connections open, slow to answer (0.15 s), recording each
    request's client port and time."""
    seen: list[tuple[int, float]] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            time.sleep(0.15)
            seen.append((self.client_address[1], time.monotonic()))
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hooks", seen
    server.shutdown()
    server.server_close()


def test_a_slow_endpoints_run_ends_when_its_time_is_up_on_one_kept_alive_connection(
    service: Clearway, keep_alive: tuple[str, list[tuple[int, float]]], receiver: Receiver, clock: Clock
) -> None:
    url, seen = keep_alive
    subscribe(service, url, ("consignment.released",))
    subscribe(service, receiver.url, ("consignment.decided",), operator="op-courier-2")
    made = [declare(service, f"MSG-SLOW-{i}") for i in range(6)]
    quick = declare(service, "MSG-QUICK", operator="op-courier-2")
    deliverer = service.webhooks.deliverer(run_seconds=0.2)
    # 0.15 s a try: the run stops after its first or second try, past its 0.2 s (not after all six);
    # the other endpoint is not held up.
    first = deliverer.run_once()
    assert 1 <= len(seen) <= 2 and first == len(seen) + 1
    assert [r.event["data"]["id"] for r in receiver.requests] == [quick]
    deliver_all(service, clock, deliverer)
    deliverer.close()
    assert len(seen) == len(made)
    # Every delivery went over the same connection: the answer's short body was read, not left.
    assert len({port for port, _ in seen}) == 1
    assert {d["state"] for d in deliveries(service)} == {"delivered"}
