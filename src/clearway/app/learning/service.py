"""The targeting model in the application: training from the officers' recorded outcomes, on a
schedule or by command, scoring files, and drift of recent traffic against the training window.

The labels are the inspection outcomes (``POST /v1/customs/consignments/{id}/outcome``): anything
but ``compliant`` is a finding; the revenue a finding recovered is the corrected value's excess over
the declared one, taxed at the rate the consignment's own assessment applied (duty and tax over the
value assessed), in euro. A consignment is assessed again (data quality, screening, rules) by the
current risk step, as the pipeline would assess it now, so features mean what they mean in scoring.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import shutil
import threading
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import msgspec
import numpy as np
import polars as pl
import sqlalchemy as sa

from clearway.app.risk.service import RiskService
from clearway.audit.chain import AuditEvent
from clearway.clearance.errors import Conflict, NotFound
from clearway.dataset.records import Consignment
from clearway.risk.frame import RiskInput
from clearway.risk.learning.drift import psi, reading
from clearway.risk.learning.gate import Retraining, retrain
from clearway.risk.learning.model import RiskModel, TrainConfig
from clearway.settings import Settings
from clearway.store import learning_repo
from clearway.store.audit_log import SqlAuditLog

_log = logging.getLogger(__name__)
# Stored bodies were validated when they were accepted: decoding them needs no second validation.
_DECODER = msgspec.json.Decoder(Consignment)
# Used when a consignment has no assessment to take its rate from (a typical VAT rate).
_DEFAULT_RATE = Decimal("0.2")
# Who retrains when no person asked (the server's schedule), and where the decisions are audited.
_RETRAINER = "system:model-retraining"
MODEL_SUBJECT = "targeting-model"
GATE_ACTION = "risk.model_gate"


def recovered_rate(duty: Decimal | None, tax: Decimal | None, value: Decimal | None) -> Decimal:
    """Duty and tax as a share of the value assessed, or the default when there is no assessment."""
    if duty is None or tax is None or not value:
        return _DEFAULT_RATE
    return (duty + tax) / value


class LearningService:
    def __init__(
        self, engine: sa.Engine, settings: Settings, risk: RiskService, *, write_lock: threading.Lock | None = None
    ) -> None:
        self.engine = engine
        self.settings = settings
        self.risk = risk
        self._training = threading.Lock()
        # The platform's write lock: the audit append queues behind the pipeline's writes (SQLite).
        self._write = write_lock or threading.Lock()

    @property
    def folder(self) -> Path:
        return Path(self.settings.model_dir)

    def config(self) -> TrainConfig:
        return TrainConfig(threads=self.settings.model_threads)

    # -- labels from the store -------------------------------------------------------------------

    def labelled(self, since: dt.datetime | None = None) -> pl.DataFrame:
        """The inspected consignments, assessed now, with ``label``, ``revenue_eur`` and ``labelled_at``."""
        with self.engine.connect() as conn:
            rows = learning_repo.labelled_rows(conn, since)
        inputs, kept = self._inputs(rows)
        if not inputs:
            raise ValueError("no recorded inspection outcomes to learn from")
        # Without the model in use: it would score every training row against its own stored
        # history, which holds the row's own label (unused columns, but a leak waiting to happen).
        frame = dataclasses.replace(self.risk.step(), model=None).frame(inputs, {}, None)
        # Scale the revenue into euro with the frame's own conversion (value_eur / goods_value).
        labels = pl.DataFrame(
            {
                "label": [int(r["outcome"] != "compliant") for r in kept],
                "_gap": [self._gap(r) for r in kept],
                "finding": [None if r["outcome"] == "compliant" else r["outcome"] for r in kept],
                "labelled_at": [r["recorded_at"] for r in kept],
            },
            schema={"label": pl.Int8, "_gap": pl.Float64, "finding": pl.Utf8, "labelled_at": pl.Datetime("us", "UTC")},
        )
        factor = (pl.col("value_eur") / pl.col("goods_value")).fill_nan(None).fill_null(1.0)
        return (
            frame.hstack(labels)
            .with_columns((pl.col("_gap") * factor).round(2).alias("revenue_eur"))
            .drop("_gap")
            .sort("received_at", maintain_order=True)
        )

    @staticmethod
    def _gap(row: dict[str, Any]) -> float:
        corrected, declared = row["corrected_value"], row["goods_value"]
        if row["outcome"] == "compliant" or corrected is None or corrected <= declared:
            return 0.0
        return float((corrected - declared) * recovered_rate(row["duty"], row["tax"], row["intrinsic_value"]))

    @staticmethod
    def _inputs(rows: Sequence[dict[str, Any]]) -> tuple[list[RiskInput], list[dict[str, Any]]]:
        inputs, kept = [], []
        for row in rows:
            try:
                record = _DECODER.decode(row["body"])
            except msgspec.ValidationError:  # valid when stored; a later schema may refuse one
                _log.warning("consignment %s: stored version no longer decodes; left out", row.get("id"))
                continue
            inputs.append(RiskInput(record, row["operator_id"], row["received_at"]))
            kept.append(row)
        return inputs, kept

    # -- training --------------------------------------------------------------------------------

    def train_and_install(
        self,
        labelled: pl.DataFrame,
        config: TrainConfig | None = None,
        *,
        force: bool = False,
        actor: str = _RETRAINER,
        now: dt.datetime | None = None,
    ) -> Retraining:
        """Train; install the model only if it passes the quality gate (risk.learning.gate) against
        the one in use, or there is none, or ``force``; write the decision to the audit chain."""
        with self._training:
            current = self.risk.model()
            recent = self._recent(days=14, limit=50_000)
            decision, model = retrain(
                labelled,
                current,
                config or self.config(),
                recent=recent,
                population="recent traffic, 14 days",
                force=force,
                now=now,
            )
            if decision.installed:
                self._install(model)
            with self._write, self.engine.begin() as conn:
                event = AuditEvent(
                    at=now or dt.datetime.now(dt.UTC),
                    actor=actor,
                    action=GATE_ACTION,
                    subject=MODEL_SUBJECT,
                    detail=decision.to_json(),
                )
                SqlAuditLog(conn).append([event])
            _log.info("targeting model %s %s: %s", model.version, decision.decision, decision.reason)
            in_use = model if decision.installed or current is None else current
            return Retraining(decision, in_use)

    def _install(self, model: RiskModel) -> None:
        """Write the artefact next to the current one, swap it in, and reload the pipeline."""
        staging = self.folder.with_name(self.folder.name + ".new")
        if staging.exists():
            shutil.rmtree(staging)
        model.save(staging)
        RiskModel.load(staging)  # the artefact reads back, or nothing is replaced
        if self.folder.exists():
            old = self.folder.with_name(self.folder.name + ".old")
            if old.exists():
                shutil.rmtree(old)
            self.folder.rename(old)
        staging.rename(self.folder)
        self.risk.reload(model=True)

    def last_gate(self) -> dict[str, Any] | None:
        """The latest retraining decision in the audit chain, with when and by whom."""
        with self.engine.connect() as conn:
            return learning_repo.last_audit(conn, MODEL_SUBJECT, GATE_ACTION)

    def retrain_if_due(self, now: dt.datetime | None = None) -> Retraining | None:
        """Retrain from the recorded outcomes when the schedule says so and there are new labels.

        The schedule counts from the last attempt, installed or kept: a refused candidate is not
        retrained at every sweep until the next period brings new outcomes.
        """
        hours = self.settings.model_retrain_hours
        if hours <= 0:
            return None
        now = now or dt.datetime.now(dt.UTC)
        current = self.risk.model()
        trained_at = dt.datetime.fromisoformat(current.manifest["created_at"]) if current else None
        last = self.last_gate()
        if last is not None and current is not None:
            trained_at = max(trained_at or last["at"], last["at"])
        if trained_at is not None and now - trained_at < dt.timedelta(hours=hours):
            return None
        with self.engine.connect() as conn:
            new = learning_repo.outcomes_since(conn, trained_at or dt.datetime.min.replace(tzinfo=dt.UTC))
        if new == 0:
            return None
        labelled = self.labelled()
        if labelled.height < self.settings.model_min_labels:
            return None
        done = self.train_and_install(labelled, now=now)
        _log.info("retraining on %d outcomes: %s", labelled.height, done.decision.decision)
        return done

    def retrain_now(self, *, actor: str, force: bool = False) -> Retraining:
        """Retrain from the recorded outcomes on demand (an analyst's request), through the same gate
        as the schedule; ``force`` (administrators) installs whatever the gate says, audited as forced."""
        if self._training.locked():
            raise Conflict("a retraining is already running; its decision will show in GET /v1/risk/model")
        try:
            labelled = self.labelled()
        except ValueError:
            labelled = pl.DataFrame()
        if labelled.height < self.settings.model_min_labels:
            raise Conflict(
                f"{labelled.height:,} recorded outcomes; retraining needs at least "
                f"{self.settings.model_min_labels:,} (CLEARWAY_MODEL_MIN_LABELS)"
            )
        return self.train_and_install(labelled, force=force, actor=actor)

    def summary(self) -> dict[str, Any]:
        """What an analyst needs to know of the model in use (NotFound when there is none)."""
        model = self.risk.model()
        if model is None:
            raise NotFound(f"no targeting model in use (train one with 'clearway risk train'; see {self.folder})")
        m = model.manifest
        lanes = self.risk.step().lanes
        return {
            "version": model.version,
            "created_at": m["created_at"],
            "training_window": m["training_window"],
            "rows": m["rows"],
            "findings": m["findings"],
            "data_hash": m["data_hash"],
            "signature": m["signature"],
            "features": [{"name": f.name, "description": f.description, "kind": f.kind} for f in model.features],
            "validation": m["metrics"],
            "config": m["config"],
            "thresholds": {"red_at": lanes.model_red_at, "yellow_at": lanes.model_yellow_at},
            "retrain_hours": self.settings.model_retrain_hours,
            "last_retraining": self.last_gate(),
        }

    # -- drift -----------------------------------------------------------------------------------

    def _recent(self, days: int, limit: int, now: dt.datetime | None = None) -> pl.DataFrame | None:
        """The assessed frame of the consignments received in the last ``days`` (None when none)."""
        since = (now or dt.datetime.now(dt.UTC)) - dt.timedelta(days=days)
        with self.engine.connect() as conn:
            rows = learning_repo.recent_rows(conn, since, limit)
        inputs, _ = self._inputs(rows)
        return self.risk.step().frame(inputs, {}, None) if inputs else None

    def drift(self, days: int = 7, limit: int = 50_000, now: dt.datetime | None = None) -> dict[str, Any]:
        """PSI of the score and of each feature: recent consignments against the training window."""
        model = self.risk.model()
        if model is None:
            raise NotFound(f"no targeting model in use (train one with 'clearway risk train'; see {self.folder})")
        recent = self._recent(days, limit, now)
        if recent is None:
            return {"model": model.version, "consignments": 0, "score": None, "features": {}}
        return drift_report(model, recent)


def drift_report(model: RiskModel, frame: pl.DataFrame) -> dict[str, Any]:
    """PSI per feature and of the score for an assessed frame, against the model's manifest bins."""
    x = model.features_of(frame)
    _, _, value = model.predict(x)
    bins = model.manifest["drift"]
    names = model.manifest["features"]
    features = {
        name: round(psi(bins["features"][name], x[:, i]), 4) for i, name in enumerate(names) if name in bins["features"]
    }
    score = round(psi(bins["score"], np.asarray(value)), 4)
    worst = sorted(features.items(), key=lambda kv: -kv[1])[:5]
    return {
        "model": model.version,
        "consignments": frame.height,
        "score": {"psi": score, "reading": reading(score)},
        "features": features,
        "most_shifted": [{"feature": k, "psi": v, "reading": reading(v)} for k, v in worst],
    }
