"""`clearway openapi`: the document a client is generated from, written without a server or a database."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from clearway.cli.main import app


def test_the_whole_document_is_written_to_standard_output(tmp_path: Path) -> None:
    # A database URL that cannot exist: the command must not connect to it.
    env = {"CLEARWAY_DATABASE_URL": f"sqlite:///{tmp_path}/missing/nowhere.db"}
    done = CliRunner().invoke(app, ["openapi"], env=env)
    assert done.exit_code == 0, done.output
    document = json.loads(done.stdout)
    assert document["openapi"] == "3.1.0" and "/v1/admin/operators" in document["paths"]
    assert not (tmp_path / "missing").exists()


def test_an_operators_document_leaves_out_what_they_cannot_call(tmp_path: Path) -> None:
    out = tmp_path / "operators.json"
    done = CliRunner().invoke(app, ["openapi", "--audience", "operators", "--out", str(out)])
    assert done.exit_code == 0, done.output
    document = json.loads(out.read_text())
    tags = {tag for item in document["paths"].values() for op in item.values() for tag in op["tags"]}
    assert tags == {"operators"} and [t["name"] for t in document["tags"]] == ["operators"]
    assert "/v1/consignments" in document["paths"] and "/v1/quotes" not in document["paths"]
    schemas = document["components"]["schemas"]
    # What operators send and read is all there; officers' and administrators' schemas are not.
    assert {"Consignment", "BatchResponse", "Problem", "Money"} <= set(schemas)
    assert not {"OperatorRequest", "PersonRequest", "ControlRequest"} & set(schemas)
    refs = {value for value in _strings(document) if value.startswith("#/components/schemas/")}
    assert {ref.rsplit("/", 1)[1] for ref in refs} <= set(schemas), "a reference left dangling"


def test_an_unknown_audience_is_named() -> None:
    done = CliRunner().invoke(app, ["openapi", "--audience", "officers"])
    assert done.exit_code == 1 and "unknown audience officers" in done.output


def _strings(node: object) -> list[str]:
    if isinstance(node, dict):
        return [s for value in node.values() for s in _strings(value)]
    if isinstance(node, list):
        return [s for value in node for s in _strings(value)]
    return [node] if isinstance(node, str) else []
