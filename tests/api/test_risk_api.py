"""The rule catalogue, rule changes by analysts, inspection outcomes, per-rule statistics, trust."""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import html
from typing import Any

import sqlalchemy as sa
from fastapi.testclient import TestClient

from clearway.access.roles import Role
from clearway.app.platform import Clearway
from clearway.clearance.lifecycle import State
from clearway.dataset.records import Consignment
from clearway.store import risk_repo
from clearway.store.tables import audit_log
from tests.api.conftest import headers
from tests.api.documented import assert_documented
from tests.api.test_access_api import sign_in
from tests.conftest import decode


def _placeholder_value(consignment_data: dict[str, Any]) -> Consignment:
    data = copy.deepcopy(consignment_data)
    data["transaction"].update(goods_value="1.00", amount_paid="4.50")
    data["items"] = [{**data["items"][0], "quantity": "1", "unit_price": "1.00"}]
    return decode(Consignment, data)


def test_the_catalogue_is_for_customs_people_only(client: TestClient, service: Clearway) -> None:
    assert client.get("/v1/risk/rules", headers=headers()).status_code == 403
    sign_in(client, service, "rita", Role.ANALYST)
    rules = client.get("/v1/risk/rules").json()["rules"]
    names = {r["name"] for r in rules}
    assert {"declared_value_zero_or_one", "party_on_sanctions_list", "gift_from_commercial_seller"} <= names
    assert all(r["description"] and r["legal_basis"] and r["hits"] == 0 for r in rules)


def test_an_analyst_changes_and_retires_a_rule_without_a_deploy(client: TestClient, service: Clearway) -> None:
    csrf = sign_in(client, service, "rita", Role.ANALYST)
    auth = {"X-CSRF-Token": csrf}
    [rule] = [r for r in client.get("/v1/risk/rules").json()["rules"] if r["name"] == "declared_value_zero_or_one"]
    changed = {k: rule[k] for k in ("description", "jurisdictions", "valid_from", "when", "legal_basis", "outcome")}
    changed["weight"] = 50
    answer = client.put(
        "/v1/risk/rules/declared_value_zero_or_one", json={"rule": changed, "reason": "more weight"}, headers=auth
    )
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"name": "declared_value_zero_or_one", "version": 2}
    [now] = [r for r in client.get("/v1/risk/rules").json()["rules"] if r["name"] == "declared_value_zero_or_one"]
    assert (now["version"], now["weight"], now["changed_by"]) == (2, 50, "person:rita")
    versions = client.get("/v1/risk/rules/declared_value_zero_or_one")
    history = assert_documented(client, "GET", "/v1/risk/rules/{name}", versions)
    assert [v["version"] for v in history["versions"]] == [1, 2] and history["versions"][1]["body"]["weight"] == 50
    assert assert_documented(client, "GET", "/v1/risk/rules/{name}", client.get("/v1/risk/rules/no_such_rule"))
    # The next decision uses the new version.
    assert "declared_value_zero_or_one@2" in [r.key for r in service.risk.step().rules]
    bad = client.put(
        "/v1/risk/rules/declared_value_zero_or_one",
        json={"rule": {**changed, "when": {"field": "no_such_column", "eq": 1}}, "reason": "typo"},
        headers=auth,
    )
    assert bad.status_code == 422 and "no_such_column" in bad.text
    retired = client.post(
        "/v1/risk/rules/declared_value_zero_or_one/retirement", json={"reason": "noisy"}, headers=auth
    )
    assert retired.status_code == 200 and retired.json()["version"] == 3
    assert "declared_value_zero_or_one" not in {r.name for r in service.risk.step().rules}
    again = client.post("/v1/risk/rules/declared_value_zero_or_one/retirement", json={"reason": "noisy"}, headers=auth)
    assert again.status_code == 409
    with service.engine.connect() as conn:
        risk_entries = sa.select(audit_log.c.action).where(audit_log.c.action.like("risk.%")).order_by(audit_log.c.seq)
        actions = conn.execute(risk_entries).scalars().all()
    assert actions == ["risk.rule_changed", "risk.rule_retired"]


def test_an_officers_outcome_feeds_the_rule_statistics(
    client: TestClient, service: Clearway, consignment_data: dict[str, Any]
) -> None:
    [result] = service.submit_consignments("op-courier-1", [_placeholder_value(consignment_data)])
    # Its documents never come: the sweep decides it, which runs the risk step.
    service.expire_overdue(now=dt.datetime.now(dt.UTC) + dt.timedelta(hours=73))
    dossier = service.dossier(None, result.id or "")
    assert dossier is not None and dossier.risk is not None
    assert "declared_value_zero_or_one" in dossier.risk.rule_hits
    # An outcome follows an inspection (issue 22).
    service.control(result.id or "", State.INSPECTED, actor="person:olga", reason="opened")
    sign_in(client, service, "olga", Role.OFFICER)
    csrf = service.access.session(client.cookies["cw_session"])
    assert csrf is not None
    recorded = client.post(
        f"/v1/customs/consignments/{result.id}/outcome",
        json={"outcome": "undervalued", "corrected_value": "24.00", "note": "invoice found in the parcel"},
        headers={"X-CSRF-Token": csrf[1]},
    )
    assert recorded.status_code == 200, recorded.text
    assert (
        client.post(
            f"/v1/customs/consignments/{result.id}/outcome", json={"outcome": "lost"}, headers={"X-CSRF-Token": csrf[1]}
        ).status_code
        == 422
    )
    [row] = [r for r in service.risk.catalogue_rows() if r["name"] == "declared_value_zero_or_one"]
    assert (row["hits"], row["inspections"], row["findings"], row["hit_rate"]) == (1, 1, 1, 1.0)


def test_trust_tiers_are_set_by_administrators(client: TestClient, service: Clearway) -> None:
    body = {"party": "operator", "key": "op-courier-1", "tier": "aeo"}
    assert client.put("/v1/admin/trust", json=body, headers=headers()).status_code == 403
    csrf = sign_in(client, service, "ada", Role.ADMIN)
    answer = client.put("/v1/admin/trust", json=body, headers={"X-CSRF-Token": csrf})
    assert answer.status_code == 200, answer.text
    assert service.risk.step().trust[("operator", "op-courier-1")] == "aeo"


def test_the_rule_page_shows_hit_rates_after_outcomes(
    client: TestClient, service: Clearway, consignment_data: dict[str, Any]
) -> None:
    assert client.get("/risk/rules", follow_redirects=False).status_code == 303  # to the login form
    [result] = service.submit_consignments("op-courier-1", [_placeholder_value(consignment_data)])
    service.expire_overdue(now=dt.datetime.now(dt.UTC) + dt.timedelta(hours=73))
    service.control(result.id or "", State.INSPECTED, actor="person:olga", reason="opened")
    service.risk.record_outcome(result.id or "", "undervalued", officer="person:olga")
    sign_in(client, service, "rita", Role.ANALYST)
    page = client.get("/risk/rules")
    assert page.status_code == 200
    row = page.text.split('id="rule-declared_value_zero_or_one"')[1].split("</tr>")[0]
    assert "100.0 %" in row and "Goods for sale or as gifts are declared at one unit" in row


def test_operators_see_their_own_data_quality_over_time(
    client: TestClient, service: Clearway, consignment_data: dict[str, Any]
) -> None:
    service.submit_consignments("op-courier-1", [_placeholder_value(consignment_data)])
    other = {**consignment_data, "reference": "OTHER-1"}
    service.submit_consignments("op-post-2", [decode(Consignment, other)])
    service.expire_overdue(now=dt.datetime.now(dt.UTC) + dt.timedelta(hours=73))
    own = client.get("/v1/risk/quality", headers=headers("op-courier-1"))
    assert own.status_code == 200, own.text
    [row] = assert_documented(client, "GET", "/v1/risk/quality", own)["rows"]
    assert (row["operator_id"], row["records"]) == ("op-courier-1", 1)
    assert row["share_value_zero_or_one"] == 1.0 and row["mean_quality_score"] < 100
    sign_in(client, service, "sam", Role.STATISTICIAN)
    weekly = client.get("/v1/risk/quality", params={"period": "1w"})
    everyone = assert_documented(client, "GET", "/v1/risk/quality", weekly)["rows"]
    assert {r["operator_id"] for r in everyone} == {"op-courier-1", "op-post-2"}


def test_the_model_in_use_is_described_to_customs(
    client: TestClient, service: Clearway, tmp_path: Any, monkeypatch: Any, consignment_data: dict[str, Any]
) -> None:
    from clearway.app.learning.data import simulated_history
    from clearway.risk.learning.model import TrainConfig, train

    sign_in(client, service, "rita", Role.ANALYST)
    missing = client.get("/v1/risk/model")
    assert missing.status_code == 404 and "clearway risk train" in missing.json()["detail"]
    assert assert_documented(client, "GET", "/v1/risk/model", missing)["status"] == 404
    no_drift = client.get("/v1/risk/model/drift")
    assert no_drift.status_code == 404 and assert_documented(client, "GET", "/v1/risk/model/drift", no_drift)
    folder = tmp_path / "model"
    history = simulated_history(5000, seed=2, days=28)
    train(history, TrainConfig(rounds=40)).save(folder)
    monkeypatch.setattr(service, "settings", dataclasses.replace(service.settings, model_dir=str(folder)))
    service.risk.settings = service.settings
    service.learning.settings = service.settings
    service.risk.reload(model=True)
    body = assert_documented(client, "GET", "/v1/risk/model", client.get("/v1/risk/model"))
    assert body["rows"] == 5000 and len(body["data_hash"]) == 64
    assert body["thresholds"]["red_at"] >= body["thresholds"]["yellow_at"]
    assert {
        "name": "seller_finding_rate",
        "description": "seller: past finding rate (smoothed)",
        "kind": "numeric",
    } in body["features"]
    assert body["last_retraining"] is None  # installed by hand: no retraining decided yet
    # A retraining's decision (here: a candidate judged against the model in use) shows with the model.
    done = service.learning.train_and_install(history, TrainConfig(rounds=40), actor="person:rita")
    last = assert_documented(client, "GET", "/v1/risk/model", client.get("/v1/risk/model"))["last_retraining"]
    assert last["decision"] == done.decision.decision and last["reason"] == done.decision.reason
    assert last["actor"] == "person:rita" and set(last["candidate"]) == {"precision", "revenue", "auc"}
    drift = assert_documented(
        client, "GET", "/v1/risk/model/drift", client.get("/v1/risk/model/drift", params={"days": 3})
    )
    assert drift["consignments"] == 0 and drift["score"] is None
    # With consignments in the period: the score's and each feature's PSI, the most shifted first.
    service.submit_consignments("op-courier-1", [decode(Consignment, consignment_data)])
    drift = assert_documented(
        client, "GET", "/v1/risk/model/drift", client.get("/v1/risk/model/drift", params={"days": 3})
    )
    assert drift["consignments"] == 1 and drift["score"]["reading"] and len(drift["most_shifted"]) == 5
    assert client.get("/v1/risk/model", headers=headers()).status_code == 403  # not for operators


def test_a_rule_stored_before_personal_fields_were_refused_is_not_run(client: TestClient, service: Clearway) -> None:
    # A rule an analyst stored before issue #22 stays in the catalogue and its history, is not run,
    # and neither stops the pipeline nor blocks changes to other rules.
    legacy = {
        "name": "buyer_is_anna",
        "version": 1,
        "description": "The buyer is Anna.",
        "jurisdictions": ["*"],
        "valid_from": "2024-01-01",
        "weight": 10,
        "legal_basis": "none",
        "when": {"field": "buyer_name", "eq": "Anna Schmidt"},
    }
    service.risk.ensure_default_rules()
    with service.engine.begin() as conn:
        risk_repo.add_rule_version(
            conn, "buyer_is_anna", "active", legacy, actor="person:old", reason="before #22", at=dt.datetime.now(dt.UTC)
        )
    service.risk.reload()
    assert "buyer_is_anna" not in {r.name for r in service.risk.step().rules}
    assert "buyer_is_anna" in {r["name"] for r in service.risk.catalogue_rows()}
    auth = {"X-CSRF-Token": sign_in(client, service, "rita", Role.ANALYST)}
    [rule] = [r for r in client.get("/v1/risk/rules").json()["rules"] if r["name"] == "late_filing"]
    changed = {k: rule[k] for k in ("description", "jurisdictions", "valid_from", "when", "legal_basis")}
    answer = client.put(
        "/v1/risk/rules/late_filing", json={"rule": {**changed, "weight": 20}, "reason": "heavier"}, headers=auth
    )
    assert answer.status_code == 200, answer.text


def test_retraining_on_demand_goes_through_the_gate_and_only_an_admin_may_force_it(
    client: TestClient, service: Clearway, tmp_path: Any, monkeypatch: Any
) -> None:
    from clearway.app.learning.data import simulated_history
    from clearway.risk.learning.model import TrainConfig

    folder = tmp_path / "model"
    settings = dataclasses.replace(service.settings, model_dir=str(folder), model_min_labels=1000)
    monkeypatch.setattr(service, "settings", settings)
    service.risk.settings = service.learning.settings = settings
    csrf = {"X-CSRF-Token": sign_in(client, service, "rita", Role.ANALYST)}
    # One retraining at a time: a second request while one runs is told so, not queued to train again.
    with service.learning._training:
        busy = client.post("/v1/risk/model/retraining", json={}, headers=csrf)
    assert busy.status_code == 409 and "already running" in busy.json()["detail"]
    # No outcomes recorded yet: a precise refusal, nothing trained.
    empty = client.post("/v1/risk/model/retraining", json={}, headers=csrf)
    assert empty.status_code == 409, empty.text
    assert "CLEARWAY_MODEL_MIN_LABELS" in empty.json()["detail"] and not folder.exists()
    # An analyst may not push a model past the gate; unknown fields are refused.
    forced = client.post("/v1/risk/model/retraining", json={"force": True}, headers=csrf)
    assert forced.status_code == 403 and "administrator" in forced.json()["detail"]
    assert client.post("/v1/risk/model/retraining", json={"fast": True}, headers=csrf).status_code == 422
    # The labelled history stands in for the store's outcomes (their reading is tested in
    # tests/app/learning); training, the gate, installation and the audit entry are the real ones.
    history = simulated_history(5000, seed=2, days=28)
    monkeypatch.setattr(service.learning, "labelled", lambda since=None: history)
    monkeypatch.setattr(service.learning, "config", lambda: TrainConfig(rounds=40))
    first = client.post("/v1/risk/model/retraining", json={}, headers=csrf)
    assert first.status_code == 200, first.text
    body = first.json()
    assert body["decision"] == "installed" and body["current_version"] is None  # no model in use: no gate
    assert body["model_in_use"] == body["candidate_version"] and (folder / "manifest.json").exists()
    # The second is judged against the first on the hold-out; either way the answer says why.
    second = client.post("/v1/risk/model/retraining", json={}, headers=csrf).json()
    assert second["current_version"] == body["model_in_use"] and second["reason"]
    assert set(second["candidate"]) == set(second["current"]) == {"precision", "revenue", "auc"}
    in_use = second["candidate_version"] if second["decision"] == "installed" else body["model_in_use"]
    assert second["model_in_use"] == in_use == client.get("/v1/risk/model").json()["version"]
    last = client.get("/v1/risk/model").json()["last_retraining"]
    assert (last["decision"], last["actor"]) == (second["decision"], "person:rita")
    # The rules page says it too: what was decided, why, and both models' figures.
    page = client.get("/risk/rules").text
    said = "new model installed" if second["decision"] == "installed" else "model in use kept"
    assert said in page and html.escape(second["reason"], quote=False) in page
    assert f"{second['candidate']['precision']:.3f}" in page
    assert client.post("/v1/risk/model/retraining", json={}, headers=headers()).status_code == 403
