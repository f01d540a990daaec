"""The targeting model: the chance that an inspection finds something, and what it would recover.

Two gradient-boosted tree ensembles (LightGBM) over the features of ``features.py``:

- a classifier, calibrated by isotonic regression on the latest part of the training window, for
  the probability that an inspection finds a problem (``model_probability``);
- a regressor, trained on every finding (those that recovered nothing count as 0), for the revenue
  a finding recovers (``model_revenue_eur``, log scale inside).

Consignments are ranked by the expected value of inspecting them: probability x (expected revenue
+ ``finding_value_eur``, the worth of a finding that recovers nothing, such as a counterfeit).

The artefact is a folder of plain data, never pickle: ``manifest.json`` (format, feature list and
signature, training window, data hash, metrics, calibration, references, drift bins, parameters),
the two ensembles in LightGBM's text format and ``history.parquet`` (the labelled counts as of the
end of training). Loading refuses a model whose features are not the ones this code computes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import lightgbm as lgb
import numpy as np
import polars as pl

from clearway.risk.learning.calibration import Isotonic
from clearway.risk.learning.drift import fit_bins
from clearway.risk.learning.features import (
    FEATURES,
    Feature,
    References,
    feature_frame,
    fit_references,
    matrix,
    signature,
    with_keys,
)
from clearway.risk.learning.history import History
from clearway.risk.learning.metrics import Array, report

FORMAT = "clearway-risk-model/1"
# Shares at which the validation window's expected values are kept, for the lane thresholds.
THRESHOLD_SHARES = (0.001, 0.002, 0.005, 0.01, 0.015, 0.02, 0.03, 0.04, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3)
_EXPLAIN_SCHEMA = pl.List(pl.Struct({"feature": pl.Utf8, "value": pl.Utf8, "effect": pl.Float64}))


class ModelMismatch(ValueError):
    """A saved model that this code cannot score with (other features, another format)."""


@dataclass(frozen=True)
class TrainConfig:
    """How a model is trained; every value is recorded in the manifest."""

    # Fewer, smaller trees score and explain several times faster than 400 trees of 63 leaves, for
    # the same precision and revenue on the simulated histories (measured: docs/learning.md).
    rounds: int = 300
    learning_rate: float = 0.1
    num_leaves: int = 31
    # Depth bounds the cost of explaining a score (TreeSHAP is quadratic in depth): at 8 levels the
    # contributions cost a few times a prediction, unbounded trees made them a hundred times slower.
    max_depth: int = 8
    min_data_in_leaf: int = 40
    early_stopping: int = 40
    # The latest share of the training window: early stopping and calibration, unseen by the trees.
    validation_share: float = 0.2
    # Pseudo-inspections a history rate is smoothed with (history.py).
    smoothing: float = 20.0
    # Days between a consignment's arrival and its label being known (an inspection, then a record).
    label_delay_days: float = 2.0
    # What a finding is worth beyond the revenue it recovers (a seized counterfeit, a penalty, the
    # deterrence of a detected false declaration), in ranking by expected value. Low-value parcels
    # recover a euro or two of tax each, so with a small worth the ranking chases the few large
    # undervaluations and inspects more compliant parcels; a large one ranks by probability alone.
    # 15 keeps both: against 30, with the revenue model trained on every finding, it raised Revenue@5%
    # by 0.01-0.02 on the default and alternate presets at the same Precision@5% (within 0.002);
    # at 10 precision fell by up to 0.007 (measured per preset and seed: docs/learning.md).
    finding_value_eur: float = 15.0
    threads: int = 2
    seed: int = 7


def _params(config: TrainConfig, objective: str) -> dict[str, Any]:
    return {
        "objective": objective,
        "learning_rate": config.learning_rate,
        "num_leaves": config.num_leaves,
        "max_depth": config.max_depth,
        "min_data_in_leaf": config.min_data_in_leaf,
        "feature_fraction": 0.9,
        "bagging_fraction": 0.8,
        "bagging_freq": 1,
        "lambda_l2": 1.0,
        "max_cat_to_onehot": 8,
        "cat_smooth": 10.0,
        "num_threads": config.threads,
        "seed": config.seed,
        "deterministic": True,
        "force_col_wise": True,
        "verbose": -1,
    }


def with_label_times(labelled: pl.DataFrame, delay_days: float) -> pl.DataFrame:
    """``labelled_at`` when the data does not say: arrival plus the usual delay to a recorded result."""
    if "labelled_at" in labelled.columns:
        return labelled
    return labelled.with_columns(
        (pl.col("received_at") + pl.duration(seconds=int(delay_days * 86400))).alias("labelled_at")
    )


def data_hash(labelled: pl.DataFrame) -> str:
    """A digest of what the model learnt from: each consignment's identity, time and label."""
    cols = labelled.select("operator_id", "reference", "received_at", "label", "revenue_eur")
    return hashlib.sha256(cols.write_csv().encode()).hexdigest()


def fit_classifier(
    x: Array, y: Array, names: list[str], categorical: list[str], config: TrainConfig, valid: int
) -> lgb.Booster:
    """A binary booster on the rows before the last ``valid``, stopped early on those last rows."""
    fit, hold = slice(0, len(y) - valid), slice(len(y) - valid, len(y))
    train_set = lgb.Dataset(x[fit], y[fit], feature_name=names, categorical_feature=categorical, free_raw_data=True)
    callbacks: list[Any] = []
    valid_sets = []
    if valid:
        valid_sets = [lgb.Dataset(x[hold], y[hold], reference=train_set)]
        callbacks = [lgb.early_stopping(config.early_stopping, verbose=False)]
    return lgb.train(_params(config, "binary"), train_set, config.rounds, valid_sets=valid_sets, callbacks=callbacks)


@dataclass
class RiskModel:
    manifest: dict[str, Any]
    classifier: lgb.Booster
    revenue: lgb.Booster | None
    references: References
    calibration: Isotonic
    history: History
    features: tuple[Feature, ...] = FEATURES
    _categorical: dict[str, list[str]] = field(default_factory=dict)

    @property
    def version(self) -> str:
        return str(self.manifest["version"])

    def threshold(self, share: float) -> float:
        """The expected value above which the top ``share`` of the validation window scored."""
        table = self.manifest["value_quantiles"]
        shares = np.asarray([float(k) for k in table])
        values = np.asarray([float(v) for v in table.values()])
        order = np.argsort(shares)
        return float(np.interp(share, shares[order], values[order]))

    def features_of(self, frame: pl.DataFrame, history: History | None = None, at: pl.Expr | None = None) -> Array:
        if history is None and at is None:
            # The stored history is a snapshot (the last counts of each key): read it as of its end
            # at the earliest, or a consignment that arrived before the last label would see none.
            end = self.history.end()
            if end is not None:
                at = pl.max_horizontal(pl.col("received_at"), pl.lit(end + dt.timedelta(microseconds=1)))
        table = feature_frame(
            frame,
            self.references,
            history if history is not None else self.history,
            at=at,
            smoothing=float(self.manifest["config"]["smoothing"]),
            features=self.features,
        )
        return matrix(table)

    def predict(self, x: Array) -> tuple[Array, Array, Array]:
        """Probability of a finding, revenue if found (EUR) and the expected value of inspecting."""
        threads = int(self.manifest["config"]["threads"])
        raw = np.asarray(self.classifier.predict(x, raw_score=True, num_threads=threads), dtype=np.float64)
        probability = self.calibration(raw)
        if self.revenue is not None:
            revenue = np.expm1(np.clip(self.revenue.predict(x, num_threads=threads), 0.0, 20.0))
        else:
            revenue = np.full(len(x), float(self.manifest["mean_revenue_eur"]))
        worth = float(self.manifest["config"]["finding_value_eur"])
        return probability, revenue, probability * (revenue + worth)

    def score(
        self,
        frame: pl.DataFrame,
        *,
        history: History | None = None,
        at: pl.Expr | None = None,
        explain: int = 3,
        explain_from: float | None = None,
        explain_also: Array | None = None,
    ) -> pl.DataFrame:
        """``model_probability``, ``model_revenue_eur``, ``model_value`` and the ``explain`` largest
        feature contributions (``model_contributions``: feature, its value, effect in log-odds).

        Explaining costs about fifty predictions (TreeSHAP), so a caller may explain only the rows
        an officer will look at: those whose expected value is at least ``explain_from``, and those
        where ``explain_also`` (a Boolean mask, e.g. the rules flagged them) is true; the other
        rows get an empty list. By default every row is explained.
        """
        x = self.features_of(frame, history, at)
        probability, revenue, value = self.predict(x)
        out = pl.DataFrame(
            {"model_probability": probability, "model_revenue_eur": revenue, "model_value": value},
            schema={"model_probability": pl.Float64, "model_revenue_eur": pl.Float64, "model_value": pl.Float64},
        )
        chosen = np.ones(len(x), dtype=bool)
        if explain_from is not None or explain_also is not None:
            chosen = value >= explain_from if explain_from is not None else np.zeros(len(x), dtype=bool)
            if explain_also is not None:
                chosen |= explain_also.astype(bool)
        if explain <= 0 or not chosen.any():
            return out.with_columns(pl.lit([], dtype=_EXPLAIN_SCHEMA).alias("model_contributions"))
        explained = self.contributions(x[chosen], explain)
        if chosen.all():
            return out.with_columns(explained)
        empty: list[list[dict[str, Any]]] = [[] for _ in range(len(x))]
        for index, row in zip(np.flatnonzero(chosen).tolist(), explained.to_list(), strict=True):
            empty[index] = row
        return out.with_columns(pl.Series("model_contributions", empty, dtype=_EXPLAIN_SCHEMA))

    def contributions(self, x: Array, k: int) -> pl.Series:
        """Each row's ``k`` features that moved its score most (TreeSHAP, in log-odds)."""
        threads = int(self.manifest["config"]["threads"])
        shap = np.asarray(self.classifier.predict(x, pred_contrib=True, num_threads=threads))[:, :-1]
        k = min(k, shap.shape[1])
        best = np.argsort(-np.abs(shap), axis=1, kind="stable")[:, :k]
        rows = np.repeat(np.arange(len(x)), k)
        columns = best.reshape(-1)
        names = [f.name for f in self.features]
        flat = pl.DataFrame(
            {
                "_row": rows,
                "feature": pl.Series(np.asarray(names, dtype=object)[columns], dtype=pl.Utf8),
                "_value": x[rows, columns],
                "effect": shap[rows, columns].round(4),
            }
        )
        labels = {
            f"{f.name}:{code}.0": text
            for f in self.features
            if f.kind == "categorical"
            for code, text in enumerate(self.references.categories.get(f.name, ()))
        }
        # A missing feature is NaN in the matrix: shown as "missing", not "NaN".
        flat = flat.with_columns(pl.col("_value").fill_nan(None))
        shown = pl.col("_value").round_sig_figs(4).cast(pl.Utf8)
        keyed = pl.col("feature") + ":" + pl.col("_value").cast(pl.Utf8)
        value = keyed.replace_strict(labels, default=shown, return_dtype=pl.Utf8) if labels else shown
        grouped = (
            flat.with_columns(value.fill_null("missing").alias("value"))
            .group_by("_row", maintain_order=True)
            .agg(pl.struct("feature", "value", "effect").alias("model_contributions"))
        )
        return grouped["model_contributions"].cast(_EXPLAIN_SCHEMA)

    # -- the artefact ------------------------------------------------------------------------------

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.classifier.save_model(folder / "classifier.txt")
        if self.revenue is not None:
            self.revenue.save_model(folder / "revenue.txt")
        self.history.save(folder / "history.parquet")
        manifest = dict(self.manifest)
        manifest["calibration"] = self.calibration.to_json()
        manifest["references"] = self.references.to_json()
        # The manifest last: a folder with a manifest is a complete model.
        (folder / "manifest.json").write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")

    @classmethod
    def load(cls, folder: Path) -> RiskModel:
        path = folder / "manifest.json"
        if not path.exists():
            raise FileNotFoundError(f"no model in {folder} (no manifest.json)")
        manifest = json.loads(path.read_text())
        if manifest.get("format") != FORMAT:
            raise ModelMismatch(f"{folder}: format {manifest.get('format')!r}, this code reads {FORMAT!r}")
        names = [f.name for f in FEATURES]
        if manifest.get("features") != names or manifest.get("signature") != signature(FEATURES):
            raise ModelMismatch(
                f"{folder}: the model was trained on other features (signature {manifest.get('signature')}, "
                f"this code computes {signature(FEATURES)}); retrain it with 'clearway risk train'"
            )
        classifier = lgb.Booster(model_file=str(folder / "classifier.txt"))
        if classifier.feature_name() != names:
            raise ModelMismatch(f"{folder}: classifier.txt does not use the manifest's features")
        revenue_path = folder / "revenue.txt"
        revenue = lgb.Booster(model_file=str(revenue_path)) if revenue_path.exists() else None
        return cls(
            manifest=manifest,
            classifier=classifier,
            revenue=revenue,
            references=References.from_json(manifest["references"]),
            calibration=Isotonic.from_json(manifest["calibration"]),
            history=History.load(folder / "history.parquet"),
        )


def train(
    labelled: pl.DataFrame,
    config: TrainConfig | None = None,
    *,
    references: References | None = None,
    now: dt.datetime | None = None,
) -> RiskModel:
    """Train on labelled, assessed consignments (risk frame columns + ``label`` + ``revenue_eur``).

    Rows are taken in time order; the latest ``validation_share`` stops the trees and calibrates
    their scores. History features use labels known before each row (``labelled_at``). The
    references (typical values) are fitted on the labelled rows unless given: declared values need
    no label, so a caller with the whole traffic of the window passes references fitted on it.
    """
    config = config or TrainConfig()
    if labelled.height < 50 or labelled["label"].sum() < 5:
        raise ValueError(f"too few labels to train on: {labelled.height} rows, {labelled['label'].sum()} findings")
    keyed = with_keys(with_label_times(labelled, config.label_delay_days).sort("received_at", maintain_order=True))
    references = references or fit_references(keyed)
    history = History.from_labels(keyed)
    features = FEATURES
    names = [f.name for f in features]
    categorical = [f.name for f in features if f.kind == "categorical"]
    x = matrix(feature_frame(keyed, references, history, smoothing=config.smoothing, features=features))
    y = keyed["label"].cast(pl.Float64).to_numpy()
    revenue = keyed["revenue_eur"].fill_null(0.0).cast(pl.Float64).to_numpy()
    valid = int(len(y) * config.validation_share) if len(y) >= 200 else 0
    classifier = fit_classifier(x, y, names, categorical, config, valid)
    hold = slice(len(y) - valid, len(y)) if valid else slice(0, len(y))
    raw = np.asarray(classifier.predict(x[hold], raw_score=True, num_threads=config.threads), dtype=np.float64)
    calibration = Isotonic.fit(raw, y[hold])
    # The regressor learns from the part before the holdout, like the classifier, so that the
    # holdout's metrics, thresholds and drift bins are out of sample. It learns from every finding,
    # those that recovered nothing too (a seized counterfeit, a misclassification at the same rate):
    # expected value = P(finding) x E[revenue | finding], and a regressor of the findings that
    # recovered revenue alone overstates what kinds that mostly recover nothing bring, so the ranking
    # inspected compliant parcels of a profile that seldom pays (measured: docs/learning.md).
    found = y > 0
    if valid:
        found[len(y) - valid :] = False
    regressor = None
    if found.sum() >= 50:
        # As many trees as the classifier needed (a few thousand findings need no more): scoring
        # pays for every tree of both models.
        rounds = max(50, min(config.rounds, classifier.best_iteration or config.rounds))
        regressor = lgb.train(
            _params(config, "regression"),
            lgb.Dataset(x[found], np.log1p(revenue[found]), feature_name=names, categorical_feature=categorical),
            rounds,
        )
    mean_revenue = float(revenue[found].mean()) if found.any() else 0.0
    received = keyed["received_at"]
    model = RiskModel(
        manifest={
            "format": FORMAT,
            "version": (now or dt.datetime.now(dt.UTC)).strftime("%Y%m%dT%H%M%SZ"),
            "created_at": (now or dt.datetime.now(dt.UTC)).isoformat(),
            "features": names,
            "signature": signature(features),
            "categorical": categorical,
            "training_window": {"from": received.min().isoformat(), "to": received.max().isoformat()},  # type: ignore[union-attr]
            "rows": len(y),
            "findings": int(y.sum()),
            "data_hash": data_hash(keyed),
            "config": asdict(config),
            "best_iteration": int(classifier.best_iteration or classifier.current_iteration()),
            "mean_revenue_eur": mean_revenue,
            "lightgbm": lgb.__version__,
        },
        classifier=classifier,
        revenue=regressor,
        references=references,
        calibration=calibration,
        history=history.snapshot(),
    )
    probability, _, value = model.predict(x[hold])
    model.manifest["metrics"] = {"validation_rows": len(probability), **report(value, y[hold], revenue[hold])}
    model.manifest["drift"] = {
        "score": fit_bins(value),
        "features": {name: fit_bins(x[hold][:, i]) for i, name in enumerate(names) if name not in categorical},
    }
    model.manifest["value_quantiles"] = {
        str(share): float(np.quantile(value, 1 - share)) if len(value) else math.inf for share in THRESHOLD_SHARES
    }
    model.manifest["mean_probability"] = float(probability.mean()) if len(probability) else math.nan
    model.manifest["thresholds_from"] = {"population": "validation window", "consignments": len(value)}
    return model


def set_thresholds(model: RiskModel, values: Array, population: str) -> None:
    """The lane thresholds from the expected values of a population of consignments.

    The validation window holds inspected consignments, a population the rules already chose; the
    shares in the settings are meant of all traffic, so an installer with recent traffic uses it.
    """
    if not len(values):
        return
    model.manifest["value_quantiles"] = {str(s): float(np.quantile(values, 1 - s)) for s in THRESHOLD_SHARES}
    model.manifest["thresholds_from"] = {"population": population, "consignments": len(values)}
