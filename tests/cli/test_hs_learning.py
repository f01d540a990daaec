"""`clearway hs corrections` and `clearway hs retrain`: officers' corrected codes teach the classifier."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import msgspec
import pytest
from typer.testing import CliRunner

from clearway.app.platform import Clearway
from clearway.classify import artefact
from clearway.classify.classifier import Item, Suggestions
from clearway.clearance.lifecycle import State
from clearway.cli.main import app
from clearway.dataset.records import Consignment
from tests.conftest import STANDARD_OPERATORS, register_operators

# A word no reference knows: only the officer's correction can teach the classifier what it is.
INVENTED = "zorblaxian quilted gilet"


@pytest.fixture
def runner(service: Clearway, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("CLEARWAY_DATABASE_URL", service.settings.database_url)
    monkeypatch.setenv("CLEARWAY_SECRET_KEY", service.settings.secret_key)
    monkeypatch.setenv("CLEARWAY_MODEL_DIR", service.settings.model_dir)
    monkeypatch.setenv("CLEARWAY_HS_MODEL_DIR", service.settings.hs_model_dir)
    return CliRunner()


def corrected(svc: Clearway, consignment: Consignment, reference: str, description: str, code: str) -> None:
    item = msgspec.structs.replace(consignment.items[0], description=description, hs_code="851713")
    record = msgspec.structs.replace(
        consignment,
        reference=reference,
        items=[item],
        transaction=msgspec.structs.replace(consignment.transaction, goods_value=item.unit_price),
    )
    [result] = svc.submit_consignments("op-courier-1", [record])
    svc.expire_overdue(now=dt.datetime.now(dt.UTC) + dt.timedelta(hours=73))
    svc.control(result.id or "", State.INSPECTED, actor="person:olga", reason="opened")
    svc.risk.record_outcome(result.id or "", "misclassified", corrected_hs_code=code, officer="person:olga")


def test_corrections_are_listed_and_teach_the_retrained_model(
    runner: CliRunner, service: Clearway, consignment: Consignment, tmp_path: Path
) -> None:
    register_operators(service, STANDARD_OPERATORS)
    for n in range(3):
        corrected(service, consignment, f"Z-{n}", f"{INVENTED} size {n}", "620140")
    listed = runner.invoke(app, ["hs", "corrections", "--json"])
    assert listed.exit_code == 0, listed.output
    rows = [json.loads(line) for line in listed.output.splitlines()]
    assert rows == [{"description": f"{INVENTED} size {n}", "code": "620140"} for n in range(3)]

    out = tmp_path / "hs-model"
    done = runner.invoke(app, ["hs", "retrain", "--out", str(out), "--json"])
    assert done.exit_code == 0, done.output
    summary: dict[str, Any] = json.loads(done.output)
    assert summary["corrections"] == 3 and summary["counts"]["examples"].get("corrections") == 3
    [answer] = artefact.load(out).suggest_many([Item(INVENTED)])
    assert isinstance(answer, Suggestions) and answer.suggestions[0].code == "620140"
    # An officer's correction carries an operator's wording: the answer learns from it, never quotes it
    # (the words of the question itself are named as the reasons, the declaration's text never).
    shown = json.dumps([s.to_json() for s in answer.suggestions])
    assert not any(f"size {n}" in shown for n in range(3)), shown
