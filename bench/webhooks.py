"""Webhook delivery throughput: signed deliveries per second from the outbox to a real HTTP receiver.

    .venv/bin/python bench/webhooks.py [--count 2000] [--endpoints 1,16] [--database-url URL]

A receiver (http.server's ThreadingHTTPServer, HTTP/1.1 with keep-alive) listens on 127.0.0.1 in
a process of its own. For each number of endpoints, ``count`` notices are written to the outbox (one
transaction, not timed), spread over that many subscriptions in turn, and the deliverer the server
runs (app/webhooks/delivery.py) is timed from its first pass until every delivery is delivered.
Each endpoint gets its events in order, one at a time (the next waits until the one before it is
delivered), so one endpoint is as fast as one round trip plus the outbox's two writes allow, and
several endpoints go in parallel. bench/messages.py runs this after its parsers (``main()``).
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import http.server
import multiprocessing
import tempfile
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from clearway.app.platform import Clearway
from clearway.clearance.model import new_id
from clearway.clearance.notices import Notice
from clearway.settings import Settings
from clearway.store.migrate import upgrade
from clearway.store.repository import SqlClearanceStore
from clearway.store.webhook_tables import webhook_attempts, webhook_deliveries, webhook_events

# An operator has at most 10 subscriptions (app/webhooks/service.py): endpoints are spread over
# as many operators as that takes.
PER_OPERATOR = 10
# Operators of this invocation: a database given with --database-url may hold an earlier one's.
_RUN_ID = new_id()[-8:]


class _Counting(http.server.BaseHTTPRequestHandler):
    """Answers every POST 200 with an empty body, on a kept-alive HTTP/1.1 connection, and counts it."""

    protocol_version = "HTTP/1.1"
    counter: Any = None

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()
        with self.counter.get_lock():
            self.counter.value += 1

    def log_message(self, format: str, *args: Any) -> None:
        pass


def _serve(counter: Any, ports: Any) -> None:
    _Counting.counter = counter
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Counting)
    server.daemon_threads = True
    ports.put(server.server_address[1])
    server.serve_forever()


class Receiver:
    """A ThreadingHTTPServer on 127.0.0.1 in a process of its own: a receiver in the deliverer's own
    process would take turns with it for the interpreter lock, which no real receiver does."""

    def __init__(self) -> None:
        context = multiprocessing.get_context("spawn")
        self._count = context.Value("q", 0)
        ports = context.Queue()
        self.process = context.Process(target=_serve, args=(self._count, ports), daemon=True)
        self.process.start()
        self.port = int(ports.get(timeout=30))

    @property
    def count(self) -> int:
        return int(self._count.value)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}/{path}"

    def close(self) -> None:
        self.process.terminate()
        self.process.join(5)


def _service(database_url: str | None, tmp: Path) -> Clearway:
    url = database_url or f"sqlite:///{tmp / 'bench.db'}"
    upgrade(url)
    settings = Settings(database_url=url, secret_key_file=str(tmp / "secret.key"), webhooks_allow_private=True)
    return Clearway(dataclasses.replace(settings, webhooks_timeout_seconds=10.0))


def _subscriptions(svc: Clearway, receiver: Receiver, endpoints: int, run: int) -> list[tuple[str, str]]:
    """(operator, subscription id) of ``endpoints`` new subscriptions, each its own URL."""
    found = []
    for i in range(endpoints):
        operator = f"op-bench-{_RUN_ID}-{run}-{i // PER_OPERATOR}"
        if i % PER_OPERATOR == 0:
            svc.access.onboard(
                operator_id=operator,
                name=f"Bench operator {operator}",
                kind="courier",
                country="DE",
                contact_email=f"{operator}@example.org",
                actor="bench:setup",
            )
        view, _ = svc.webhooks.subscribe(operator, receiver.url(f"{run}/{i}"), ["consignment.released"])
        found.append((operator, str(view["id"])))
    return found


def _queue(svc: Clearway, subscriptions: list[tuple[str, str]], count: int) -> None:
    at = dt.datetime.now(dt.UTC)
    notices = []
    for n in range(count):
        operator, sid = subscriptions[n % len(subscriptions)]
        subject = new_id()
        data = {"id": subject, "reference": f"BENCH-{n:07d}", "version": 1, "state": "released"}
        notices.append(
            Notice(
                id=new_id(),
                operator_id=operator,
                type="consignment.released",
                subject=subject,
                at=at,
                data=data,
                subscriptions=(sid,),
            )
        )
    with svc.engine.begin() as conn:
        SqlClearanceStore(conn).append_notices(notices)


def _clear(svc: Clearway) -> None:
    with svc.engine.begin() as conn:
        for table in (webhook_attempts, webhook_deliveries, webhook_events):
            conn.execute(table.delete())


def deliveries_per_second(svc: Clearway, receiver: Receiver, *, count: int, endpoints: int, run: int) -> float:
    """Write ``count`` notices over ``endpoints`` subscriptions, then time the deliverer until all are
    delivered; deliveries per second."""
    _clear(svc)
    _queue(svc, _subscriptions(svc, receiver, endpoints, run), count)
    before = receiver.count
    deliverer = svc.webhooks.deliverer()
    try:
        started = time.perf_counter()
        while deliverer.run_once():
            pass
        elapsed = time.perf_counter() - started
    finally:
        deliverer.close()
    with svc.engine.connect() as conn:
        delivered = conn.execute(
            sa.select(sa.func.count()).select_from(webhook_deliveries).where(webhook_deliveries.c.state == "delivered")
        ).scalar_one()
    if delivered != count or receiver.count - before != count:
        raise SystemExit(f"{delivered} of {count} delivered, {receiver.count - before} received")
    return count / elapsed


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=2000, help="notices per run")
    parser.add_argument("--endpoints", default="1,16", help="numbers of endpoints, comma-separated")
    parser.add_argument("--database-url", default=None, help="default: a new SQLite file")
    args = parser.parse_args(argv)
    receiver = Receiver()
    with tempfile.TemporaryDirectory(prefix="clearway-bench-") as tmp:
        svc = _service(args.database_url, Path(tmp))
        try:
            print(f"{'webhook delivery (local receiver)':58} {'deliveries/s':>12}")
            for run, endpoints in enumerate(int(e) for e in args.endpoints.split(",")):
                rate = deliveries_per_second(svc, receiver, count=args.count, endpoints=endpoints, run=run)
                name = f"{args.count:,} notices over {endpoints} endpoint{'s' if endpoints > 1 else ''}"
                print(f"{name:58} {rate:>12,.0f}")
        finally:
            svc.close()
            receiver.close()


if __name__ == "__main__":
    main()
