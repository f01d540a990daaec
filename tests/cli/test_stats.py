"""`clearway stats ...`: the same figures as the API, exports that read back, refused options."""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from typer.testing import CliRunner

from clearway.access.roles import Role
from clearway.api.app import create_app
from clearway.app.platform import Clearway
from clearway.cli.main import app
from clearway.stats.facts import FACTS_SCHEMA
from tests.api.test_access_api import sign_in
from tests.stats.dataset import BUYER, NOVEMBER, SELLER, load_fixed

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

WINDOW = ["--from", NOVEMBER[0], "--to", NOVEMBER[1]]


@pytest.fixture
def runner(service: Clearway, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("CLEARWAY_DATABASE_URL", service.settings.database_url)
    monkeypatch.setenv("CLEARWAY_SECRET_KEY", service.settings.secret_key)
    monkeypatch.setenv("CLEARWAY_MODEL_DIR", service.settings.model_dir)
    return CliRunner()


@pytest.fixture
def fixed(service: Clearway) -> dict[str, str]:
    return load_fixed(service)


@pytest.fixture
def api(service: Clearway) -> Iterator[TestClient]:
    with TestClient(create_app(service.settings, service, sweep=False), base_url="https://testserver") as client:
        sign_in(client, service, "sam", Role.STATISTICIAN)
        yield client


def cli_json(runner: CliRunner, *args: str) -> Any:
    done = runner.invoke(app, ["stats", *args, "--json"])
    assert done.exit_code == 0, done.output
    return json.loads(done.stdout)


@pytest.mark.parametrize(
    ("command", "path", "options"),
    [
        (["kpis", *WINDOW], "/v1/stats/kpis", {"from": NOVEMBER[0], "to": NOVEMBER[1]}),
        (["kpis"], "/v1/stats/kpis", {}),
        (
            ["series", "--by", "origin", "--period", "week", "--metric", "revenue_eur", *WINDOW],
            "/v1/stats/series",
            {"by": "origin", "period": "week", "metric": "revenue_eur", "from": NOVEMBER[0], "to": NOVEMBER[1]},
        ),
        (["series", "--period", "month"], "/v1/stats/series", {"period": "month"}),
        (["breakdown", "--by", "hs_chapter", "--top", "3"], "/v1/stats/breakdown", {"by": "hs_chapter", "top": 3}),
        (
            ["breakdown", "--by", "collection_model", *WINDOW],
            "/v1/stats/breakdown",
            {"by": "collection_model", "from": NOVEMBER[0], "to": NOVEMBER[1]},
        ),
    ],
)
def test_the_cli_and_the_api_agree(
    runner: CliRunner,
    api: TestClient,
    fixed: dict[str, str],
    command: list[str],
    path: str,
    options: dict[str, Any],
) -> None:
    answer = api.get(path, params=options)
    assert answer.status_code == 200, answer.text
    assert cli_json(runner, *command) == answer.json()


def test_kpis_as_text(runner: CliRunner, fixed: dict[str, str]) -> None:
    done = runner.invoke(app, ["stats", "kpis", *WINDOW])
    assert done.exit_code == 0, done.output
    text = " ".join(done.stdout.split())
    assert "window 2026-11-01 .. 2026-11-30" in text
    assert "consignments 11" in text and "released automatically 55.56% (5 of 9)" in text
    assert "hit rate 66.67% (2 findings in 3 outcomes)" in text
    series = runner.invoke(app, ["stats", "series", "--by", "channel", "--period", "week", *WINDOW])
    assert series.exit_code == 0 and "2026-11-16" in series.stdout and "courier" in series.stdout
    breakdown = runner.invoke(app, ["stats", "breakdown", "--by", "origin", *WINDOW])
    assert breakdown.exit_code == 0 and "CN" in breakdown.stdout


@pytest.mark.parametrize("suffix", ["parquet", "csv"])
def test_export_reads_back(runner: CliRunner, fixed: dict[str, str], tmp_path: Path, suffix: str) -> None:
    out = tmp_path / f"facts.{suffix}"
    summary = cli_json(runner, "export", str(out), *WINDOW)
    assert summary == {"path": str(out), "format": suffix, "consignments": 11, "bytes": out.stat().st_size}
    frame = pl.read_parquet(out) if suffix == "parquet" else pl.read_csv(out)
    assert frame.height == 11 and frame.columns == list(FACTS_SCHEMA)
    assert frame["value_eur"].sum() == pytest.approx(250.0)
    if suffix == "csv":
        assert BUYER not in out.read_text() and SELLER not in out.read_text()


@pytest.mark.parametrize(
    "args",
    [
        ["series", "--by", "buyer"],
        ["series", "--metric", "profit"],
        ["breakdown", "--by", "origin", "--top", "0"],
        ["kpis", "--from", "2026-13-01"],
        ["kpis", "--from", "2026-11-20", "--to", "2026-11-19"],
        ["export", "facts.xlsx"],
        ["export", "facts.csv", "--format", "xlsx"],
    ],
)
def test_refused_options(runner: CliRunner, service: Clearway, args: list[str]) -> None:
    done = runner.invoke(app, ["stats", *args])
    assert done.exit_code == 2, done.output
