"""The targeting model in the application: trained from officers' recorded outcomes in the store,
installed for the pipeline (its score and reasons join the risk result), retrained on schedule,
and refused when its features no longer match the code."""

from __future__ import annotations

import datetime as dt
import json
import random
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa

from clearway.app.demo import replay
from clearway.app.learning.data import finding_of
from clearway.app.platform import Clearway
from clearway.settings import Settings
from clearway.simulate import SimulationConfig, TruthRecord, generate
from clearway.simulate.fraud import FRAUD_PRESETS
from clearway.store import risk_repo
from clearway.store.tables import consignments
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
        database_url=database_url, secret_key=TEST_SECRET, model_dir=str(folder / "model"), model_min_labels=300
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


def test_a_trained_model_scores_in_the_pipeline_with_its_reasons(trained: tuple[Clearway, int, int]) -> None:
    service, _, _ = trained
    model = service.learning.train_and_install(service.learning.labelled())
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
