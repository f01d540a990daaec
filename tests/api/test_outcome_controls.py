"""Inspection outcomes only for inspections (issue 22): an outcome is the label the targeting model
learns from and the rules' hit rates count, so it is refused for a parcel nobody opened and for a
second time on the same inspection, through the API and through the consignment page's form."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from clearway.access.roles import Role
from clearway.app.platform import Clearway
from clearway.store.risk_tables import inspection_outcomes
from tests.api.conftest import headers
from tests.api.test_access_api import sign_in

UNDERVALUED = {"outcome": "undervalued", "corrected_value": "24.00", "note": "invoice found in the parcel"}


def held(client: TestClient, service: Clearway, consignment_data: dict[str, Any]) -> str:
    """A declaration whose documents never come: held with a request for information, not inspected."""
    created = client.post("/v1/consignments", json=consignment_data, headers=headers())
    assert created.status_code == 201, created.text
    service.expire_overdue(now=dt.datetime.now(dt.UTC) + dt.timedelta(hours=73))
    assert client.get(f"/v1/consignments/{created.json()['id']}", headers=headers()).json()["state"] == "held"
    return str(created.json()["id"])


def outcomes(service: Clearway, consignment_id: str) -> list[str]:
    with service.engine.connect() as conn:
        query = sa.select(inspection_outcomes.c.outcome).where(inspection_outcomes.c.consignment_id == consignment_id)
        return list(conn.execute(query).scalars())


def control(client: TestClient, csrf: str, consignment_id: str, target: str) -> None:
    step = client.post(
        f"/v1/customs/consignments/{consignment_id}/control",
        json={"target": target, "reason": f"{target} by the officer"},
        headers={"X-CSRF-Token": csrf},
    )
    assert step.status_code == 200, step.text


def test_no_outcome_for_a_consignment_nobody_inspected(
    client: TestClient, service: Clearway, consignment_data: dict[str, Any]
) -> None:
    cid = held(client, service, consignment_data)
    csrf = sign_in(client, service, "olga", Role.OFFICER)
    refused = client.post(f"/v1/customs/consignments/{cid}/outcome", json=UNDERVALUED, headers={"X-CSRF-Token": csrf})
    assert refused.status_code == 409
    assert refused.headers["content-type"] == "application/problem+json"
    assert "was not inspected (it is held)" in refused.json()["detail"]
    # Released without an inspection: still no label.
    control(client, csrf, cid, "released")
    again = client.post(f"/v1/customs/consignments/{cid}/outcome", json=UNDERVALUED, headers={"X-CSRF-Token": csrf})
    assert again.status_code == 409 and "it is released" in again.json()["detail"]
    assert outcomes(service, cid) == []
    assert all(row["inspections"] == 0 for row in service.risk.catalogue_rows())


def test_one_outcome_per_inspection(client: TestClient, service: Clearway, consignment_data: dict[str, Any]) -> None:
    cid = held(client, service, consignment_data)
    csrf = sign_in(client, service, "olga", Role.OFFICER)
    control(client, csrf, cid, "inspected")
    guard = {"X-CSRF-Token": csrf}
    recorded = client.post(f"/v1/customs/consignments/{cid}/outcome", json=UNDERVALUED, headers=guard)
    assert recorded.status_code == 200, recorded.text
    repeat = client.post(f"/v1/customs/consignments/{cid}/outcome", json={"outcome": "compliant"}, headers=guard)
    assert repeat.status_code == 409 and "already recorded ('undervalued'" in repeat.json()["detail"]
    same = client.post(f"/v1/customs/consignments/{cid}/outcome", json=UNDERVALUED, headers=guard)
    assert same.status_code == 409
    assert outcomes(service, cid) == ["undervalued"]


def test_an_outcome_after_the_decision_that_followed_the_inspection(
    client: TestClient, service: Clearway, consignment_data: dict[str, Any]
) -> None:
    # Officers often decide (seize, return) first and write the finding up after: the inspection
    # in the history is what counts.
    cid = held(client, service, consignment_data)
    csrf = sign_in(client, service, "olga", Role.OFFICER)
    control(client, csrf, cid, "inspected")
    control(client, csrf, cid, "seized")
    counterfeit = {"outcome": "counterfeit", "note": "fake trademarks"}
    done = client.post(f"/v1/customs/consignments/{cid}/outcome", json=counterfeit, headers={"X-CSRF-Token": csrf})
    assert done.status_code == 200, done.text
    assert outcomes(service, cid) == ["counterfeit"]


def form_outcome(client: TestClient, csrf: str, consignment_id: str, result: str) -> str:
    """Send the consignment page's outcome form; the message the page is redirected with."""
    sent = client.post(
        f"/consignments/{consignment_id}/outcome",
        data={"csrf": csrf, "result": result, "note": "seen at the counter"},
        follow_redirects=False,
    )
    assert sent.status_code == 303, sent.text
    found = re.search(r"[?&](done|error)=", sent.headers["location"])
    assert found is not None, sent.headers["location"]
    return f"{found.group(1)}: {sent.headers['location']}"


def test_the_page_form_refuses_the_same(
    client: TestClient, service: Clearway, consignment_data: dict[str, Any]
) -> None:
    cid = held(client, service, consignment_data)
    csrf = sign_in(client, service, "olga", Role.OFFICER)
    assert form_outcome(client, csrf, cid, "compliant").startswith("error:")
    assert outcomes(service, cid) == []
    control(client, csrf, cid, "inspected")
    assert form_outcome(client, csrf, cid, "compliant").startswith("done:")
    assert form_outcome(client, csrf, cid, "prohibited").startswith("error:")
    assert outcomes(service, cid) == ["compliant"]


@pytest.mark.parametrize("value", [-5, "10000000000000", "1.1234567"])
def test_a_corrected_value_outside_the_documented_bounds_is_refused(
    client: TestClient, service: Clearway, consignment_data: dict[str, Any], value: object
) -> None:
    # A corrected value becomes a training label: negative, absurd or over-precise ones are refused
    # before anything is looked up, as the document's amount bounds say.
    cid = held(client, service, consignment_data)
    csrf = sign_in(client, service, "olga", Role.OFFICER)
    body = {"outcome": "undervalued", "corrected_value": value}
    refused = client.post(f"/v1/customs/consignments/{cid}/outcome", json=body, headers={"X-CSRF-Token": csrf})
    assert refused.status_code == 422, refused.text
    assert refused.json()["errors"][0]["pointer"] == "/corrected_value"
    assert outcomes(service, cid) == []
