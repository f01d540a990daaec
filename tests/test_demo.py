"""Simulated traffic through the whole pipeline ends in the states its injected problems call for."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from pathlib import Path

import msgspec
import pytest
import sqlalchemy as sa

from clearway.clearance.decision import Decision
from clearway.demo import DEMO_PASSWORD, load_demo, replay
from clearway.service import Clearway
from clearway.settings import Settings
from clearway.simulate import TruthRecord, generate
from clearway.store.tables import consignments, results
from tests.conftest import empty

Outcomes = tuple[list[TruthRecord], dict[str, tuple[str, set[str]]]]
PAYMENT_CODES = {"payment_amount_mismatch", "currency_mismatch"}
PRICE_CODES = {"unit_price_mismatch", "value_mismatch"}


@pytest.fixture(scope="module")
def outcomes(engine: sa.Engine, database_url: str) -> Outcomes:
    empty(engine)
    service = Clearway(Settings(database_url=database_url), engine=engine)
    traffic = generate(1500, seed=11)
    replay(service, traffic)
    end = max(t.received_at for t in traffic.truth)
    service.expire_overdue(now=end + dt.timedelta(days=8))
    decided: dict[str, tuple[str, set[str]]] = {}
    with engine.connect() as conn:
        latest = (
            sa.select(results.c.consignment_id, sa.func.max(results.c.id).label("last"))
            .group_by(results.c.consignment_id)
            .subquery()
        )
        rows = conn.execute(
            sa.select(consignments.c.reference, consignments.c.state, results.c.decision)
            .join(latest, latest.c.consignment_id == consignments.c.id)
            .join(results, results.c.id == latest.c.last)
        )
        for reference, state, decision in rows:
            codes = {r.code for r in msgspec.json.decode(decision, type=Decision).reasons} if decision else set()
            decided[reference] = (state, codes)
    return list(traffic.truth), decided


def test_every_declaration_reaches_a_decision(outcomes: Outcomes) -> None:
    truth, decided = outcomes
    assert len(decided) == len(truth) == 1500
    assert Counter(state for state, _ in decided.values()).keys() <= {"released", "held"}


@pytest.mark.parametrize(
    ("problem", "expected_state", "expected_codes"),
    [
        ("payment_mismatch", "held", PAYMENT_CODES),
        ("undervaluation", "held", PRICE_CODES),
        ("missing_document", "held", {"documents_missing"}),
    ],
)
def test_injected_problems_are_caught_by_linking(
    outcomes: Outcomes,
    problem: str,
    expected_state: str,
    expected_codes: set[str],
) -> None:
    truth, decided = outcomes
    concerned = [t for t in truth if problem in t.problems]
    assert len(concerned) >= 5, f"too few {problem} cases to test"
    for t in concerned:
        state, codes = decided[t.reference]
        assert state == expected_state, (t, codes)
        assert codes & expected_codes, (t, codes)


def test_clean_late_and_split_traffic_is_released(
    outcomes: Outcomes,
) -> None:
    truth, decided = outcomes
    linking_problems = {"payment_mismatch", "undervaluation", "missing_document"}
    others = [t for t in truth if not linking_problems & set(t.problems)]
    assert any("late_document" in t.problems for t in others)
    assert any("split_shipment" in t.problems for t in others)
    held = [(t, decided[t.reference]) for t in others if decided[t.reference][0] != "released"]
    # Documents that link are released, unless the parcel is above the low-value ceiling (or excise
    # goods: IRG category 4 needs a full declaration), or its duty needs a tariff rate the demo does
    # not load: customs does not release a parcel whose duty it could not compute.
    revenue_holds = {"full_declaration_required", "duty_rate_unknown"}
    assert [(t, d) for t, d in held if not revenue_holds & d[1]] == []


def test_load_demo_onboards_operators_and_demo_people(engine: sa.Engine, database_url: str, tmp_path: Path) -> None:
    empty(engine)
    settings = Settings(database_url=database_url, secret_key_file=str(tmp_path / "secret.key"))
    service = Clearway(settings, engine=engine)
    loaded = load_demo(service, count=200, seed=3, force=False)
    assert loaded == 200
    keys_file = tmp_path / "demo-keys.json"
    assert keys_file.stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "secret.key").stat().st_mode & 0o777 == 0o600
    keys = json.loads(keys_file.read_text())
    assert keys and all(service.access.authenticate_key(key) is not None for key in keys.values())
    assert service.access.login("officer", DEMO_PASSWORD)[0] == "ok"
    assert load_demo(service, count=200, seed=3, force=False) is None  # already loaded
    assert service.verify_audit().ok
