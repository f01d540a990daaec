"""`clearway messages import|show` end to end on the test database: one result per record with the
id and state it became, exit 1 when a record is refused, the original and the answers on request."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from lxml import etree
from typer.testing import CliRunner

from clearway.app.platform import Clearway
from clearway.cli.main import app
from tests.conftest import TEST_SECRET, register_operators

EU = Path(__file__).resolve().parents[1] / "fixtures" / "messages" / "eu"
DECLARANT = "de123456789012345"


@pytest.fixture
def runner(service: Clearway, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("CLEARWAY_DATABASE_URL", service.settings.database_url)
    monkeypatch.setenv("CLEARWAY_SECRET_KEY", TEST_SECRET)
    register_operators(service, {DECLARANT: "courier"})
    return CliRunner()


def test_import_prints_each_record_with_what_it_became(runner: CliRunner) -> None:
    filing = str(EU / "ics2-IE3F22-2-houses.xml")
    result = runner.invoke(app, ["messages", "import", filing, "--standard", "eu-ics2", "--operator", DECLARANT])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("message ") and "IE3F22" in lines[0]
    assert lines[1].startswith("1. IE3F22 HAWB0001: accepted, preloading ") and "(assessment_complete)" in lines[1]
    assert lines[2].startswith("2. IE3F22 HAWB0002: accepted, preloading ")


def test_import_exits_1_when_a_record_is_refused_and_json_names_where(runner: CliRunner) -> None:
    bad = str(EU / "h7-cn-digits.xml")
    result = runner.invoke(app, ["messages", "import", bad, "--standard", "eu-h7", "--operator", DECLARANT, "--json"])
    assert result.exit_code == 1, result.output
    receipt = json.loads(result.output)
    statuses = [r["status"] for r in receipt["records"]]
    assert statuses == ["accepted", "rejected"]
    assert receipt["records"][1]["errors"][0]["pointer"] == "/items/0/hs_code"


def test_show_gives_the_original_and_the_answers(runner: CliRunner) -> None:
    filing = EU / "ics2-IE3F22-2-houses.xml"
    imported = runner.invoke(
        app, ["messages", "import", str(filing), "--standard", "eu-ics2", "--operator", DECLARANT, "--json"]
    )
    message_id = json.loads(imported.output)["id"]
    original = runner.invoke(app, ["messages", "show", message_id, "--original"])
    assert original.exit_code == 0 and original.stdout_bytes == filing.read_bytes()
    answers = runner.invoke(app, ["messages", "show", message_id, "--responses"])
    assert answers.exit_code == 0, answers.output
    parts = ["<?xml" + part for part in answers.output.split("<?xml")[1:]]
    roots = [etree.fromstring(part.encode()).tag for part in parts]
    assert roots == ["IE3R01", "IE3N03"]
    assert runner.invoke(app, ["messages", "show", "0" * 32]).exit_code == 1
