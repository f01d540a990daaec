"""Every consignment the model scored can be explained to customs, not only those it flagged: the
pipeline explains what it flags, the rest is explained when customs open it, the same every time;
the declarant never sees the score or its explanation."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from clearway.access.roles import Role
from clearway.app.demo import replay
from clearway.app.learning.data import simulated_history
from clearway.app.platform import Clearway
from clearway.risk.learning.features import FEATURES
from clearway.risk.learning.model import TrainConfig, train
from clearway.simulate import generate
from clearway.store import risk_repo
from clearway.store.tables import consignments
from tests.api.conftest import headers
from tests.api.test_access_api import sign_in


@pytest.fixture
def scored(service: Clearway, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[list[str], list[str]]:
    """Traffic decided with a model in use: (ids the pipeline explained, ids it did not)."""
    folder = tmp_path / "model"
    train(simulated_history(4000, seed=2, days=28), TrainConfig(rounds=40)).save(folder)
    monkeypatch.setattr(service, "settings", dataclasses.replace(service.settings, model_dir=str(folder)))
    service.risk.settings = service.settings
    service.risk.reload(model=True)
    assert service.risk.step().model is not None
    replay(service, generate(120, seed=11))
    explained, not_explained = [], []
    with service.engine.connect() as conn:
        for cid in conn.execute(sa.select(consignments.c.id).order_by(consignments.c.id)).scalars():
            latest = risk_repo.latest_result(conn, cid)
            if latest is None or latest[1].model is None:
                continue
            (explained if latest[1].model.contributions else not_explained).append(cid)
    assert not_explained, "the pipeline explains only what it flags: some scored rows go unexplained"
    return explained, not_explained


def model_of(client: TestClient, cid: str) -> dict[str, Any]:
    answer = client.get(f"/v1/customs/consignments/{cid}")
    assert answer.status_code == 200, answer.text
    model: dict[str, Any] = answer.json()["risk"]["model"]
    return model


def test_customs_see_an_explanation_for_every_scored_consignment(
    client: TestClient, service: Clearway, scored: tuple[list[str], list[str]]
) -> None:
    explained, not_explained = scored
    sign_in(client, service, "otto", Role.OFFICER)
    names = {f.name for f in FEATURES}
    exact = 0
    for cid in not_explained[:5]:
        model = model_of(client, cid)
        assert len(model["contributions"]) == 3 and model["explained_on_request"] is True
        assert {c["feature"] for c in model["contributions"]} <= names
        effects = [abs(c["effect"]) for c in model["contributions"]]
        assert effects == sorted(effects, reverse=True)  # the most telling first
        # Deterministic: the same declaration and model give the same explanation again.
        assert model_of(client, cid) == model
        exact += model["explained_value"] is None
        # Reading explains; it writes nothing.
        with service.engine.connect() as conn:
            stored = risk_repo.latest_result(conn, cid)
        assert stored is not None and stored[1].model is not None and stored[1].model.contributions == []
    # Assessed again from the stored declaration, the score comes out as it was stored.
    assert exact >= 1
    # What the pipeline explained is shown as it was stored, not explained again.
    for cid in explained[:2]:
        model = model_of(client, cid)
        assert len(model["contributions"]) == 3 and model["explained_on_request"] is False


def test_a_score_that_cannot_be_explained_again_is_shown_unexplained_not_a_500(
    client: TestClient, service: Clearway, scored: tuple[list[str], list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    # A declaration that no longer assesses cleanly (its day's reference data gone, a rule changed
    # since) must not turn the officer's read into a server error.
    _, not_explained = scored
    sign_in(client, service, "otto", Role.OFFICER)
    step = service.risk.step()

    def broken(*_: object) -> None:
        raise ValueError("no exchange rate for that day")

    monkeypatch.setattr(type(step), "explained", broken)
    model = model_of(client, not_explained[0])
    assert model["contributions"] == [] and model["explained_on_request"] is False
    assert client.get(f"/consignments/{not_explained[0]}").status_code == 200


def test_the_consignment_page_shows_the_explanation(
    client: TestClient, service: Clearway, scored: tuple[list[str], list[str]]
) -> None:
    _, not_explained = scored
    sign_in(client, service, "otto", Role.OFFICER)
    page = client.get(f"/consignments/{not_explained[0]}")
    assert page.status_code == 200
    section = page.text.split('id="risk"', 1)[1].split("</section>", 1)[0]
    assert "Most telling" in section and 'id="model-explained"' in section
    rows = re.findall(r'<td class="n">[+-]\d+\.\d\d</td></tr>', section)
    assert len(rows) == 3


def test_the_declarant_sees_neither_score_nor_explanation(
    client: TestClient, service: Clearway, scored: tuple[list[str], list[str]]
) -> None:
    explained, not_explained = scored
    for cid in [*explained[:2], *not_explained[:2]]:
        with service.engine.connect() as conn:
            operator = conn.execute(sa.select(consignments.c.operator_id).where(consignments.c.id == cid)).scalar_one()
        answer = client.get(f"/v1/consignments/{cid}", headers=headers(operator))
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert not {"risk", "lane", "model"} & set(body)
        text = answer.text
        for word in ("contributions", "probability", "explained_on_request", "explained_value", "model_score"):
            assert word not in text
        # No contribution in any shape (its keys), nor any feature's description.
        assert '"feature"' not in text and '"effect"' not in text
        assert not any(f.description in text for f in FEATURES)
