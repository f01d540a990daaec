"""`clearway screening score-pairs`: a CSV of name pairs in, the same rows with a score out."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from clearway.cli_screening import screening_app
from clearway.risk.screening import score


@pytest.fixture
def cli() -> typer.Typer:
    app = typer.Typer()
    app.add_typer(screening_app, name="screening")  # as cli.py wires it
    return app


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_score_pairs_from_a_file_to_stdout(cli: typer.Typer, tmp_path: Path) -> None:
    pairs = tmp_path / "pairs.csv"
    pairs.write_text('name1,name2,note\n"PETROV, Ivan",Ivan Petrov,reordered\n王小明,Wang Xiaoming,pinyin\n', "utf-8")
    done = CliRunner().invoke(cli, ["screening", "score-pairs", str(pairs)])
    assert done.exit_code == 0, done.output
    rows = _rows(done.stdout)
    assert list(rows[0]) == ["name1", "name2", "note", "score"]
    assert [(r["name1"], r["note"], r["score"]) for r in rows] == [
        ("PETROV, Ivan", "reordered", "1.0000"),
        ("王小明", "pinyin", "1.0000"),
    ]


def test_score_pairs_from_stdin_to_a_file(cli: typer.Typer, tmp_path: Path) -> None:
    out = tmp_path / "scored.csv"
    text = "name2,name1\nAli Mahmoud,Ali Hassan\nJon Smyth,John Smith\n\n"
    done = CliRunner().invoke(cli, ["screening", "score-pairs", "-", "--out", str(out)], input=text)
    assert done.exit_code == 0, done.output
    assert done.stdout == ""
    rows = _rows(out.read_text("utf-8"))
    assert [r["score"] for r in rows] == [f"{score('Ali Hassan', 'Ali Mahmoud'):.4f}", "0.8889"]
    assert all(0.0 <= float(r["score"]) <= 1.0 for r in rows)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a,b\nx,y\n", "line 1: expected a header with the columns name1,name2 (and no score), got a,b"),
        ("name1,name2,score\nx,y,1\n", "got name1,name2,score"),
        ("", "got an empty file"),
        ("name1,name2\nx,y\nx,y,z\n", "line 3: expected 2 fields, got 3"),
    ],
)
def test_bad_input_exits_1_with_a_precise_message(cli: typer.Typer, text: str, message: str) -> None:
    done = CliRunner().invoke(cli, ["screening", "score-pairs", "-"], input=text)
    assert done.exit_code == 1
    assert message in " ".join(done.output.split())
    assert "standard input" in done.output


def test_unreadable_file_exits_1(cli: typer.Typer, tmp_path: Path) -> None:
    done = CliRunner().invoke(cli, ["screening", "score-pairs", str(tmp_path / "missing.csv")])
    assert done.exit_code == 1 and "cannot read" in done.output
