"""`clearway risk train|score|evaluate|replay|drift` from the shell, with --json."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from clearway.app.platform import Clearway
from clearway.cli.main import app
from clearway.simulate import SimulationConfig, generate, write_traffic
from clearway.simulate.fraud import FRAUD_PRESETS

SHARES = {"1", "2", "5", "10"}


@pytest.fixture
def runner(service: Clearway, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> CliRunner:
    monkeypatch.setenv("CLEARWAY_DATABASE_URL", service.settings.database_url)
    monkeypatch.setenv("CLEARWAY_SECRET_KEY", service.settings.secret_key)
    monkeypatch.setenv("CLEARWAY_MODEL_DIR", str(tmp_path / "model"))
    return CliRunner()


@pytest.mark.slow
def test_evaluate_prints_every_ranking_side_by_side(runner: CliRunner) -> None:
    done = runner.invoke(app, ["risk", "evaluate", "--simulate", "20000", "--days", "56", "--json"])
    assert done.exit_code == 0, done.output
    report = json.loads(done.stdout)
    assert set(report["models"]) == {"model", "gbdt_baseline", "rules", "value", "random"}
    for ranking in report["models"].values():
        assert 0.0 <= ranking["auc"] <= 1.0
        assert all(set(ranking[m]) == SHARES for m in ("precision", "recall", "revenue"))
    assert report["split"]["by"] == "time" and report["split"]["test_findings"] > 0
    assert report["data"] == {"simulated": 20000, "seed": 1, "days": 56.0, "fraud": "default"}
    table = runner.invoke(app, ["risk", "evaluate", "--simulate", "5000", "--days", "28", "--fraud", "alternate"])
    assert table.exit_code == 0, table.output
    assert "gbdt_baseline" in table.stdout and "Rev@5%" in table.stdout


@pytest.mark.slow
def test_train_then_score_a_file_then_drift(runner: CliRunner, tmp_path: Path) -> None:
    done = runner.invoke(app, ["risk", "train", "--simulate", "6000", "--days", "28", "--json"])
    assert done.exit_code == 0, done.output
    summary = json.loads(done.stdout)
    assert summary["rows"] == 6000 and (tmp_path / "model" / "manifest.json").exists()
    traffic = generate(300, seed=12, config=SimulationConfig(fraud=FRAUD_PRESETS["default"]))
    write_traffic(traffic, tmp_path / "sim")
    scored = runner.invoke(
        app,
        ["risk", "score", str(tmp_path / "sim" / "consignments.ndjson"), "--out", str(tmp_path / "s.ndjson"), "--json"],
    )
    assert scored.exit_code == 0, scored.output
    assert json.loads(scored.stdout)["consignments"] == 300
    lines = [json.loads(line) for line in (tmp_path / "s.ndjson").read_text().splitlines()]
    assert len(lines) == 300 and all(0 <= r["model_probability"] <= 1 and r["model_contributions"] for r in lines)
    drift = runner.invoke(app, ["risk", "drift", "--json"])
    assert drift.exit_code == 0, drift.output
    assert json.loads(drift.stdout)["consignments"] == 0  # nothing in the store yet


def test_train_on_data_written_by_simulate(runner: CliRunner, tmp_path: Path) -> None:
    traffic = generate(3000, seed=2, config=SimulationConfig(days=21, fraud=FRAUD_PRESETS["default"]))
    write_traffic(traffic, tmp_path / "sim")
    done = runner.invoke(app, ["risk", "train", "--data", str(tmp_path / "sim"), "--json"])
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["rows"] == 3000


@pytest.mark.slow
def test_replay_shows_both_policies(runner: CliRunner) -> None:
    done = runner.invoke(app, ["risk", "replay", "--simulate", "8000", "--days", "28", "--json"])
    assert done.exit_code == 0, done.output
    result = json.loads(done.stdout)
    assert set(result["policies"]) == {"exploit", "explore_10"}
    assert all(len(p["curve"]) == len(result["weeks"]) for p in result["policies"].values())
    table = runner.invoke(app, ["risk", "replay", "--simulate", "5000", "--days", "21"])
    assert table.exit_code == 0 and "explore_10" in table.stdout and "mean" in table.stdout


def test_errors_are_precise(runner: CliRunner, tmp_path: Path) -> None:
    empty_store = runner.invoke(app, ["risk", "train"])
    assert empty_store.exit_code == 1 and "no recorded inspection outcomes" in empty_store.output
    (tmp_path / "bad.ndjson").write_text("{}\n")
    bad = runner.invoke(app, ["risk", "score", str(tmp_path / "bad.ndjson")])
    assert bad.exit_code == 1 and "bad.ndjson:1:" in bad.output
    record = json.dumps(json.loads((Path(__file__).parents[1] / "fixtures" / "consignment.json").read_text()))
    (tmp_path / "c.ndjson").write_text(record + "\n")
    no_model = runner.invoke(app, ["risk", "score", str(tmp_path / "c.ndjson")])
    assert no_model.exit_code == 1 and "no usable model" in no_model.output
    missing = runner.invoke(app, ["risk", "evaluate", "--data", str(tmp_path / "nowhere")])
    assert missing.exit_code == 1 and "consignments.ndjson is missing" in missing.output
