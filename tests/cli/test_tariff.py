"""`clearway tariff import` and `clearway tariff show` end to end on the test database."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from clearway.app.platform import Clearway
from clearway.cli.main import app
from clearway.store.tariff_repo import SqlTariffStore
from tests.conftest import REFERENCE_DATA, TEST_SECRET

UK_FIXTURE = REFERENCE_DATA / "uk-tariff-fixture" / "commodity_0101210000.json"
HEADER = "jurisdiction,code,origins,measure_type,duty,start,end,reference"


@pytest.fixture
def runner(service: Clearway, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("CLEARWAY_DATABASE_URL", service.settings.database_url)
    monkeypatch.setenv("CLEARWAY_SECRET_KEY", TEST_SECRET)
    return CliRunner()


def test_import_uk_commodity_and_show(runner: CliRunner, service: Clearway) -> None:
    done = runner.invoke(app, ["tariff", "import", str(UK_FIXTURE)])
    assert done.exit_code == 0, done.output
    assert "imported 27 measures for GB from uk-trade-tariff:0101210000" in done.output
    assert "skipped 2 duty measures" in done.output and "geographical area XC" in done.output

    again = runner.invoke(app, ["tariff", "import", str(UK_FIXTURE), "--json"])
    assert again.exit_code == 0
    result = json.loads(again.stdout)
    assert result["imported"] == {"GB": 27} and result["source"] == "uk-trade-tariff:0101210000"
    assert [s["measure_id"] for s in result["skipped"]] == ["20126145", "20126257"]
    assert SqlTariffStore(service.engine).count_by_jurisdiction() == {"GB": 27}  # replaced, not added

    shown = runner.invoke(app, ["tariff", "show", "0101210000", "--jurisdiction", "GB", "--date", "2024-05-01"])
    assert shown.exit_code == 0, shown.output
    assert "GB 0101210000 third country (any origin)" in shown.stdout
    assert "duty: 0 %  [as published: 0.00 %]" in shown.stdout and "reference: C2100001" in shown.stdout

    args = [
        "tariff",
        "show",
        "0101.21.0000",
        "--jurisdiction",
        "gb",
        "--origin",
        "jm",
        "--date",
        "2024-05-01",
        "--json",
    ]
    preference = runner.invoke(app, args)
    assert preference.exit_code == 0, preference.output
    measure = json.loads(preference.stdout)
    assert measure["measure_type"] == "preference" and "JM" in measure["origins"]
    assert measure["terms"] == [{"op": "+", "kind": "ad_valorem", "amount": "0.0", "currency": None, "unit": None}]
    assert measure["duty"] == "0 %" and measure["as_of"] == "2024-05-01"

    before = runner.invoke(app, ["tariff", "show", "0101210000", "--jurisdiction", "GB", "--date", "2020-12-31"])
    assert before.exit_code == 1
    assert "no GB measure in force for 0101210000 on 2020-12-31" in before.output
    assert service.verify_audit().ok


def test_import_csv_and_show(runner: CliRunner, tmp_path: Path) -> None:
    schedule = tmp_path / "eu-2024.csv"
    schedule.write_text(
        f"{HEADER}\n"
        "EU,0406,,third_country,12% + 3.50 EUR/100kg MAX 20%,2024-01-01,,R2658/87\n"
        "EU,0406,CH,preference,free,2024-01-01,2024-12-31,EU-CH\n"
        "AU,0406,,,5%,2024-01-01,,Customs Tariff Act 1995\n"
    )
    done = runner.invoke(app, ["tariff", "import", str(schedule), "--json"])
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout) == {"source": "eu-2024.csv", "imported": {"AU": 1, "EU": 2}, "skipped": []}

    shown = runner.invoke(
        app, ["tariff", "show", "0406109000", "--jurisdiction", "EU", "--origin", "US", "--date", "2024-06-01"]
    )
    assert shown.exit_code == 0
    assert "EU 0406 third country (any origin)" in shown.stdout
    assert "duty: 12 % + 3.5 EUR / 100kg MAX 20 %" in shown.stdout and "in force: from 2024-01-01" in shown.stdout
    swiss = runner.invoke(
        app, ["tariff", "show", "0406109000", "--jurisdiction", "EU", "--origin", "CH", "--date", "2024-06-01"]
    )
    assert "preference (CH)" in swiss.stdout and "duty: free" in swiss.stdout and "to 2024-12-31" in swiss.stdout


@pytest.mark.parametrize(
    ("name", "content", "extra", "message"),
    [
        ("bad.csv", f"{HEADER}\nEU,0406,,,12 %%,2024-01-01,,\n", [], "bad.csv: row 2, column 'duty': cannot read '%'"),
        ("empty.csv", f"{HEADER}\n", [], "empty.csv: no measures"),
        ("header.csv", "code,duty\n", [], "row 1: missing column(s) jurisdiction, origins"),
        ("tariff.txt", "", [], "cannot tell the format of tariff.txt from its extension"),
        ("tariff.txt", "", ["--format", "xml"], "unknown format 'xml'; use uk-json or csv"),
        ("broken.json", '{"data": ', [], "broken.json: not JSON"),
        ("list.json", "[1]", [], "not a UK Trade Tariff commodity document"),
        ("other.json", '{"data": {"id": "1"}}', [], "other.json: not a UK Trade Tariff v2 commodity document"),
        ("csv.json", f"{HEADER}\n", ["--format", "csv"], "csv.json: no measures"),
    ],
)
def test_bad_files_exit_1_with_a_precise_message(
    runner: CliRunner, service: Clearway, tmp_path: Path, name: str, content: str, extra: list[str], message: str
) -> None:
    path = tmp_path / name
    path.write_text(content)
    done = runner.invoke(app, ["tariff", "import", str(path), *extra])
    assert done.exit_code == 1
    assert message in done.output
    assert SqlTariffStore(service.engine).count_by_jurisdiction() == {}


def test_a_missing_file_and_bad_arguments(runner: CliRunner, tmp_path: Path) -> None:
    missing = runner.invoke(app, ["tariff", "import", str(tmp_path / "nope.csv")])
    assert missing.exit_code == 1 and "nope.csv is not a file" in missing.output
    code = runner.invoke(app, ["tariff", "show", "61A", "--jurisdiction", "EU"])
    assert code.exit_code == 1 and "'61A' is not a commodity code of 2 to 10 digits" in code.output
    date = runner.invoke(app, ["tariff", "show", "6109", "--jurisdiction", "EU", "--date", "tomorrow"])
    assert date.exit_code == 1 and "--date 'tomorrow' is not a date YYYY-MM-DD" in date.output
