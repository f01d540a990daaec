"""`clearway screening ...`: lists imported from their files (and listed); a CSV of name pairs scored."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from clearway.app.platform import Clearway
from clearway.cli.main import app
from clearway.cli.screening import screening_app
from clearway.risk.screening import score
from clearway.store.risk_repo import watchlist_rows


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


WATCHLIST = """list,entry_id,kind,value,country,program
NL-WATCH,W1,party,Horizon Example Trading Ltd,CN,counterfeits
NL-WATCH,W1,party,Horizon Example Co,,
NL-WATCH,W2,email,sales@horizon.example,,
"""
# sdn.csv: no header, twelve columns, -0- for empty (a hand-made sample in the official shape).
SDN = (
    '101,"PETROV, Ivan",individual,"SDGT] [IFSR",-0-,-0-,-0-,-0-,-0-,-0-,-0-,-0-\n'
    '102,"EXAMPLE SHIPPING CO",-0-,SDGT,-0-,-0-,-0-,-0-,-0-,-0-,-0-,-0-\n'
    '103,"SEA EXAMPLE",vessel,SDGT,-0-,-0-,-0-,-0-,-0-,-0-,-0-,-0-\n'
)


@pytest.fixture
def runner(service: Clearway, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("CLEARWAY_DATABASE_URL", service.settings.database_url)
    monkeypatch.setenv("CLEARWAY_SECRET_KEY", service.settings.secret_key)
    return CliRunner()


def _stored(service: Clearway) -> dict[str, list[tuple[str, str, str]]]:
    with service.engine.connect() as conn:
        rows = watchlist_rows(conn)
    out: dict[str, list[tuple[str, str, str]]] = {}
    for r in sorted(rows, key=lambda r: (r["list_name"], r["entry_id"], r["value"])):
        out.setdefault(r["list_name"], []).append((r["list_kind"], r["entry_id"], r["value"]))
    return out


def test_import_our_csv_as_a_watchlist_and_replace_it(runner: CliRunner, service: Clearway, tmp_path: Path) -> None:
    file = tmp_path / "nl.csv"
    file.write_text(WATCHLIST, "utf-8")
    done = runner.invoke(app, ["screening", "import", str(file), "--list", "NL-WATCH"])
    assert done.exit_code == 0, done.output
    assert "NL-WATCH (watchlist): 3 entries imported" in done.output
    assert _stored(service)["NL-WATCH"] == [
        ("watchlist", "W1", "Horizon Example Co"),
        ("watchlist", "W1", "Horizon Example Trading Ltd"),
        ("watchlist", "W2", "sales@horizon.example"),
    ]
    file.write_text("list,entry_id,kind,value\nNL-WATCH,W9,phone,+31 20 000 0000\n", "utf-8")
    done = runner.invoke(app, ["screening", "import", str(file), "--list", "NL-WATCH", "--kind", "sanctions"])
    assert done.exit_code == 0, done.output
    assert _stored(service)["NL-WATCH"] == [("sanctions", "W9", "+31 20 000 0000")]


def test_import_ofac_sdn_and_un_xml_are_sanctions_lists(runner: CliRunner, service: Clearway, tmp_path: Path) -> None:
    sdn = tmp_path / "sdn.csv"
    sdn.write_text(SDN, "utf-8")
    done = runner.invoke(app, ["screening", "import", str(sdn), "--list", "OFAC-SDN", "--format", "ofac-sdn"])
    assert done.exit_code == 0, done.output
    un = tmp_path / "consolidated.xml"
    un.write_text(
        "<CONSOLIDATED_LIST><ENTITIES><ENTITY><DATAID>9</DATAID><FIRST_NAME>EXAMPLE FRONT LTD</FIRST_NAME>"
        "<UN_LIST_TYPE>Al-Qaida</UN_LIST_TYPE></ENTITY></ENTITIES></CONSOLIDATED_LIST>",
        "utf-8",
    )
    done = runner.invoke(app, ["screening", "import", str(un), "--list", "UN-SC"])  # .xml: the UN format
    assert done.exit_code == 0, done.output
    stored = _stored(service)
    assert stored["OFAC-SDN"] == [  # the vessel is skipped; an individual is kept in both name orders
        ("sanctions", "101", "Ivan PETROV"),
        ("sanctions", "101", "PETROV, Ivan"),
        ("sanctions", "102", "EXAMPLE SHIPPING CO"),
    ]
    assert stored["UN-SC"] == [("sanctions", "9", "EXAMPLE FRONT LTD")]
    listed = runner.invoke(app, ["screening", "lists", "--json"])
    assert listed.exit_code == 0, listed.output
    assert json.loads(listed.stdout) == [{"list": "OFAC-SDN", "entries": 3}, {"list": "UN-SC", "entries": 1}]
    text = runner.invoke(app, ["screening", "lists"])
    assert text.stdout.splitlines() == ["OFAC-SDN  3 entries", "UN-SC  1 entries"]


@pytest.mark.parametrize(
    ("name", "text", "args", "message"),
    [
        ("bad.csv", "list,entry_id,kind,value\nL,1,party,A\nL,2,vessel,B\n", [], "line 3: kind 'vessel'"),
        ("sdn.csv", "ent_num,SDN_Name\n", ["--format", "ofac-sdn"], "line 1: expected 12 fields"),
        ("un.xml", "<CONSOLIDATED_LIST>\n<INDIVIDUALS>\n</CONSOLIDATED_LIST>", [], "line 3: not well-formed XML"),
        ("other.csv", "list,entry_id,kind,value\nOTHER,1,party,A\n", [], "holds entries of the list(s) OTHER"),
        ("empty.csv", "list,entry_id,kind,value\n", [], "no entries to import"),
    ],
)
def test_import_of_a_bad_file_exits_1_and_keeps_the_list(
    runner: CliRunner, service: Clearway, tmp_path: Path, name: str, text: str, args: list[str], message: str
) -> None:
    good = tmp_path / "good.csv"
    good.write_text("list,entry_id,kind,value\nL,1,party,Kept Name\n", "utf-8")
    assert runner.invoke(app, ["screening", "import", str(good), "--list", "L"]).exit_code == 0
    bad = tmp_path / name
    bad.write_text(text, "utf-8")
    done = runner.invoke(app, ["screening", "import", str(bad), "--list", "L", *args])
    assert done.exit_code == 1
    assert message in " ".join(done.output.split()) and name in done.output
    assert _stored(service)["L"] == [("watchlist", "1", "Kept Name")]


def test_import_needs_a_format_it_can_tell_and_a_known_kind(runner: CliRunner, tmp_path: Path) -> None:
    file = tmp_path / "list.txt"
    file.write_text(WATCHLIST, "utf-8")
    done = runner.invoke(app, ["screening", "import", str(file), "--list", "NL-WATCH"])
    assert done.exit_code == 2 and "--format" in done.output
    done = runner.invoke(app, ["screening", "import", str(file), "--list", "NL-WATCH", "--format", "xls"])
    assert done.exit_code == 2
    done = runner.invoke(app, ["screening", "import", str(file), "--list", "NL", "--format", "csv", "--kind", "pep"])
    assert done.exit_code == 2 and "--kind" in done.output


def test_lists_when_none_is_imported(runner: CliRunner) -> None:
    done = runner.invoke(app, ["screening", "lists", "--json"])
    assert done.exit_code == 0 and json.loads(done.stdout) == []
    assert "no lists imported" in runner.invoke(app, ["screening", "lists"]).output
