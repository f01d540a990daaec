"""A key revoked or an operator suspended from the command line stops working in a running server
within CLEARWAY_CREDENTIAL_EPOCH_SECONDS, although the server caches verified credentials for
CLEARWAY_CREDENTIAL_CACHE_SECONDS (30): the command moves the credential epoch, which the server
checks before trusting its cache."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from clearway.access import credentials
from clearway.api.app import create_app
from clearway.app.platform import Clearway
from clearway.cli.main import app as cli
from clearway.store import credential_epoch
from tests.api.conftest import Keyring
from tests.conftest import NO_MODEL

EPOCH_SECONDS = 0.5


@pytest.fixture
def server(service: Clearway) -> Iterator[TestClient]:
    """A running server with its own service, as a server process has (the default epoch interval
    is a second; half of one keeps the test short)."""
    settings = dataclasses.replace(service.settings, credential_epoch_seconds=EPOCH_SECONDS)
    svc = Clearway(settings, engine=service.engine)
    with TestClient(create_app(settings, svc, sweep=False), base_url="https://testserver") as client:
        yield client


@pytest.fixture
def shell(service: Clearway, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> CliRunner:
    """The command line, as run on the server: its own process's service, on the same database."""
    monkeypatch.setenv("CLEARWAY_DATABASE_URL", service.settings.database_url)
    monkeypatch.setenv("CLEARWAY_SECRET_KEY", service.settings.secret_key)
    monkeypatch.setenv("CLEARWAY_MODEL_DIR", NO_MODEL)
    monkeypatch.setenv("CLEARWAY_HS_MODEL_DIR", NO_MODEL)
    monkeypatch.setenv("CLEARWAY_SECRET_KEY_FILE", str(tmp_path / "secret.key"))
    return CliRunner()


def run(shell: CliRunner, *args: str) -> None:
    done = shell.invoke(cli, list(args))
    assert done.exit_code == 0, done.output


def bearer(credential: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {credential}"}


def token_for(client: TestClient, api_key: str) -> str:
    parsed = credentials.parse_key(api_key)
    assert parsed is not None, "expected a well-formed key"
    form = {"grant_type": "client_credentials", "client_id": parsed[0], "client_secret": parsed[1]}
    answer = client.post("/v1/oauth/token", data=form)
    assert answer.status_code == 200, answer.text
    token: str = answer.json()["access_token"]
    return token


def test_a_key_revoked_from_the_command_line_stops_within_the_epoch_interval(
    server: TestClient, keyring: Keyring, shell: CliRunner
) -> None:
    client = server
    api_key = keyring.key("op-courier-1")
    token = token_for(client, api_key)
    other = keyring.key("op-courier-2")
    for credential in (api_key, token, other):  # verified, and now in the server's cache
        assert client.get("/v1/consignments", headers=bearer(credential)).status_code == 200
    parsed = credentials.parse_key(api_key)
    assert parsed is not None
    run(shell, "keys", "revoke", parsed[0])
    time.sleep(EPOCH_SECONDS)  # not the 30 s of the credential cache
    assert client.get("/v1/consignments", headers=bearer(api_key)).status_code == 401
    assert client.get("/v1/consignments", headers=bearer(token)).status_code == 401
    assert client.get("/v1/consignments", headers=bearer(other)).status_code == 200  # another key still works


def test_an_operator_suspended_from_the_command_line_stops_within_the_epoch_interval(
    server: TestClient, keyring: Keyring, shell: CliRunner
) -> None:
    client = server
    api_key = keyring.key("op-courier-1")
    token = token_for(client, api_key)
    for credential in (api_key, token):
        assert client.get("/v1/consignments", headers=bearer(credential)).status_code == 200
    run(shell, "operators", "suspend", "op-courier-1")
    time.sleep(EPOCH_SECONDS)
    assert client.get("/v1/consignments", headers=bearer(api_key)).status_code == 401
    assert client.get("/v1/consignments", headers=bearer(token)).status_code == 401
    run(shell, "operators", "activate", "op-courier-1")
    time.sleep(EPOCH_SECONDS)
    assert client.get("/v1/consignments", headers=bearer(api_key)).status_code == 200


def test_with_no_interval_a_revocation_bites_on_the_next_request(
    service: Clearway, keyring: Keyring, shell: CliRunner
) -> None:
    settings = dataclasses.replace(service.settings, credential_epoch_seconds=0)
    svc = Clearway(settings, engine=service.engine)
    api_key = keyring.key("op-courier-1")
    with TestClient(create_app(settings, svc, sweep=False), base_url="https://testserver") as client:
        assert client.get("/v1/consignments", headers=bearer(api_key)).status_code == 200
        run(shell, "operators", "suspend", "op-courier-1")
        assert client.get("/v1/consignments", headers=bearer(api_key)).status_code == 401


def test_the_epoch_moves_only_with_the_change(service: Clearway, keyring: Keyring) -> None:
    def epoch() -> int:
        with service.engine.connect() as conn:
            return credential_epoch.read(conn)

    keyring.key("op-courier-1")
    before = epoch()
    service.access.set_status("op-courier-1", "suspended", actor="test")
    assert epoch() == before + 1

    def bump_then_fail() -> None:
        with service.engine.begin() as conn:
            credential_epoch.bump(conn)
            conn.execute(sa.text("INSERT INTO credential_epoch (id, epoch) VALUES (1, 0)"))  # a duplicate

    with pytest.raises(sa.exc.IntegrityError):
        bump_then_fail()
    assert epoch() == before + 1  # rolled back with the transaction it was part of
