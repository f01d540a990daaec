"""`clearway hs suggest|train|evaluate`: the contract of the NDJSON in and out, errors per line, a fresh clone."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from clearway.cli.main import app
from tests.conftest import REFERENCE

LINES = [
    json.dumps(
        {"description": "Women's cotton dress", "category": "Women > Dresses", "price": 12.5, "currency": "USD"}
    ),
    json.dumps({"description": ""}),
    "not json",
    json.dumps({"description": "smartphone 128GB", "attributes": {"colour": "black"}}),
    "",
    json.dumps({"description": "gift"}),
    json.dumps({"description": "x", "price": "cheap"}),
    json.dumps(["a list"]),
    json.dumps({"description": "Chaussures en cuir pour homme " + "😀" * 3000}),
]


@pytest.fixture
def runner(hs_model_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    """The commands run with a database URL that leads nowhere: they never open one."""
    missing = tmp_path / "nowhere" / "clearway.db"
    monkeypatch.setenv("CLEARWAY_DATABASE_URL", f"sqlite:///{missing}")
    monkeypatch.setenv("CLEARWAY_HS_MODEL_DIR", str(hs_model_dir))
    monkeypatch.setenv("CLEARWAY_HS_REFERENCE_DIR", str(REFERENCE))
    yield CliRunner()
    assert not missing.parent.exists()


def write(tmp_path: Path, lines: list[str]) -> Path:
    path = tmp_path / "items.ndjson"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_one_answer_per_line_in_order_with_errors_in_place(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(app, ["hs", "suggest", str(write(tmp_path, LINES)), "--json", "--top", "2"])
    assert result.exit_code == 0, result.output
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(out) == len(LINES)
    dress, empty, bad_json, phone, blank, gift, bad_price, a_list, shoes = out
    for answer in (dress, phone, shoes):
        assert len(answer["suggestions"]) == 2 and isinstance(answer["low_confidence"], bool)
        for s in answer["suggestions"]:
            assert len(s["code"]) >= 6 and s["code"].isdigit() and 0 <= s["confidence"] <= 1 and s["reasons"]
    assert dress["suggestions"][0]["code"][:2] in {"61", "62"}
    assert phone["suggestions"][0]["code"] == "851713"
    assert shoes["suggestions"][0]["code"][:2] == "64"
    assert empty == {"error": "line 2: the description is empty"}
    assert bad_json["error"].startswith("line 3: not JSON")
    assert blank["error"].startswith("line 5: empty line")
    assert gift["suggestions"] == [] and gift["low_confidence"] and "too vague" in gift["why"]
    assert bad_price["error"] == "line 7: 'price' must be a number of 0 or more"
    assert a_list["error"].startswith("line 8: an item is a JSON object")


def test_standard_input_and_the_readable_table(runner: CliRunner) -> None:
    lines = "\n".join([json.dumps({"description": "electric toothbrush"}), "{}"]) + "\n"
    result = runner.invoke(app, ["hs", "suggest", "-", "--top", "1"], input=lines)
    assert result.exit_code == 0, result.output
    assert "850980" in result.stdout and "error: line 2: 'description' is required" in result.stdout
    assert len(result.stdout.splitlines()) == 4


def test_top_is_bounded_and_a_missing_file_is_named(runner: CliRunner, tmp_path: Path) -> None:
    path = write(tmp_path, LINES[:1])
    assert runner.invoke(app, ["hs", "suggest", str(path), "--top", "0"]).exit_code == 2
    result = runner.invoke(app, ["hs", "suggest", str(tmp_path / "nope.ndjson")])
    assert result.exit_code == 1 and "no such file" in result.output


def test_a_large_file_streams_in_batches(runner: CliRunner, tmp_path: Path) -> None:
    lines = [json.dumps({"description": f"cotton t-shirt size {i}"}) if i % 7 else "oops" for i in range(2500)]
    result = runner.invoke(app, ["hs", "suggest", str(write(tmp_path, lines)), "--json", "--top", "1"])
    out = result.stdout.splitlines()
    assert result.exit_code == 0 and len(out) == 2500
    assert all(("error" in json.loads(o)) == (i % 7 == 0) for i, o in enumerate(out))
    assert json.loads(out[2498])["suggestions"][0]["code"][:2] in {"61", "62"}


def test_a_fresh_clone_trains_on_first_use(runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "var" / "hs-model"
    monkeypatch.setenv("CLEARWAY_HS_MODEL_DIR", str(folder))
    result = runner.invoke(app, ["hs", "suggest", str(write(tmp_path, LINES[3:4])), "--json"])
    assert result.exit_code == 0, result.output
    assert f"no HS model in {folder}: training one from" in result.stderr
    assert json.loads(result.stdout)["suggestions"][0]["code"] == "851713"
    assert (folder / "manifest.json").exists()
    again = runner.invoke(app, ["hs", "suggest", str(write(tmp_path, LINES[3:4])), "--json"])
    assert again.exit_code == 0 and "training" not in again.stderr
    # A model an older version wrote is replaced the same way; an altered one is not (below).
    manifest = json.loads((folder / "manifest.json").read_text())
    (folder / "manifest.json").write_text(json.dumps({**manifest, "format": "clearway-hs-classifier/0"}))
    stale = runner.invoke(app, ["hs", "suggest", str(write(tmp_path, LINES[3:4])), "--json"])
    assert stale.exit_code == 0 and "written by another version of Clearway: training one" in stale.stderr
    assert json.loads((folder / "manifest.json").read_text())["format"] == manifest["format"]


def test_an_altered_model_is_refused_not_replaced(runner: CliRunner, hs_model_dir: Path, tmp_path: Path) -> None:
    folder = tmp_path / "model"
    shutil.copytree(hs_model_dir, folder)
    with (folder / "model.npz").open("r+b") as handle:
        handle.seek(100)
        handle.write(b"\x00\x01\x02")
    result = runner.invoke(app, ["hs", "suggest", str(write(tmp_path, LINES[:1])), "--model", str(folder)])
    assert result.exit_code == 1 and "missing or altered" in result.stderr


def test_train_writes_a_model_with_its_held_out_evaluation(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(app, ["hs", "train", "--out", str(tmp_path / "trained"), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    manifest = json.loads((tmp_path / "trained" / "manifest.json").read_text())
    assert summary["version"] == manifest["version"] and summary["evaluation"] == manifest["evaluation"]
    clean = manifest["evaluation"]["clean"]
    assert clean["model"]["top1_6"] > clean["baseline_nearest_neighbour"]["top1_6"]
    assert manifest["evaluation"]["split"]["test"] > 1000


def test_evaluate_reports_model_and_baseline_on_clean_and_noisy(runner: CliRunner) -> None:
    result = runner.invoke(app, ["hs", "evaluate", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["items"] == report["split"]["test"] > 1000
    for side in ("clean", "noisy"):
        model, baseline = report[side]["model"], report[side]["baseline_nearest_neighbour"]
        assert set(model) == {"top1_2", "top1_4", "top1_6", "top3_6"} == set(baseline)
        assert model["top1_2"] >= model["top1_4"] >= model["top1_6"] and model["top3_6"] >= model["top1_6"]
        assert model["top1_6"] > baseline["top1_6"]
        chapters = report[side]["per_chapter"]
        assert sum(c["items"] for c in chapters.values()) == report["items"]
    assert report["clean"]["model"]["top1_2"] > 0.55
