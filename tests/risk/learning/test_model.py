"""Training, the artefact (plain data, refused when the features differ), scores and explanations."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from clearway.risk.learning.evaluate import time_split
from clearway.risk.learning.features import FEATURES
from clearway.risk.learning.model import FORMAT, ModelMismatch, RiskModel, TrainConfig, train


@pytest.fixture(scope="module")
def trained(history: pl.DataFrame) -> tuple[RiskModel, pl.DataFrame]:
    past, future, _ = time_split(history, 0.7)
    return train(past, TrainConfig(rounds=120)), future


def test_the_manifest_says_what_the_model_learnt_from(trained: tuple[RiskModel, pl.DataFrame]) -> None:
    model, _ = trained
    m = model.manifest
    assert m["format"] == FORMAT and m["features"] == [f.name for f in FEATURES]
    assert m["rows"] == 21_000 and 0 < m["findings"] < m["rows"]
    assert m["training_window"]["from"] < m["training_window"]["to"]
    assert len(m["data_hash"]) == 64 and m["metrics"]["auc"] > 0.8
    assert m["config"]["smoothing"] == 20.0


def test_save_and_load_score_identically(trained: tuple[RiskModel, pl.DataFrame], tmp_path: Path) -> None:
    model, future = trained
    model.save(tmp_path / "m")
    assert sorted(p.name for p in (tmp_path / "m").iterdir()) == [
        "classifier.txt", "history.parquet", "manifest.json", "revenue.txt",
    ]  # fmt: skip
    again = RiskModel.load(tmp_path / "m")
    a, b = model.score(future.head(300)), again.score(future.head(300))
    assert a.equals(b)


def test_a_model_trained_on_other_features_is_refused(trained: tuple[RiskModel, pl.DataFrame], tmp_path: Path) -> None:
    model, _ = trained
    model.save(tmp_path / "m")
    manifest = json.loads((tmp_path / "m" / "manifest.json").read_text())
    manifest["features"] = manifest["features"][:-1]
    (tmp_path / "m" / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ModelMismatch, match="other features"):
        RiskModel.load(tmp_path / "m")
    manifest["format"] = "pickle"
    (tmp_path / "m" / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ModelMismatch, match="format"):
        RiskModel.load(tmp_path / "m")


def test_scores_are_probabilities_with_their_reasons(trained: tuple[RiskModel, pl.DataFrame]) -> None:
    model, future = trained
    scored = model.score(future.head(2000), explain=3)
    p = scored["model_probability"].to_numpy()
    assert ((p >= 0) & (p <= 1)).all()
    assert (scored["model_value"] >= 0).all()
    contributions = scored["model_contributions"].to_list()
    assert all(len(c) == 3 for c in contributions)
    names = {f.name for f in FEATURES}
    assert all(c["feature"] in names and isinstance(c["value"], str) for row in contributions for c in row)
    # Each row's contributions are its largest in absolute value, largest first.
    effects = [[abs(c["effect"]) for c in row] for row in contributions]
    assert all(e == sorted(e, reverse=True) for e in effects)


def test_contributions_add_up_to_the_raw_score(trained: tuple[RiskModel, pl.DataFrame]) -> None:
    model, future = trained
    x = model.features_of(future.head(50))
    shap = np.asarray(model.classifier.predict(x, pred_contrib=True))
    raw = np.asarray(model.classifier.predict(x, raw_score=True))
    np.testing.assert_allclose(shap.sum(axis=1), raw, rtol=1e-6, atol=1e-6)


def test_high_scores_find_more_than_low_ones(trained: tuple[RiskModel, pl.DataFrame]) -> None:
    model, future = trained
    scored = model.score(future, explain=0)
    labels = future["label"].to_numpy()
    order = np.argsort(-scored["model_value"].to_numpy())
    tenth = len(order) // 10
    assert labels[order[:tenth]].mean() > 3 * labels[order[-tenth:]].mean()
    # Calibrated: the mean probability is near the observed rate.
    assert scored["model_probability"].mean() == pytest.approx(labels.mean(), abs=0.03)


def test_the_revenue_model_counts_findings_that_recovered_nothing(history: pl.DataFrame) -> None:
    # Findings by post recover nothing here: E[revenue | finding] by post is 0. A regressor trained
    # on the findings that recovered revenue alone never sees one and scores them like the others.
    past, future, _ = time_split(history, 0.7)
    post = pl.col("channel") == "post"
    nothing = pl.when(post).then(0.0).otherwise(pl.col("revenue_eur")).alias("revenue_eur")
    model = train(past.with_columns(nothing), TrainConfig(rounds=60))
    found = future.filter(pl.col("label") == 1)
    revenue = model.score(found, explain=0)["model_revenue_eur"].to_numpy()
    by_post = found["channel"].to_numpy() == "post"
    assert by_post.any() and (~by_post).any()
    assert revenue[by_post].mean() < 0.25 * revenue[~by_post].mean()


def test_thresholds_follow_the_validation_distribution(trained: tuple[RiskModel, pl.DataFrame]) -> None:
    model, _ = trained
    assert model.threshold(0.01) >= model.threshold(0.04) >= model.threshold(0.2)


def test_too_few_labels_is_an_error(history: pl.DataFrame) -> None:
    with pytest.raises(ValueError, match="too few labels"):
        train(history.head(20))


def test_only_the_rows_asked_for_are_explained(trained: tuple[RiskModel, pl.DataFrame]) -> None:
    model, future = trained
    rows = future.head(400)
    threshold = model.threshold(0.05)
    also = np.zeros(400, dtype=bool)
    also[7] = True
    scored = model.score(rows, explain_from=threshold, explain_also=also)
    lengths = scored["model_contributions"].list.len().to_numpy()
    wanted = (scored["model_value"].to_numpy() >= threshold) | also
    assert (lengths[wanted] == 3).all() and (lengths[~wanted] == 0).all() and lengths[7] == 3
    # The explained rows say the same as when every row is explained.
    full = model.score(rows)
    assert scored["model_contributions"][7].to_list() == full["model_contributions"][7].to_list()


def test_the_stored_history_is_read_as_of_its_end(trained: tuple[RiskModel, pl.DataFrame]) -> None:
    # A consignment that arrived before the last label (a re-assessment, the drift of last week)
    # still sees the whole snapshot, not an empty history.
    model, future = trained
    end = model.history.end()
    assert end is not None
    early = future.head(50).with_columns(pl.lit(end - dt.timedelta(days=30)).alias("received_at"))
    late = future.head(50).with_columns(pl.lit(end + dt.timedelta(days=1)).alias("received_at"))
    names = [f.name for f in FEATURES]
    column = names.index("declarant_inspected")
    a, b = model.features_of(early), model.features_of(late)
    assert (a[:, column] > 0).all()
    np.testing.assert_array_equal(a[:, column], b[:, column])
