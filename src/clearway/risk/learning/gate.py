"""The quality gate of retraining: a new model replaces the one in use only if it is not worse.

A retrained model is judged on a recent hold-out, split by time: the latest ``HOLDOUT_SHARE`` of the
labelled consignments by arrival, which the candidate never trains on. Both models rank the
hold-out, each reading the labelled history as it stood when each consignment arrived (the same
history for both, nothing recorded after the arrival: see ``history.py``), and the candidate is
installed only if its Precision@5% and Revenue@5% are each at least the current model's minus
``TOLERANCE``. Otherwise the current model stays, and the decision says why.

Why these two: they are what the targeting is for (DATE, KDD 2020; ``evaluate.py``), measured where
an administration inspects. Why a tolerance: two models of about the same quality differ by a
consignment or two in the top 5 % of a hold-out; refusing every such candidate would freeze the
model while its history and references age. 0.005 is one consignment in 200 inspected, a tenth of
the smallest margin the evaluation reports between the model and its baselines.

The gate is biased towards the current model when it trained on part of the hold-out (retraining
before a full hold-out's worth of new labels came in): ``current_saw_holdout`` says so, and an
analyst can install anyway (``force``). A hold-out with fewer than ``MIN_FINDINGS`` findings
cannot tell two models apart: the current model stays.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import polars as pl

from clearway.risk.learning.evaluate import time_split
from clearway.risk.learning.features import with_keys
from clearway.risk.learning.history import History
from clearway.risk.learning.metrics import Array, report
from clearway.risk.learning.model import RiskModel, TrainConfig, set_thresholds, train, with_label_times

HOLDOUT_SHARE = 0.2
TOLERANCE = 0.005
SHARE = "5"  # the percentage inspected at which the models are compared
METRICS = ("precision", "revenue")
MIN_FINDINGS = 5

Decision = Literal["installed", "kept"]


@dataclass(frozen=True)
class GateDecision:
    """Whether a retrained model was installed, the two models' hold-out metrics, and why."""

    decision: Decision
    reason: str
    candidate_version: str
    current_version: str | None = None
    # {"precision": .., "revenue": .., "auc": ..} at SHARE % of the hold-out; None without a judgement.
    candidate: dict[str, float | None] | None = None
    current: dict[str, float | None] | None = None
    holdout: dict[str, Any] = field(default_factory=dict)
    tolerance: float = TOLERANCE
    forced: bool = False

    @property
    def installed(self) -> bool:
        return self.decision == "installed"

    def to_json(self) -> dict[str, Any]:
        return {
            "decision": self.decision,
            "reason": self.reason,
            "candidate_version": self.candidate_version,
            "current_version": self.current_version,
            "candidate": self.candidate,
            "current": self.current,
            "holdout": self.holdout,
            "tolerance": self.tolerance,
            "share_inspected": int(SHARE),
            "forced": self.forced,
        }


@dataclass(frozen=True)
class Retraining:
    """A retraining's decision and the model in use after it (the new one, or the one kept)."""

    decision: GateDecision
    model: RiskModel


def split(labelled: pl.DataFrame, share: float = HOLDOUT_SHARE) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The consignments the candidate learns from, and the latest ``share`` by arrival it is judged on."""
    past, holdout, _ = time_split(labelled, 1.0 - share)
    return past, holdout


def at_share(scores: Array, labels: Array, revenue: Array) -> dict[str, float | None]:
    """Precision and Revenue at ``SHARE`` % inspected and the AUC of one ranking of the hold-out."""
    metrics = report(scores, labels, revenue)
    return {
        "precision": round(metrics["precision"][SHARE], 4),
        "revenue": round(metrics["revenue"][SHARE], 4),
        "auc": None if metrics["auc"] is None else round(metrics["auc"], 4),
    }


def compare(
    candidate: dict[str, float | None], current: dict[str, float | None], tolerance: float = TOLERANCE
) -> tuple[Decision, str]:
    """Installed when no compared metric of the candidate is below the current one by more than
    ``tolerance``; the reason names each metric that decided."""
    worse = []
    for name in METRICS:
        new, old = float(candidate[name] or 0.0), float(current[name] or 0.0)
        if new < old - tolerance:
            worse.append(f"{name}@{SHARE}% {new:.3f} < {old:.3f} - {tolerance}")
    if worse:
        return "kept", "the candidate is worse than the model in use on the recent hold-out: " + "; ".join(worse)
    shown = ", ".join(
        f"{name}@{SHARE}% {float(candidate[name] or 0):.3f} vs {float(current[name] or 0):.3f}" for name in METRICS
    )
    return "installed", f"the candidate is not worse than the model in use on the recent hold-out ({shown})"


def judge(
    candidate: RiskModel,
    current: RiskModel,
    holdout: pl.DataFrame,
    history: History,
    tolerance: float = TOLERANCE,
) -> GateDecision:
    """Rank the hold-out with both models, the same labelled history read as of each arrival."""
    y = holdout["label"].cast(pl.Float64).to_numpy()
    revenue = holdout["revenue_eur"].fill_null(0.0).cast(pl.Float64).to_numpy()
    received = holdout["received_at"]
    first, last = received.min(), received.max()
    trained_to = dt.datetime.fromisoformat(current.manifest["training_window"]["to"])
    described: dict[str, Any] = {
        "rows": holdout.height,
        "findings": int(y.sum()),
        "from": first.isoformat() if isinstance(first, dt.datetime) else None,
        "to": last.isoformat() if isinstance(last, dt.datetime) else None,
        "current_saw_holdout": int((received <= trained_to).sum()),
    }
    if y.sum() < MIN_FINDINGS:
        reason = (
            f"the recent hold-out has {int(y.sum())} findings (fewer than {MIN_FINDINGS}): "
            "it cannot tell the models apart"
        )
        return GateDecision("kept", reason, candidate.version, current.version, holdout=described, tolerance=tolerance)
    scores = {}
    for name, model in (("candidate", candidate), ("current", current)):
        x = model.features_of(holdout, history=history, at=pl.col("received_at"))
        scores[name] = at_share(np.asarray(model.predict(x)[2]), y, revenue)
    decision, reason = compare(scores["candidate"], scores["current"], tolerance)
    return GateDecision(
        decision,
        reason,
        candidate.version,
        current.version,
        candidate=scores["candidate"],
        current=scores["current"],
        holdout=described,
        tolerance=tolerance,
    )


def retrain(
    labelled: pl.DataFrame,
    current: RiskModel | None,
    config: TrainConfig,
    *,
    recent: pl.DataFrame | None = None,
    population: str = "recent traffic",
    force: bool = False,
    now: dt.datetime | None = None,
) -> tuple[GateDecision, RiskModel]:
    """A new model and whether it should replace ``current``.

    Without a model in use (or with ``force``) the model learns from every label and installs.
    Otherwise the candidate learns from all but the recent hold-out and is judged on it; a
    candidate that passes reads, in scoring, the history of every label known now (history is
    data, like the references: the trees stay those that were judged). ``recent`` traffic (at
    least 1,000 consignments), when given, sets the lane thresholds, each consignment read against
    the labels recorded before it arrived, as it was when it was scored, never against its own.
    """
    history = History.from_labels(with_keys(with_label_times(labelled, config.label_delay_days)))
    if current is None or force:
        model = train(labelled, config, now=now)
        reason = (
            "installed on request, without the quality gate"
            if current is not None
            else "no model in use: the first model installs without the quality gate"
        )
        decision = GateDecision(
            "installed", reason, model.version, current.version if current else None, forced=current is not None
        )
    else:
        past, holdout = split(labelled)
        model = train(past, config, now=now)
        decision = judge(model, current, holdout, history)
        model.history = history.snapshot()
    model.manifest["gate"] = decision.to_json()
    if decision.installed and recent is not None and recent.height >= 1000:
        values = model.predict(model.features_of(recent, history=history, at=pl.col("received_at")))[2]
        set_thresholds(model, values, population)
    return decision, model
