"""`clearway ingest`: files of every format through the same pipeline, with a summary."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import msgspec
import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from clearway.app.intake import ingest_file
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
