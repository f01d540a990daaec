"""`clearway quote` and `clearway revenue ...` from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from clearway.app.platform import Clearway
from clearway.cli.main import app

REQUEST = {
    "destination": "CH",
    "as_of": "2025-03-01",
    "currency": "CHF",
    "origin_country": "DE",
    "items": [{"description": "book", "hs_code": "490199", "quantity": "1", "unit_value": "40", "origin": "DE"}],
}


@pytest.fixture
def runner(service: Clearway, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("CLEARWAY_DATABASE_URL", service.settings.database_url)
    monkeypatch.setenv("CLEARWAY_SECRET_KEY", service.settings.secret_key)
    return CliRunner()


def test_quote_reads_one_object_or_ndjson_and_stdin(runner: CliRunner, tmp_path: Path) -> None:
    one = tmp_path / "one.json"
    one.write_text(json.dumps(REQUEST, indent=2))
    result = runner.invoke(app, ["quote", str(one)])
    assert result.exit_code == 0, result.output
    [answer] = [json.loads(line) for line in result.stdout.splitlines()]
    assert answer["destination"] == "CH" and answer["currency"] == "CHF"
    lines = "\n".join(json.dumps({**REQUEST, "destination": d}) for d in ("CH", "DE", "GB")) + "\n"
    result = runner.invoke(app, ["quote", "-"], input=lines)
    assert result.exit_code == 0, result.output
    assert [json.loads(line)["destination"] for line in result.stdout.splitlines()] == ["CH", "DE", "GB"]


def test_quote_reports_bad_lines_and_exits_1(runner: CliRunner) -> None:
    lines = json.dumps(REQUEST) + "\n" + json.dumps({**REQUEST, "currency": "EURO"}) + "\nnot json\n"
    result = runner.invoke(app, ["quote", "-"], input=lines)
    assert result.exit_code == 1
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert "total" in out[0]
    assert out[1]["line"] == 2 and out[1]["errors"][0]["pointer"] == "/currency"
    assert out[2]["line"] == 3 and "malformed JSON" in out[2]["errors"][0]["detail"]


def test_registry_and_rates_import_and_statement(runner: CliRunner, tmp_path: Path, service: Clearway) -> None:
    registry = tmp_path / "ioss.csv"
    registry.write_text("scheme,number,holder,start,end\nIOSS,IM3720000015,ShopWorld,2021-07-01,\n")
    result = runner.invoke(app, ["revenue", "schemes", "import", str(registry)])
    assert result.exit_code == 0, result.output
    assert "IOSS: 1 registrations" in result.output
    rates = tmp_path / "rates.csv"
    rates.write_text("currency,to_currency,start,end,rate\nUSD,EUR,2026-11-01,2026-11-30,0.9000\n")
    assert runner.invoke(app, ["revenue", "rates", "import", str(rates)]).exit_code == 0
    quote = {**REQUEST, "destination": "DE", "as_of": "2026-11-10", "currency": "USD"}
    result = runner.invoke(app, ["quote", "-"], input=json.dumps(quote))
    answer = json.loads(result.stdout)
    assert answer["exchange_rate"]["rate"] == "0.9000" and "rates.csv" in answer["exchange_rate"]["source"]
    bad = tmp_path / "bad.csv"
    bad.write_text("currency,to_currency,start,end,rate\nUSD,EUR,2026-11-01,soon,0.9\n")
    result = runner.invoke(app, ["revenue", "rates", "import", str(bad)])
    assert result.exit_code == 1 and "row 2, column end" in result.output
    result = runner.invoke(app, ["revenue", "statement", "--month", "2026-11", "--json"])
    assert result.exit_code == 0 and json.loads(result.stdout) == {"month": "2026-11", "kind": "schemes", "lines": []}
