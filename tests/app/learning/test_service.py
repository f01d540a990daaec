"""The targeting model in the application: trained from officers' recorded outcomes in the store,
installed for the pipeline (its score and reasons join the risk result), retrained on schedule,
and refused when its features no longer match the code."""

from __future__ import annotations

import datetime as dt
import json
import random
from decimal import Decimal
from pathlib import Path

import numpy as np
import polars as pl
import pytest
import sqlalchemy as sa

from clearway.app.demo import replay
from clearway.app.learning.data import finding_of
from clearway.app.platform import Clearway
from clearway.risk.learning.features import feature_frame, fit_references, with_keys
from clearway.risk.learning.gate import split
from clearway.risk.learning.history import History
from clearway.settings import Settings
from clearway.simulate import SimulationConfig, TruthRecord, generate
from clearway.simulate.fraud import FRAUD_PRESETS
from clearway.store import risk_repo
from clearway.store.tables import audit_log, consignments
from tests.conftest import TEST_SECRET, empty

OUTCOME = {"undervalued": "undervalued", "misclassified": "misclassified", "counterfeit": "counterfeit"}


def label(
    service: Clearway,
    consignment_id: str,
    outcome: str,
    at: dt.datetime,
    corrected_value: Decimal | None = None,
    corrected_hs_code: str | None = None,
) -> None:
    """A label written straight to the store, as an import of past inspections would be: the simulated
    traffic was never inspected in this database, and the officers' route refuses an outcome then."""
    with service.engine.begin() as conn:
        version = conn.execute(
            sa.select(consignments.c.version).where(consignments.c.id == consignment_id)
        ).scalar_one()
        latest = risk_repo.latest_result(conn, consignment_id)
        risk_repo.record_outcome(
            conn,
            consignment_id=consignment_id,
            version=version,
            outcome=outcome,
            corrected_value=corrected_value,
            corrected_hs_code=corrected_hs_code,
            note="",
            officer="person:olga",
            at=at,
            result=latest[1] if latest else None,
        )


def record_outcomes(service: Clearway, truth: list[TruthRecord], at: dt.datetime) -> tuple[int, int]:
    """Inspect every consignment with a finding and 300 others; record what the inspection found."""
    with service.engine.connect() as conn:
        ids = {
            (op, ref): cid
            for cid, op, ref in conn.execute(
                sa.select(consignments.c.id, consignments.c.operator_id, consignments.c.reference)
            )
        }
    rng = random.Random(1)
    chosen = [t for t in truth if finding_of(t)[0] is not None]
    chosen += rng.sample([t for t in truth if finding_of(t)[0] is None], 300)
    findings = 0
    for t in chosen:
        kind, _ = finding_of(t)
        outcome = OUTCOME.get(
            kind or "", "compliant" if kind is None else "prohibited" if kind == "prohibited" else "other"
        )
        label(
            service,
            ids[(t.consignment_operator, t.reference)],
            outcome,
            at,
            corrected_value=t.true_value if outcome == "undervalued" else None,
            corrected_hs_code=t.true_hs_code if outcome == "misclassified" else None,
        )
        findings += outcome != "compliant"
    return len(chosen), findings


@pytest.fixture(scope="module")
def trained(
    engine: sa.Engine, database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Clearway, int, int]:
    empty(engine)
    folder = tmp_path_factory.mktemp("model")
    settings = Settings(
        database_url=database_url,
        secret_key=TEST_SECRET,
        model_dir=str(folder / "model"),
        model_min_labels=300,
        hs_model_dir=str(folder / "hs"),
    )
    service = Clearway(settings, engine=engine)
    traffic = generate(1500, seed=4, config=SimulationConfig(days=21, fraud=FRAUD_PRESETS["default"]))
    replay(service, traffic)
    end = max(t.received_at for t in traffic.truth)
    inspected, findings = record_outcomes(service, traffic.truth, end + dt.timedelta(days=1))
    return service, inspected, findings


def test_labels_come_from_the_recorded_outcomes(trained: tuple[Clearway, int, int]) -> None:
    service, inspected, findings = trained
    labelled = service.learning.labelled()
    assert labelled.height == inspected
    assert int(labelled["label"].sum()) == findings
    undervalued = labelled.filter(labelled["finding"] == "undervalued")
    # Revenue is the gap taxed at the assessment's own rate: 0 where nothing was due (no VAT, de minimis).
    assert undervalued.height and (undervalued["revenue_eur"] >= 0).all()
    assert (undervalued["revenue_eur"] > 0).mean() > 0.5
    assert (labelled.filter(labelled["label"] == 0)["revenue_eur"] == 0).all()
    # The declaration is assessed again: rules and quality columns are there.
    assert {"rule_score", "quality_score", "buyer_key"} <= set(labelled.columns)


def test_history_features_from_the_store_use_only_outcomes_recorded_before_arrival(
    trained: tuple[Clearway, int, int],
) -> None:
    service, _, _ = trained
    labelled = service.learning.labelled()
    # Every outcome was recorded a day after the last arrival: the label time is the recording
    # time, not the consignment's, so no training row knows any seller's, buyer's... past findings.
    recorded = labelled["labelled_at"].unique()
    assert recorded.len() == 1 and recorded[0] > labelled["received_at"].max()
    features = feature_frame(labelled, fit_references(labelled), History.from_labels(with_keys(labelled)))
    for entity in ("seller", "buyer", "platform", "declarant", "hs6"):
        assert (features[f"{entity}_inspected"] == 0).all(), entity


def test_a_trained_model_scores_in_the_pipeline_with_its_reasons(trained: tuple[Clearway, int, int]) -> None:
    service, _, _ = trained
    model = service.learning.train_and_install(service.learning.labelled()).model
    folder = Path(service.settings.model_dir)
    assert (folder / "manifest.json").exists() and service.risk.model() is not None
    assert service.risk.step().model is not None and service.risk.step().lanes.model_red_at is not None
    later = generate(
        60,
        seed=99,
        config=SimulationConfig(days=1, fraud=FRAUD_PRESETS["default"]),
        start=dt.datetime(2026, 12, 1, tzinfo=dt.UTC),
    )
    replay(service, later)
    with service.engine.connect() as conn:
        ids = [
            cid
            for (cid,) in conn.execute(
                sa.select(consignments.c.id).where(
                    consignments.c.received_at >= dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
                )
            )
        ]
    results = [service.risk.result(cid) for cid in ids]
    scored = [r for r in results if r is not None and r["model"] is not None]
    assert scored, "decided consignments carry the model's score"
    for r in scored:
        assert r["model"]["version"] == model.version
        assert 0 <= r["model"]["probability"] <= 1 and len(r["model"]["contributions"]) in (0, 3)
        if any(reason["code"] == "model_score" for reason in r["reasons"]):
            # What the model raised is explained: its three most telling features.
            assert r["lane"] in {"yellow", "red", "do_not_load"} and len(r["model"]["contributions"]) == 3


def test_retraining_follows_the_schedule(trained: tuple[Clearway, int, int]) -> None:
    service, _, _ = trained
    if service.risk.model() is None:
        service.learning.train_and_install(service.learning.labelled())
    current = service.risk.model()
    assert current is not None
    created = dt.datetime.fromisoformat(current.manifest["created_at"])
    assert service.learning.retrain_if_due(now=created + dt.timedelta(hours=1)) is None  # not due
    # Due, but no outcome recorded since: nothing new to learn.
    assert service.learning.retrain_if_due(now=created + dt.timedelta(days=8)) is None
    with service.engine.connect() as conn:
        cid = conn.execute(sa.select(consignments.c.id).limit(1)).scalar_one()
    label(service, cid, "compliant", created + dt.timedelta(days=8))
    retrained = service.learning.retrain_if_due(now=created + dt.timedelta(days=8, hours=1))
    assert retrained is not None and service.risk.model() is not None
    # Installed or kept, the attempt counts: no new attempt until the next period.
    assert retrained.decision.decision in {"installed", "kept"}
    assert service.learning.retrain_if_due(now=created + dt.timedelta(days=8, hours=2)) is None


def shuffled_before(labelled: pl.DataFrame, cut: dt.datetime | None) -> pl.DataFrame:
    """Labels and revenue shuffled among the rows received before ``cut`` (all when None)."""
    early = labelled if cut is None else labelled.filter(pl.col("received_at") < cut)
    order = np.random.default_rng(5).permutation(early.height)
    mixed = early.with_columns(
        pl.Series("label", early["label"].to_numpy()[order]),
        pl.Series("revenue_eur", early["revenue_eur"].to_numpy()[order]),
    )
    rest = labelled.clear() if cut is None else labelled.filter(pl.col("received_at") >= cut)
    return pl.concat([mixed, rest]).sort("received_at", maintain_order=True)


def test_retraining_installs_only_a_model_that_is_not_worse(trained: tuple[Clearway, int, int]) -> None:
    service, _, _ = trained
    labelled = service.learning.labelled()
    at = dt.datetime(2027, 1, 4, tzinfo=dt.UTC)
    good = service.learning.train_and_install(labelled, force=True, now=at).model
    assert service.risk.model() is not None and service.risk.model().version == good.version  # type: ignore[union-attr]
    # A candidate that learnt from shuffled labels is refused: the model in use stays, and says why.
    cut = split(labelled)[1]["received_at"].min()
    refused = service.learning.train_and_install(shuffled_before(labelled, cut), now=at + dt.timedelta(hours=1))
    decision = refused.decision
    assert decision.decision == "kept" and "worse" in decision.reason, decision
    assert decision.candidate is not None and decision.current is not None
    assert refused.model.version == good.version == service.risk.model().version  # type: ignore[union-attr]
    assert json.loads((Path(service.settings.model_dir) / "manifest.json").read_text())["version"] == good.version
    # The decision is in the audit chain and in the model's summary.
    last = service.learning.summary()["last_retraining"]
    assert last["decision"] == "kept" and last["candidate_version"] == decision.candidate_version
    assert last["current"] == decision.current and last["actor"] == "system:model-retraining"
    # A model that learnt nothing, installed on request, is replaced by one that learnt the labels.
    service.learning.train_and_install(shuffled_before(labelled, None), force=True, now=at + dt.timedelta(hours=2))
    better = service.learning.train_and_install(labelled, now=at + dt.timedelta(hours=3))
    assert better.decision.installed, better.decision
    assert service.risk.model().version == better.model.version == better.decision.candidate_version  # type: ignore[union-attr]
    assert service.learning.summary()["last_retraining"]["decision"] == "installed"
    with service.engine.connect() as conn:
        decisions = conn.execute(
            sa.select(audit_log.c.detail).where(audit_log.c.action == "risk.model_gate").order_by(audit_log.c.seq)
        ).scalars()
        assert [json.loads(d)["decision"] for d in decisions][-4:] == ["installed", "kept", "installed", "installed"]


def test_a_model_with_other_features_is_refused_and_rules_go_on(trained: tuple[Clearway, int, int]) -> None:
    service, _, _ = trained
    if service.risk.model() is None:
        service.learning.train_and_install(service.learning.labelled())
    path = Path(service.settings.model_dir) / "manifest.json"
    manifest = json.loads(path.read_text())
    manifest["features"] = [*manifest["features"], "a_feature_this_code_does_not_compute"]
    path.write_text(json.dumps(manifest))
    service.risk.reload(model=True)
    assert service.risk.model() is None
    assert service.risk.step().model is None and service.risk.step().lanes.model_red_at is None
