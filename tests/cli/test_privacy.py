"""`clearway privacy ...` end to end on the test database."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from clearway.app.platform import Clearway
from clearway.cli.main import app
from clearway.dataset.records import Consignment
from tests.conftest import TEST_SECRET


def test_retention_and_exports(
    service: Clearway, consignment: Consignment, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLEARWAY_DATABASE_URL", service.settings.database_url)
    monkeypatch.setenv("CLEARWAY_SECRET_KEY", TEST_SECRET)
    [result] = service.submit_consignments("op-courier-1", [consignment], now=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
    service.cancel("op-courier-1", result.id or "", "withdrawn", now=dt.datetime(2020, 1, 2, tzinfo=dt.UTC))
    runner = CliRunner()
    pseudonymised = tmp_path / "analysis.ndjson"
    assert runner.invoke(app, ["privacy", "export-consignments", "--out", str(pseudonymised)]).exit_code == 0
    assert "Anna Schmidt" not in pseudonymised.read_text() and "psn:" in pseudonymised.read_text()
    mine = tmp_path / "mine.ndjson"
    assert runner.invoke(app, ["privacy", "export-operator", "op-courier-1", "--out", str(mine)]).exit_code == 0
    assert "Anna Schmidt" in mine.read_text()  # the operator's own data, as it sent it
    done = runner.invoke(app, ["privacy", "retention", "--days", "365"])
    assert done.exit_code == 0 and "anonymised 1 closed" in done.output
    runner.invoke(app, ["privacy", "export-operator", "op-courier-1", "--out", str(mine)])
    lines = [json.loads(line) for line in mine.read_text().splitlines()]
    assert "Anna Schmidt" not in mine.read_text() and lines
    assert service.verify_audit().ok
