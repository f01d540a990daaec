"""The outbox is pruned by the retention run: finished deliveries (delivered, failed, cancelled) past
CLEARWAY_WEBHOOKS_RETENTION_DAYS go with their tries and their events; a pending one never does."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from clearway.app.platform import Clearway
from clearway.cli.main import app as cli
from clearway.store.webhook_retention import prune_webhooks
from clearway.store.webhook_tables import webhook_attempts, webhook_deliveries, webhook_events
from tests.conftest import TEST_SECRET
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


def _count(service: Clearway, table: sa.Table) -> int:
    with service.engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())


def _prune(service: Clearway, cutoff: dt.datetime, limit: int = 10_000) -> int:
    with service.engine.begin() as conn:
        return prune_webhooks(conn, cutoff, limit=limit)


def test_finished_deliveries_go_with_their_tries_and_an_event_stays_while_a_delivery_of_it_waits(
    service: Clearway, make_receiver: Callable[[Behaviour], Receiver], clock: Clock
) -> None:
    ok, broken = make_receiver(lambda n: 200), make_receiver(lambda n: 500)
    subscribe(service, ok.url, ("consignment.released",))
    broken_sid, _ = subscribe(service, broken.url, ("consignment.released",))
    declare(service, "MSG-OLD-1")
    declare(service, "MSG-OLD-2")
    deliverer = service.webhooks.deliverer(timeout=0.4)
    deliver_all(service, clock, deliverer)
    deliverer.close()
    assert sorted(d["state"] for d in deliveries(service)) == ["delivered", "delivered", "failed", "failed"]
    queued = max(d["queued_at"] for d in deliveries(service))
    # Within the retention period, nothing goes.
    assert _prune(service, queued - dt.timedelta(seconds=1)) == 0
    # The broken endpoint's first failure is asked for again: pending, so it stays, with its event.
    first_failed = min((d for d in deliveries(service) if d["state"] == "failed"), key=lambda d: d["queued_at"])
    service.webhooks.redeliver(COURIER, broken_sid, first_failed["id"])
    later = clock() + dt.timedelta(days=3)
    # In steps of one, as the retention run commits them: each step its own transaction.
    assert [_prune(service, later, limit=1) for _ in range(4)] == [1, 1, 1, 0]
    [kept] = deliveries(service)
    assert kept["id"] == first_failed["id"] and kept["state"] == "pending"
    assert _count(service, webhook_events) == 1  # the other event had no delivery left
    with service.engine.connect() as conn:
        tries = conn.execute(sa.select(webhook_attempts.c.delivery_id)).scalars().all()
    assert set(tries) == {kept["id"]}  # the pruned deliveries' tries went with them
    # However old, a pending delivery is still to be sent: never pruned.
    assert _prune(service, later + dt.timedelta(days=3650)) == 0
    with pytest.raises(ValueError, match="naive"):
        _prune(service, later.replace(tzinfo=None))


def test_a_cancelled_delivery_is_pruned_too(service: Clearway, receiver: Receiver, clock: Clock) -> None:
    sid, _ = subscribe(service, receiver.url, ("consignment.released",))
    declare(service, "MSG-CANCEL")
    service.webhooks.delete(COURIER, sid)  # nothing sent: the delivery is cancelled
    assert [d["state"] for d in deliveries(service)] == ["cancelled"]
    assert _prune(service, clock() + dt.timedelta(days=1)) == 1
    assert _count(service, webhook_deliveries) == _count(service, webhook_events) == 0


def test_the_retention_run_prunes_what_is_older_than_the_setting(
    service: Clearway, receiver: Receiver, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    subscribe(service, receiver.url, ("consignment.released",))
    old, recent = declare(service, "MSG-AGED"), declare(service, "MSG-FRESH")
    deliverer = service.webhooks.deliverer()
    deliver_all(service, clock, deliverer)
    deliverer.close()
    # Their ages, as if queued 40 and 10 days ago.
    now = dt.datetime.now(dt.UTC)
    with service.engine.begin() as conn:
        for subject, days in ((old, 40), (recent, 10)):
            event = sa.select(webhook_events.c.id).where(webhook_events.c.subject == subject).scalar_subquery()
            conn.execute(
                webhook_deliveries.update()
                .where(webhook_deliveries.c.event_id == event)
                .values(queued_at=now - dt.timedelta(days=days))
            )
    monkeypatch.setenv("CLEARWAY_DATABASE_URL", service.settings.database_url)
    monkeypatch.setenv("CLEARWAY_SECRET_KEY", TEST_SECRET)
    monkeypatch.setenv("CLEARWAY_WEBHOOKS_RETENTION_DAYS", "30")
    done = CliRunner().invoke(cli, ["privacy", "retention"])
    assert done.exit_code == 0, done.output
    assert "pruned 1 finished webhook deliveries older than 30 days" in " ".join(done.output.split())
    with service.engine.connect() as conn:
        left = conn.execute(sa.select(webhook_events.c.subject)).scalars().all()
    assert left == [recent]
    assert service.verify_audit().ok
