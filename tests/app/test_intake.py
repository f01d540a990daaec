"""`clearway ingest`: files of every format through the same pipeline, with a summary."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import msgspec
import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from clearway.app.chunks import read_ahead
from clearway.app.intake import IngestJob, _stream, ingest_file, ingest_files
from clearway.app.platform import Clearway
from clearway.cli.main import app
from clearway.dataset.records import Consignment, Order
from clearway.intake.tabular import write_csv, write_parquet
from clearway.store.tables import consignments, documents


def stored(service: Clearway, table: sa.Table) -> int:
    with service.engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())


def variants(consignment: Consignment, count: int) -> list[Consignment]:
    return [msgspec.structs.replace(consignment, reference=f"ING-{n:04d}") for n in range(count)]


def test_ndjson_with_bad_lines(service: Clearway, consignment_data: dict[str, Any], tmp_path: Path) -> None:
    lines = []
    for n in range(5):
        data = json.loads(json.dumps(consignment_data))
        data["reference"] = f"ING-{n}"
        if n == 3:
            data["transaction"]["currency"] = "EURO"
        lines.append(json.dumps(data))
    lines.append(lines[0])  # a repeated line is a duplicate, not an error
    path = tmp_path / "consignments.ndjson"
    path.write_text("\n".join(lines) + "\n")
    errors = tmp_path / "errors.ndjson"
    summary = ingest_file(service, path, operator="op-courier-1", errors_to=errors)
    assert (summary.kind, summary.read, summary.accepted, summary.duplicates, summary.rejected) == (
        "consignment",
        6,
        4,
        1,
        1,
    )
    assert summary.first_errors[0][:2] == (4, "/transaction/currency")
    [written] = [json.loads(line) for line in errors.read_text().splitlines()]
    assert written["line"] == 4 and written["errors"][0]["pointer"] == "/transaction/currency"
    assert stored(service, consignments) == 4


def test_csv_and_parquet_take_the_same_path(service: Clearway, consignment: Consignment, tmp_path: Path) -> None:
    csv_path = tmp_path / "batch.csv"
    write_csv(variants(consignment, 3), csv_path, "consignment")
    summary = ingest_file(service, csv_path, operator="op-courier-1", kind="consignment")
    assert (summary.read, summary.accepted) == (3, 3)
    parquet_path = tmp_path / "consignments.parquet"
    write_parquet(variants(consignment, 5), parquet_path, "consignment")
    summary = ingest_file(service, parquet_path, operator="op-courier-1")
    # the first three are the same messages again, the last two are new
    assert (summary.read, summary.accepted, summary.duplicates) == (5, 2, 3)
    assert stored(service, consignments) == 5


def test_documents_and_unknown_kinds(service: Clearway, order: Order, tmp_path: Path) -> None:
    path = tmp_path / "orders.ndjson"
    path.write_bytes(msgspec.json.encode(order) + b"\n")
    assert ingest_file(service, path, operator="op-platform-1").accepted == 1
    assert stored(service, documents) == 1
    anonymous = tmp_path / "batch.ndjson"
    anonymous.write_bytes(b"{}\n")
    with pytest.raises(ValueError, match="--kind"):
        ingest_file(service, anonymous, operator="op-platform-1")


def test_cli_ingest_prints_a_summary(
    service: Clearway, consignment: Consignment, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLEARWAY_DATABASE_URL", service.settings.database_url)
    path = tmp_path / "consignments.ndjson"
    path.write_bytes(b"\n".join(msgspec.json.encode(c) for c in variants(consignment, 3)) + b"\n{broken\n")
    result = CliRunner().invoke(app, ["ingest", str(path), "--operator", "op-courier-1", "--json"])
    assert result.exit_code == 1, result.output  # a rejected record makes the command fail, for scripts
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert (summary["accepted"], summary["rejected"]) == (3, 1)
    assert "malformed JSON" in summary["first_errors"][0][2]
    table = CliRunner().invoke(app, ["ingest", str(path), "--operator", "op-courier-1"])
    assert table.exit_code == 1
    assert "duplicates" in table.output


def test_several_files_go_through_in_order_with_a_summary_each(
    service: Clearway, consignment: Consignment, order: Order, tmp_path: Path
) -> None:
    orders = tmp_path / "orders.ndjson"
    orders.write_bytes(msgspec.json.encode(order) + b"\n")
    declarations = tmp_path / "consignments.ndjson"
    declarations.write_bytes(b"\n".join(msgspec.json.encode(c) for c in variants(consignment, 3)) + b"\n{broken\n")
    empty_file = tmp_path / "more.consignments.ndjson"
    empty_file.write_bytes(b"")
    errors = tmp_path / "errors.ndjson"
    jobs = [
        IngestJob(orders, "op-platform-1"),
        IngestJob(declarations, "op-courier-1"),
        IngestJob(empty_file, "op-courier-1", "consignment"),
    ]
    summaries = ingest_files(service, jobs, errors_to=errors)
    assert [(s.file, s.kind, s.read, s.accepted, s.rejected) for s in summaries] == [
        (str(orders), "order", 1, 1, 0),
        (str(declarations), "consignment", 4, 3, 1),
        (str(empty_file), "consignment", 0, 0, 0),
    ]
    # With several files, each rejected record's line names its file.
    [written] = [json.loads(line) for line in errors.read_text().splitlines()]
    assert (written["file"], written["line"]) == ("consignments.ndjson", 4)
    assert (stored(service, documents), stored(service, consignments)) == (1, 3)


def test_a_file_of_unknown_kind_stops_the_run_before_anything_is_stored(
    service: Clearway, order: Order, tmp_path: Path
) -> None:
    orders = tmp_path / "orders.ndjson"
    orders.write_bytes(msgspec.json.encode(order) + b"\n")
    anonymous = tmp_path / "batch.ndjson"
    anonymous.write_bytes(b"{}\n")
    with pytest.raises(ValueError, match=r"batch\.ndjson holds"):
        ingest_files(service, [IngestJob(orders, "op-platform-1"), IngestJob(anonymous, "op-platform-1")])
    assert stored(service, documents) == 0


def test_cli_ingest_takes_several_files(
    service: Clearway, consignment: Consignment, order: Order, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLEARWAY_DATABASE_URL", service.settings.database_url)
    first, second = tmp_path / "a.consignments.ndjson", tmp_path / "b.consignments.ndjson"
    first.write_bytes(b"\n".join(msgspec.json.encode(c) for c in variants(consignment, 2)) + b"\n")
    second.write_bytes(msgspec.json.encode(variants(consignment, 3)[2]) + b"\n")
    result = CliRunner().invoke(app, ["ingest", str(first), str(second), "--operator", "op-courier-1", "--json"])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.strip().splitlines()[-2:]]
    assert [(s["file"], s["accepted"]) for s in lines] == [(str(first), 2), (str(second), 1)]


def test_the_next_files_first_chunk_is_read_ahead_while_this_files_last_goes_through(
    consignment: Consignment, tmp_path: Path
) -> None:
    """The stream of chunks runs across files, sizes going on from one file to the next, so that the
    HS check of a file's first chunk is asked for while the file before finishes (app/chunks.py)."""
    paths = [tmp_path / f"{name}.consignments.ndjson" for name in ("a", "b")]
    paths[0].write_bytes(b"\n".join(msgspec.json.encode(c) for c in variants(consignment, 3)) + b"\n")
    paths[1].write_bytes(b"\n".join(msgspec.json.encode(c) for c in variants(consignment, 4)) + b"\n")
    jobs = [IngestJob(path, "op-courier-1", "consignment") for path in paths]
    events: list[str] = []
    sizes = itertools.chain([1, 2, 4], itertools.repeat(8))
    stream = _stream(jobs, ["consignment", "consignment"], lambda kind: sizes)
    for chunk in read_ahead(stream, lambda c: events.append(f"ask {c.file}:{len(c.records)}{'.' * c.last}")):
        events.append(f"run {chunk.file}:{len(chunk.records)}{'.' * chunk.last}")
    # Sizes 1 and 2 in the first file, 4 in the next: the end of a file takes no size.
    assert events == ["ask 0:1", "ask 0:2.", "ask 1:4.", "run 0:1", "run 0:2.", "run 1:4."]
