"""The quality gate of retraining: a candidate replaces the model in use only if it is not worse on
a recent hold-out it never trained on; the first model installs without a gate."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from clearway.risk.learning.features import with_keys
from clearway.risk.learning.gate import HOLDOUT_SHARE, MIN_FINDINGS, TOLERANCE, compare, judge, retrain, split
from clearway.risk.learning.history import History
from clearway.risk.learning.model import RiskModel, TrainConfig, train, with_label_times

CONFIG = TrainConfig(rounds=80, early_stopping=20)


@pytest.mark.parametrize(
    ("candidate", "current", "decision", "named"),
    [
        ((0.90, 0.60), (0.90, 0.60), "installed", ""),
        ((0.91, 0.70), (0.90, 0.60), "installed", ""),
        # Within the tolerance: about as good is good enough.
        ((0.90 - TOLERANCE / 2, 0.60 - TOLERANCE / 2), (0.90, 0.60), "installed", ""),
        ((0.80, 0.70), (0.90, 0.60), "kept", "precision@5%"),
        ((0.95, 0.50), (0.90, 0.60), "kept", "revenue@5%"),
        ((0.90 - 2 * TOLERANCE, 0.60), (0.90, 0.60), "kept", "precision@5%"),
    ],
)
def test_the_candidate_must_not_be_worse_on_either_metric(
    candidate: tuple[float, float], current: tuple[float, float], decision: str, named: str
) -> None:
    new = {"precision": candidate[0], "revenue": candidate[1], "auc": None}
    old = {"precision": current[0], "revenue": current[1], "auc": None}
    got, reason = compare(new, old)
    assert got == decision
    assert named in reason and (" < " in reason) == (decision == "kept")


def test_the_holdout_is_the_latest_share_by_arrival(history: pl.DataFrame) -> None:
    past, holdout = split(history)
    assert past["received_at"].max() < holdout["received_at"].min()  # type: ignore[operator]
    assert holdout.height == pytest.approx(HOLDOUT_SHARE * history.height, abs=50)


def shuffled_before(rows: pl.DataFrame, cut: pl.Expr, seed: int = 3) -> pl.DataFrame:
    """The labels (and revenue) of the rows before ``cut`` shuffled among them: a model that learns nothing."""
    early = rows.filter(cut)
    order = np.random.default_rng(seed).permutation(early.height)
    mixed = early.with_columns(
        pl.Series("label", early["label"].to_numpy()[order]),
        pl.Series("revenue_eur", early["revenue_eur"].to_numpy()[order]),
    )
    return pl.concat([mixed, rows.filter(~cut)]).sort("received_at", maintain_order=True)


@pytest.fixture(scope="module")
def rows(history: pl.DataFrame) -> pl.DataFrame:
    return with_label_times(history.head(15_000), CONFIG.label_delay_days)


@pytest.fixture(scope="module")
def good(rows: pl.DataFrame) -> RiskModel:
    return train(split(rows)[0], CONFIG)


def test_a_candidate_trained_on_shuffled_labels_is_kept_out(rows: pl.DataFrame, good: RiskModel) -> None:
    holdout_from = split(rows)[1]["received_at"].min()
    worse = shuffled_before(rows, pl.col("received_at") < holdout_from)
    decision, candidate = retrain(worse, good, CONFIG)
    assert decision.decision == "kept", decision
    assert decision.candidate is not None and decision.current is not None
    assert decision.candidate["revenue"] < decision.current["revenue"] - TOLERANCE  # type: ignore[operator]
    assert decision.current_version == good.version and candidate.manifest["gate"]["decision"] == "kept"
    # The hold-out is judged on its true labels, never trained on.
    assert decision.holdout["rows"] == split(rows)[1].height
    assert candidate.manifest["training_window"]["to"] < decision.holdout["from"]


def test_a_better_candidate_replaces_a_worse_model(rows: pl.DataFrame, good: RiskModel) -> None:
    past, holdout = split(rows)
    bad = train(shuffled_before(past, pl.lit(True)), CONFIG)
    history = History.from_labels(with_keys(rows))
    decision = judge(good, bad, holdout, history)
    assert decision.installed, decision
    assert decision.candidate["precision"] > decision.current["precision"]  # type: ignore[index,operator]


def test_the_first_model_and_a_forced_one_install_without_a_gate(rows: pl.DataFrame, good: RiskModel) -> None:
    small = rows.head(3000)
    first, model = retrain(small, None, CONFIG)
    assert first.installed and first.candidate is None and "first model" in first.reason
    assert model.manifest["rows"] == small.height  # every label, no hold-out kept back
    forced, _ = retrain(small, good, CONFIG, force=True)
    assert forced.installed and forced.forced and forced.current_version == good.version


def test_a_holdout_without_enough_findings_keeps_the_model(rows: pl.DataFrame, good: RiskModel) -> None:
    holdout = split(rows)[1]
    few = holdout.filter(pl.col("label") == 0).vstack(holdout.filter(pl.col("label") == 1).head(MIN_FINDINGS - 1))
    decision = judge(good, good, few, History.from_labels(with_keys(rows)))
    assert decision.decision == "kept" and "cannot tell" in decision.reason
