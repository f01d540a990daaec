"""Officers' corrected HS codes: labelled examples for the classifier, and counted per operator in the
quality report (an operator sees its own only)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec
from fastapi.testclient import TestClient

from clearway.access.roles import Role
from clearway.app.platform import Clearway
from clearway.clearance.lifecycle import State
from clearway.dataset.records import Consignment
from clearway.store import classification_repo
from tests.api.conftest import headers
from tests.api.documented import assert_documented
from tests.api.test_access_api import sign_in
from tests.conftest import decode


def inspected(svc: Clearway, operator: str, data: dict[str, Any], reference: str, items: int = 1) -> str:
    record: Consignment = decode(Consignment, {**data, "reference": reference})
    if items == 1:
        first = msgspec.structs.replace(record.items[0], description="Men's cotton T-shirt", hs_code="851713")
        record = msgspec.structs.replace(
            record, items=[first], transaction=msgspec.structs.replace(record.transaction, goods_value=first.unit_price)
        )
    [result] = svc.submit_consignments(operator, [record])
    svc.expire_overdue(now=dt.datetime.now(dt.UTC) + dt.timedelta(hours=73))
    svc.control(result.id or "", State.INSPECTED, actor="person:olga", reason="opened")
    return result.id or ""


def test_corrections_become_examples_and_count_per_operator(
    client: TestClient, service: Clearway, consignment_data: dict[str, Any]
) -> None:
    one = inspected(service, "op-courier-1", consignment_data, "HS-1")
    two = inspected(service, "op-courier-1", consignment_data, "HS-2", items=2)
    three = inspected(service, "op-courier-1", consignment_data, "HS-3")
    other = inspected(service, "op-post-2", consignment_data, "HS-4")
    service.risk.record_outcome(one, "misclassified", corrected_hs_code="610910", officer="person:olga")
    service.risk.record_outcome(two, "misclassified", corrected_hs_code="620610", officer="person:olga")
    service.risk.record_outcome(three, "compliant", officer="person:olga")
    service.risk.record_outcome(other, "misclassified", corrected_hs_code="610910", officer="person:olga")

    examples, ambiguous = service.classification.corrections()
    assert examples == [("Men's cotton T-shirt", "610910"), ("Men's cotton T-shirt", "610910")]
    assert ambiguous == 1  # two items: the code could be either's
    with service.engine.connect() as conn:
        mine = classification_repo.corrections(conn, operator_id="op-post-2")
    assert [(c.operator_id, c.declared, c.corrected) for c in mine] == [("op-post-2", ("851713",), "610910")]

    own = client.get("/v1/risk/quality", headers=headers("op-courier-1"))
    [row] = assert_documented(client, "GET", "/v1/risk/quality", own)["rows"]
    assert row["operator_id"] == "op-courier-1"  # never another operator's
    # Of its three declarations assessed, two were found misclassified with the code corrected.
    assert (row["records"], row["hs_codes_corrected"]) == (3, 2)
    assert abs(row["share_hs_codes_corrected"] - 2 / 3) < 1e-9
    assert "inspections" not in row  # how often it was inspected is targeting's, not told

    sign_in(client, service, "olga", Role.OFFICER)
    page = client.get("/operators")
    assert page.status_code == 200
    cell = page.text.split('id="hs-corrected-op-courier-1">', 1)[1].split("</td>", 1)[0]
    assert cell.startswith("2") and "66.7" in cell
    cell = page.text.split('id="hs-corrected-op-post-2">', 1)[1].split("</td>", 1)[0]
    assert cell.startswith("1") and "100" in cell


def test_an_operator_without_corrections_shows_none(
    client: TestClient, service: Clearway, consignment_data: dict[str, Any]
) -> None:
    service.submit_consignments("op-courier-1", [decode(Consignment, consignment_data)])
    service.expire_overdue(now=dt.datetime.now(dt.UTC) + dt.timedelta(hours=73))
    [row] = client.get("/v1/risk/quality", headers=headers("op-courier-1")).json()["rows"]
    assert (row["records"], row["hs_codes_corrected"], row["share_hs_codes_corrected"]) == (1, 0, 0.0)
