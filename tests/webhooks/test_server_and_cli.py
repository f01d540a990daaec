"""The deliverer where it runs: in the server's lifespan, and as `clearway webhooks deliver`."""

from __future__ import annotations

import dataclasses
import json
import time
import warnings

import pytest
from typer.testing import CliRunner

from clearway.api.app import create_app
from clearway.app.platform import Clearway
from clearway.cli.main import app as cli
from tests.conftest import TEST_SECRET
from tests.webhooks.conftest import COURIER, Receiver, declare, subscribe

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient


def test_the_server_delivers_in_the_background_what_its_api_subscribed_to(
    service: Clearway, receiver: Receiver
) -> None:
    settings = dataclasses.replace(service.settings, webhooks_poll_seconds=0.05, rate_limit_per_second=0)
    key, _ = service.access.issue_key(COURIER, actor="test:setup")
    auth = {"Authorization": f"Bearer {key.plaintext}"}
    with TestClient(create_app(settings, service, sweep=True), base_url="https://testserver") as client:
        body = {"url": receiver.url, "event_types": ["consignment.released"]}
        made = client.post("/v1/webhooks", json=body, headers=auth).json()
        cid = declare(service, "MSG-SERVER")
        deadline = time.monotonic() + 10
        while not receiver.requests and time.monotonic() < deadline:
            time.sleep(0.05)
        [arrived] = receiver.requests
        assert arrived.verify(made["secret"])["data"]["id"] == cid
        # The log says so, once the result is recorded.
        while time.monotonic() < deadline:
            [row] = client.get(f"/v1/webhooks/{made['id']}/deliveries", headers=auth).json()["items"]
            if row["state"] == "delivered":
                break
            time.sleep(0.05)
        assert row["state"] == "delivered" and [a["status_code"] for a in row["attempts"]] == [200]


@pytest.fixture
def runner(service: Clearway, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("CLEARWAY_DATABASE_URL", service.settings.database_url)
    monkeypatch.setenv("CLEARWAY_SECRET_KEY", TEST_SECRET)
    monkeypatch.setenv("CLEARWAY_WEBHOOKS_ALLOW_PRIVATE", "1")
    return CliRunner()


def test_deliver_once_sends_what_is_due_and_list_counts_it(
    runner: CliRunner, service: Clearway, receiver: Receiver
) -> None:
    sid, secret = subscribe(service, receiver.url, ("consignment.decided", "consignment.released"))
    declare(service, "MSG-CLI")
    done = runner.invoke(cli, ["webhooks", "deliver", "--once"])
    assert done.exit_code == 0, done.output
    assert "made 2 delivery tries" in done.output
    assert [r.verify(secret)["type"] for r in receiver.requests] == ["consignment.decided", "consignment.released"]
    listed = runner.invoke(cli, ["webhooks", "list", "--operator", COURIER, "--json"])
    assert listed.exit_code == 0, listed.output
    [row] = [json.loads(line) for line in listed.stdout.splitlines()]
    assert row["id"] == sid and row["deliveries"] == {"delivered": 2}
    assert "secret" not in row and "whsec_" not in listed.stdout
    table = runner.invoke(cli, ["webhooks", "list", "--operator", "op-post-1"])
    assert table.exit_code == 0 and "op-post-1 has no webhook subscriptions" in table.output
