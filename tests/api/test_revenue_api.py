"""The public quote, the landed-cost page, statements by role."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi.testclient import TestClient

from clearway.access.roles import Role
from clearway.app.platform import Clearway
from clearway.clearance.lifecycle import State
from clearway.dataset.records import Consignment
from tests.api.conftest import headers
from tests.api.test_access_api import sign_in

BLOUSES: dict[str, Any] = {
    "destination": "FR",
    "as_of": "2026-07-01",
    "currency": "EUR",
    "origin_country": "CN",
    "items": [
        {"description": "silk blouse", "hs_code": "620610", "quantity": "1", "unit_value": "30", "origin": "CN"},
        {"description": "wool blouse", "hs_code": "620620", "quantity": "2", "unit_value": "25", "origin": "CN"},
    ],
}


def test_a_quote_needs_no_credential_and_explains_every_line(client: TestClient) -> None:
    answer = client.post("/v1/quotes", json=BLOUSES)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["duty"], body["tax"], body["fees"], body["total"]) == ("6.00", "17.20", "0.00", "23.20")
    assert (body["currency"], body["irg_category"], body["collection_model"]) == ("EUR", 3, "intermediary")
    assert [line["code"] for line in body["lines"]] == [
        "duty.flat_per_item_category",
        "duty.flat_per_item_category",
        "tax.vat",
    ]
    assert all(line["reference"] for line in body["lines"])
    assert body["lines"][2]["rate"] == "20 %" and body["lines"][2]["base"] == "86.00"


def test_bad_quote_fields_are_named_by_pointer(client: TestClient) -> None:
    bad = {**BLOUSES, "destination": "XX", "items": [{**BLOUSES["items"][0], "unit_value": "-1", "quantity": "0"}]}
    answer = client.post("/v1/quotes", json=bad)
    assert answer.status_code == 422
    assert answer.headers["content-type"].startswith("application/problem+json")
    pointers = {e["pointer"] for e in answer.json()["errors"]}
    assert pointers == {"/destination", "/items/0/quantity", "/items/0/unit_value"}
    unknown = client.post("/v1/quotes", json={**BLOUSES, "destination": "AQ"})
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["pointer"] == "/destination"
    assert "no jurisdiction" in unknown.json()["errors"][0]["detail"]


def test_the_landed_cost_page_shows_the_same_result(client: TestClient) -> None:
    empty = client.get("/landed-cost")
    assert empty.status_code == 200 and "<form" in empty.text and 'for="destination"' in empty.text
    query = {
        "destination": "FR", "as_of": "2026-07-01", "currency": "EUR", "origin_country": "CN",
        "description_0": "silk blouse", "hs_code_0": "620610", "quantity_0": "1", "unit_value_0": "30",
        "description_1": "wool blouse", "hs_code_1": "620620", "quantity_1": "2", "unit_value_1": "25",
    }  # fmt: skip
    page = client.get("/landed-cost", params=query)
    assert page.status_code == 200
    assert "23.20 EUR" in page.text and "Flat duty for item category HS 620610" in page.text
    wrong = client.get("/landed-cost", params={**query, "hs_code_1": "62"})
    assert wrong.status_code == 422 and "Item 2, HS code: enter 6 to 10 digits" in wrong.text
    # The page takes amounts as the API does: "1e3" is not an amount in either (it was 1000 here once).
    for form in ("1e3", "1_000", "３０"):
        exponent = client.get("/landed-cost", params={**query, "unit_value_1": form})
        assert exponent.status_code == 422 and "Item 2, Unit value: enter an amount such as 12.50" in exponent.text
        api = client.post("/v1/quotes", json={**BLOUSES, "items": [{**BLOUSES["items"][0], "unit_value": form}]})
        assert api.status_code == 422, form


def test_statements_by_role(client: TestClient, service: Clearway, consignment: Consignment) -> None:
    now = dt.datetime.now(dt.UTC)
    [result] = service.submit_consignments("op-courier-1", [consignment], now=now)
    service.expire_overdue(now=now + dt.timedelta(hours=73))
    service.control(result.id or "", State.RELEASED, actor="person:officer", reason="checked", now=now)
    month = now.strftime("%Y-%m")
    own = client.get("/v1/statements/schemes", params={"month": month}, headers=headers("op-courier-1"))
    assert own.status_code == 200, own.text
    [line] = own.json()["lines"]
    assert line["tax_scheme_id"] == "IM3720000015" and line["consignments"] == 1
    # Another operator asking for the courier's lines gets only its own (none).
    other = client.get(
        "/v1/statements/schemes", params={"month": month, "operator": "op-courier-1"}, headers=headers("op-post-2")
    )
    assert other.status_code == 200 and other.json()["lines"] == []
    assert client.get("/v1/statements/schemes", params={"month": "2026-13"}, headers=headers()).status_code == 422
    assert client.get("/v1/statements/intermediaries", params={"month": month}).status_code == 401
    sign_in(client, service, "anna", Role.ANALYST)
    analyst = client.get("/v1/statements/schemes", params={"month": month})
    assert analyst.status_code == 200 and len(analyst.json()["lines"]) == 1
