"""Manual redelivery, deliverers that share the outbox (PostgreSQL), and TLS to the address checked."""

from __future__ import annotations

import datetime as dt
import http.server
import shutil
import ssl
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from clearway.app.platform import Clearway
from clearway.app.webhooks.delivery import CLAIM
from clearway.clearance.errors import Conflict, NotFound
from clearway.store import webhook_repo
from tests.webhooks.conftest import (
    COURIER,
    Clock,
    Receiver,
    declare,
    deliver_all,
    deliveries,
    hooks_settings,
    subscribe,
)


def test_a_redelivery_sends_the_same_message_again_behind_what_waits(
    service: Clearway, receiver: Receiver, clock: Clock
) -> None:
    sid, secret = subscribe(service, receiver.url, ("consignment.released",))
    first = declare(service, "MSG-R1")
    deliverer = service.webhooks.deliverer()
    deliver_all(service, clock, deliverer)
    [done] = service.webhooks.deliveries(COURIER, sid, state="delivered", before=None, limit=5)
    with pytest.raises(NotFound):
        service.webhooks.redeliver("op-courier-2", sid, done["id"])  # another operator's: as if missing
    second = declare(service, "MSG-R2")  # queued before the redelivery is asked for
    again = service.webhooks.redeliver(COURIER, sid, done["id"])
    assert again["state"] == "pending" and len(again["tries"]) == 1
    with pytest.raises(Conflict):
        service.webhooks.redeliver(COURIER, sid, done["id"])  # already queued
    deliver_all(service, clock, deliverer)
    deliverer.close()
    sent = [r.verify(secret)["data"]["id"] for r in receiver.requests]
    assert sent == [first, second, first]
    assert receiver.requests[0].headers["webhook-id"] == receiver.requests[2].headers["webhook-id"]
    [redone] = [
        d for d in service.webhooks.deliveries(COURIER, sid, state=None, before=None, limit=5) if d["id"] == done["id"]
    ]
    assert redone["state"] == "delivered" and redone["attempts"] == 2 and len(redone["tries"]) == 2


def test_a_claim_left_by_a_deliverer_that_died_mid_send_runs_out_and_the_next_one_sends_it(
    service: Clearway, receiver: Receiver, clock: Clock
) -> None:
    _, secret = subscribe(service, receiver.url, ("consignment.released",))
    cid = declare(service, "MSG-CLAIMED")
    # A deliverer claims the delivery and dies before it sends anything (or before it records the result).
    with service.engine.begin() as conn:
        [claimed] = webhook_repo.claim_due(conn, clock(), clock() + CLAIM, 10)
    deliverer = service.webhooks.deliverer()
    assert deliverer.run_once() == 0  # still claimed: nobody else sends it meanwhile
    clock.advance(CLAIM + dt.timedelta(seconds=1))
    assert deliverer.run_once() == 1
    deliverer.close()
    [arrived] = receiver.requests
    assert arrived.verify(secret)["data"]["id"] == cid
    # The dead deliverer's late result, were it to come, is logged but changes nothing.
    late = webhook_repo.Attempt(at=clock(), status_code=500, error=None, duration_ms=1)
    with service.engine.begin() as conn:
        assert not webhook_repo.record_attempt(conn, claimed, late, state="pending", next_at=clock())
    [row] = deliveries(service)
    assert row["state"] == "delivered" and row["attempts"] == 1


def test_the_delivery_log_pages_newest_first_and_filters_by_state(service: Clearway, receiver: Receiver) -> None:
    sid, _ = subscribe(service, receiver.url, ("consignment.decided",))
    made = [declare(service, f"MSG-P{i}") for i in range(5)]
    page = service.webhooks.deliveries(COURIER, sid, state=None, before=None, limit=3)
    rest = service.webhooks.deliveries(COURIER, sid, state=None, before=page[-1]["id"], limit=3)
    assert [d["subject"] for d in page + rest] == made[::-1]
    assert service.webhooks.deliveries(COURIER, sid, state="delivered", before=None, limit=3) == []


def test_two_deliverers_on_one_postgresql_database_send_each_delivery_once_in_order(
    database_url: str, service: Clearway, make_receiver: Any, clock: Clock
) -> None:
    if database_url.startswith("sqlite"):
        pytest.skip("SQLite has one writing process (store/writer_lock.py): two deliverers need PostgreSQL")
    receivers = [make_receiver(lambda n: 200) for _ in range(4)]
    for r in receivers:
        subscribe(service, r.url, ("consignment.decided",))  # every declaration is decided, released or not
    made = [declare(service, f"MSG-C{i}") for i in range(12)]
    # A second process: its own engine, its own lock, the same database.
    other = Clearway(hooks_settings(database_url))
    other.webhooks.clock = clock
    first, second = service.webhooks.deliverer(batch=2), other.webhooks.deliverer(batch=2)
    errors: list[BaseException] = []

    def run(deliverer: Any) -> None:
        try:
            for _ in range(200):
                if not deliverer.run_once() and not [d for d in deliveries(service) if d["state"] == "pending"]:
                    return
        except BaseException as exc:  # reported below: a thread's failure must fail the test
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(d,)) for d in (first, second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    first.close()
    second.close()
    other.close()
    assert errors == []
    for r in receivers:
        assert [x.event["data"]["id"] for x in r.requests] == made


# -- TLS to the address that was checked -------------------------------------------------------------


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    folder = tmp_path_factory.mktemp("tls")
    key, cert = folder / "key.pem", folder / "cert.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            "-keyout", str(key), "-out", str(cert),
            "-subj", "/CN=hooks.test", "-addext", "subjectAltName=DNS:hooks.test",
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return key, cert


@pytest.fixture
def tls_receiver(certificate: tuple[Path, Path]) -> Iterator[tuple[int, list[dict[str, str]]]]:
    """An HTTPS server for hooks.test on 127.0.0.1, recording each request's SNI name and Host header."""
    key, cert = certificate
    seen: list[dict[str, str]] = []
    names: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            seen.append({"host": self.headers["Host"], "sni": names[-1] if names else ""})
            self.send_response(204)
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    context.sni_callback = lambda sock, name, ctx: names.append(name or "")  # type: ignore[assignment,misc]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1], seen
    server.shutdown()
    server.server_close()


def test_https_goes_to_the_checked_address_with_the_names_certificate_sni_and_host(
    service: Clearway, tls_receiver: tuple[int, list[dict[str, str]]], certificate: tuple[Path, Path], clock: Clock
) -> None:
    port, seen = tls_receiver
    service.webhooks.resolve = lambda host, p: ["127.0.0.1"] if host == "hooks.test" else []
    sid, _ = subscribe(service, f"https://hooks.test:{port}/cw", ("consignment.released",))
    declare(service, "MSG-TLS")
    trusted = ssl.create_default_context(cafile=str(certificate[1]))
    deliverer = service.webhooks.deliverer(verify=trusted)
    deliver_all(service, clock, deliverer)
    deliverer.close()
    assert seen == [{"host": f"hooks.test:{port}", "sni": "hooks.test"}]
    [row] = service.webhooks.deliveries(COURIER, sid, state=None, before=None, limit=1)
    assert row["state"] == "delivered" and row["tries"][0]["status_code"] == 204


def test_a_certificate_for_another_name_is_no_connection(
    service: Clearway, tls_receiver: tuple[int, list[dict[str, str]]], certificate: tuple[Path, Path]
) -> None:
    port, seen = tls_receiver
    service.webhooks.resolve = lambda host, p: ["127.0.0.1"]
    sid, _ = subscribe(service, f"https://other.test:{port}/cw", ("consignment.released",))
    declare(service, "MSG-TLS-BAD")
    deliverer = service.webhooks.deliverer(verify=ssl.create_default_context(cafile=str(certificate[1])))
    assert deliverer.run_once() == 1
    deliverer.close()
    [row] = service.webhooks.deliveries(COURIER, sid, state=None, before=None, limit=1)
    assert row["tries"][0]["status_code"] is None and "CERTIFICATE_VERIFY_FAILED" in row["tries"][0]["error"]
    assert seen == []
