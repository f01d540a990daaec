"""The learning loop, replayed week by week: only what was inspected is ever labelled.

Each week the current model ranks the week's consignments and customs inspects a target share of
them; only those labels are revealed, and the model is retrained on every label revealed so far
before the next week. Before there are enough labels, the rules rank (a cold start). Two policies
are compared (DOMAIN.md section 6):

- ``exploit``: inspect the top of the ranking only;
- ``explore_10``: inspect the top for 90 % of the inspections and a uniform random draw from the
  rest for 10 %, which keeps labels coming from where the model is not looking (new sellers,
  behaviour that drifted) at the price of a few weaker picks today.

Per week and policy: precision (share of inspections that found something), recall and normalised
revenue (share of the week's recoverable revenue the inspections found).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import replace
from typing import Any

import numpy as np
import polars as pl

from clearway.risk.learning.evaluate import rule_scores
from clearway.risk.learning.features import fit_references, with_keys
from clearway.risk.learning.model import TrainConfig, train

_MIN_LABELS, _MIN_FINDINGS = 100, 10


def _week_index(frame: pl.DataFrame) -> pl.DataFrame:
    start = frame["received_at"].min()
    if not isinstance(start, dt.datetime):
        raise ValueError("received_at must be a datetime column")
    return frame.with_columns(((pl.col("received_at") - start).dt.total_seconds() // (7 * 86400)).alias("_week"))


def replay(
    labelled: pl.DataFrame,
    *,
    rate: float = 0.05,
    explorations: dict[str, float] | None = None,
    config: TrainConfig | None = None,
    seed: int = 0,
) -> dict[str, Any]:
    """Weekly curves of each policy; ``explorations`` maps a policy name to its random share."""
    if not 0 < rate < 1:
        raise ValueError("rate must be between 0 and 1")
    policies = explorations or {"exploit": 0.0, "explore_10": 0.1}
    # Weekly retraining on a few thousand labels: fewer rounds, the same features and model.
    config = replace(config or TrainConfig(), rounds=150, early_stopping=20)
    frame = with_keys(_week_index(labelled.sort("received_at", maintain_order=True)))
    weeks = sorted(int(w) for w in frame["_week"].unique().to_list())
    out: dict[str, Any] = {"rate": rate, "weeks": weeks, "policies": {}}
    for name, share in policies.items():
        rng = np.random.default_rng(seed)
        revealed: list[pl.DataFrame] = []
        curve: list[dict[str, Any]] = []
        for week in weeks:
            rows = frame.filter(pl.col("_week") == week)
            known = pl.concat(revealed) if revealed else rows.clear()
            y = rows["label"].cast(pl.Float64).to_numpy()
            revenue = rows["revenue_eur"].fill_null(0.0).to_numpy()
            ranked_by = "rules"
            if known.height >= _MIN_LABELS and known["label"].sum() >= _MIN_FINDINGS:
                # References (typical prices) come from every declaration seen so far: they need no label.
                seen = frame.filter(pl.col("_week") < week)
                model = train(known, config, references=fit_references(seen))
                scores = model.predict(model.features_of(rows))[2]
                ranked_by = "model"
            else:
                scores = rule_scores(rows)
            k = max(1, math.ceil(rate * rows.height))
            explore = round(share * k)
            order = np.argsort(-scores, kind="stable")
            chosen = order[: k - explore]
            rest = order[k - explore :]
            if explore and len(rest):
                chosen = np.concatenate([chosen, rng.choice(rest, size=min(explore, len(rest)), replace=False)])
            found = float(y[chosen].sum())
            end = rows["received_at"].max()
            inspected = rows[chosen.tolist()].with_columns(pl.lit(end).alias("labelled_at"))
            revealed.append(inspected.drop("_week"))
            curve.append(
                {
                    "week": week,
                    "consignments": rows.height,
                    "inspected": len(chosen),
                    "ranked_by": ranked_by,
                    "precision": found / len(chosen),
                    "recall": found / y.sum() if y.sum() else 0.0,
                    "revenue": float(revenue[chosen].sum() / revenue.sum()) if revenue.sum() else 0.0,
                }
            )
        out["policies"][name] = {
            "exploration": share,
            "curve": curve,
            "mean_precision": float(np.mean([c["precision"] for c in curve])),
            "mean_revenue": float(np.mean([c["revenue"] for c in curve])),
            "labels_revealed": int(sum(c["inspected"] for c in curve)),
        }
    return out
