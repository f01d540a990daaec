"""`clearway alerts ...`: our key, partners, an import refused and accepted, an export written to a file."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from clearway.app.platform import Clearway
from clearway.cli.main import app
from clearway.dataset.records import Consignment
from clearway.risk import partner_alerts as pa
from tests.app.test_alerts import NL_KEY, SHARED, SHARED_B64, nl_envelope, seize


@pytest.fixture
def runner(service: Clearway, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("CLEARWAY_DATABASE_URL", service.settings.database_url)
    monkeypatch.setenv("CLEARWAY_SECRET_KEY", service.settings.secret_key)
    monkeypatch.setenv("CLEARWAY_MODEL_DIR", service.settings.model_dir)
    return CliRunner()


def add_nl(runner: CliRunner, *more: str) -> str:
    public = pa.encode_key(pa.public_bytes(NL_KEY))
    args = ["alerts", "partners", "add", "NL", "--name", "Douane Nederland", "--key-id", "nl-1"]
    done = runner.invoke(app, [*args, "--public-key", public, *more])
    assert done.exit_code == 0, done.output
    return done.stdout


def test_partners_are_added_and_listed_without_their_shared_key(runner: CliRunner) -> None:
    assert add_nl(runner, "--shared-key", SHARED_B64) == ""
    listed = runner.invoke(app, ["alerts", "partners", "list", "--json"])
    [row] = [json.loads(line) for line in listed.stdout.splitlines()]
    assert row["code"] == "NL" and "shared_key" not in row and SHARED_B64 not in listed.stdout


def test_a_partner_without_a_shared_key_gets_one_printed_once(runner: CliRunner) -> None:
    printed = add_nl(runner).strip()
    assert len(pa.decode_key(printed, "shared key")) == 32
    assert printed not in runner.invoke(app, ["alerts", "partners", "list"]).output


def test_a_bad_public_key_is_refused_on_one_line(runner: CliRunner) -> None:
    done = runner.invoke(app, ["alerts", "partners", "add", "NL", "--name", "x", "--key-id", "k", "--public-key", "x"])
    assert done.exit_code == 1 and "/public_key" in done.output


def test_import_refuses_a_tampered_envelope_and_accepts_the_signed_one(
    runner: CliRunner, consignment: Consignment, tmp_path: Path
) -> None:
    add_nl(runner, "--shared-key", SHARED_B64)
    file = tmp_path / "nl.json"
    file.write_bytes(nl_envelope(consignment).replace(b'"620610"', b'"640399"'))
    refused = runner.invoke(app, ["alerts", "import", str(file)])
    assert refused.exit_code == 1 and "refused (bad_signature)" in refused.output
    file.write_bytes(nl_envelope(consignment))
    done = runner.invoke(app, ["alerts", "import", str(file), "--json"])
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout) | {"envelope_id": ""} == {"envelope_id": "", "partner": "NL", "alerts": 1, "new": 1}
    listed = runner.invoke(app, ["alerts", "list", "--json"])
    assert json.loads(listed.stdout)["finding"] == "counterfeit"


def test_import_from_an_unknown_partner_is_refused(runner: CliRunner, consignment: Consignment, tmp_path: Path) -> None:
    file = tmp_path / "nl.json"
    file.write_bytes(nl_envelope(consignment))
    done = runner.invoke(app, ["alerts", "import", str(file)])
    assert done.exit_code == 1 and "refused (unknown_partner)" in done.output


def test_export_writes_a_signed_envelope_for_the_partner(
    runner: CliRunner, service: Clearway, consignment: Consignment, standard_operators: None, tmp_path: Path
) -> None:
    add_nl(runner, "--shared-key", SHARED_B64)
    assert (
        runner.invoke(app, ["alerts", "export", "--partner", "NL", "--since", "2026-01-01", "--out", "x"]).exit_code
        == 1
    )
    key = runner.invoke(app, ["alerts", "key", "create", "--issuer", "DE", "--json"])
    ours = json.loads(key.stdout)
    seize(service, consignment)
    out = tmp_path / "for-nl.json"
    since = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)).isoformat()
    done = runner.invoke(app, ["alerts", "export", "--partner", "NL", "--since", since, "--out", str(out)])
    assert done.exit_code == 0, done.output
    at_nl = {"DE": pa.Partner("DE", "Zoll", ours["key_id"], pa.decode_key(ours["public_key"]), SHARED)}
    [alert] = pa.verify(out.read_bytes(), at_nl, dt.datetime.now(dt.UTC)).alerts
    assert alert.finding == "counterfeit" and b"Anna Schmidt" not in out.read_bytes()
