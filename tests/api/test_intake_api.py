from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from fastapi.testclient import TestClient

from clearway.app.platform import Clearway
from clearway.store.tables import consignments, documents
from tests.api.conftest import headers
from tests.conftest import fixture_json

NDJSON = "application/x-ndjson"


def post_json(client: TestClient, path: str, data: Any, operator: str = "op-courier-1") -> Any:
    return client.post(path, content=json.dumps(data).encode(), headers=headers(operator))


def count(service: Clearway, table: sa.Table) -> int:
    with service.engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())


def variant(data: dict[str, Any], n: int) -> dict[str, Any]:
    copy = json.loads(json.dumps(data))
    copy["reference"] = f"MSG-{n:06d}"
    return copy


def test_submit_read_and_link_over_http(client: TestClient, consignment_data: dict[str, Any]) -> None:
    r = post_json(client, "/v1/consignments", consignment_data)
    assert r.status_code == 201, r.text
    created = r.json()
    assert created["state"] == "awaiting_documents" and r.headers["location"] == f"/v1/consignments/{created['id']}"
    for kind, operator in (("order", "op-platform-1"), ("payment", "op-psp-1"), ("waybill", "op-post-1")):
        assert post_json(client, f"/v1/{kind}s", fixture_json(f"{kind}.json"), operator).status_code == 201
    view = client.get(f"/v1/consignments/{created['id']}", headers=headers()).json()
    assert view["state"] == "released"
    # Another operator's payment: linked, shown by its number only (issue 22).
    assert view["documents"]["payment"] == {"number": "PAY-778899", "status": "linked", "sent_by_you": False}
    assert view["declaration"]["transaction"]["goods_value"] == "23.80"
    assert [h["to_state"] for h in view["history"]] == [
        "received",
        "awaiting_documents",
        "assessed",
        "released",
    ]
    assert "decision" not in view and "lane" not in view  # what to do, not how it was targeted


def test_invalid_record_is_problem_json_with_pointers(client: TestClient, consignment_data: dict[str, Any]) -> None:
    consignment_data["transaction"]["order_date"] = 0
    consignment_data["items"][0]["quantity"] = ""
    r = post_json(client, "/v1/consignments", consignment_data)
    assert r.status_code == 422
    assert r.headers["content-type"] == "application/problem+json"
    problem = r.json()
    assert problem["status"] == 422 and problem["type"].endswith("/invalid-record")
    assert {e["pointer"] for e in problem["errors"]} == {"/transaction/order_date", "/items/0/quantity"}


def test_idempotent_resubmission_and_conflict(client: TestClient, consignment_data: dict[str, Any]) -> None:
    first = post_json(client, "/v1/consignments", consignment_data)
    again = post_json(client, "/v1/consignments", consignment_data)
    assert first.status_code == 201 and again.status_code == 200
    assert again.json()["id"] == first.json()["id"] and again.json()["status"] == "duplicate"
    consignment_data["destination_country"] = "FR"
    clash = post_json(client, "/v1/consignments", consignment_data)
    assert clash.status_code == 409 and clash.json()["errors"][0]["pointer"] == "/reference"


def test_batch_of_10000_with_10_bad_lines(
    client: TestClient, service: Clearway, consignment_data: dict[str, Any]
) -> None:
    lines = []
    bad_lines = set(range(7, 10_000, 1000))
    for n in range(1, 10_001):
        record = variant(consignment_data, n)
        if n in bad_lines:
            record["items"][0]["hs_code"] = "ABC"
        lines.append(json.dumps(record))
    r = client.post("/v1/consignments/batch", content="\n".join(lines).encode(), headers=headers(content_type=NDJSON))
    assert r.status_code == 200, r.text[:500]
    body = r.json()
    assert (body["accepted"], body["rejected"], body["duplicates"], body["conflicts"]) == (9_990, 10, 0, 0)
    rejected = [x for x in body["results"] if x["status"] == "rejected"]
    assert {x["line"] for x in rejected} == bad_lines
    assert all(x["errors"][0]["pointer"] == "/items/0/hs_code" for x in rejected)
    assert len(body["results"]) == 10_000
    assert count(service, consignments) == 9_990


def test_batch_with_duplicated_truncated_and_non_utf8_lines(
    client: TestClient, service: Clearway, consignment_data: dict[str, Any]
) -> None:
    a = json.dumps(variant(consignment_data, 1)).encode()
    b = json.dumps(variant(consignment_data, 2)).encode()
    c = json.dumps(variant(consignment_data, 3)).encode().replace(b"Anna", b"Ann\xe9")  # latin-1 byte
    truncated = json.dumps(variant(consignment_data, 4)).encode()[:-40]
    body = b"\n".join([a, a, b, c, truncated])
    r = client.post("/v1/consignments/batch", content=body, headers=headers(content_type=NDJSON))
    assert r.status_code == 200
    results = {x["line"]: x for x in r.json()["results"]}
    assert results[1]["status"] == "accepted" and results[2]["status"] == "duplicate"
    assert results[2]["id"] == results[1]["id"]
    assert results[3]["status"] == "accepted"
    assert results[4]["status"] == "rejected" and "UTF-8" in results[4]["errors"][0]["detail"]
    assert results[5]["status"] == "rejected" and "truncated" in results[5]["errors"][0]["detail"].lower()
    assert count(service, consignments) == 2


def test_document_batches(client: TestClient, service: Clearway) -> None:
    order = fixture_json("order.json")
    others = [dict(order, order_number=f"SW-{n}") for n in range(3)]
    body = "\n".join(json.dumps(o) for o in [order, *others]).encode()
    r = client.post("/v1/orders/batch", content=body, headers=headers("op-platform-1", NDJSON))
    assert r.status_code == 200 and r.json()["accepted"] == 4
    assert count(service, documents) == 4


def test_operators_cannot_see_each_other(client: TestClient, consignment_data: dict[str, Any]) -> None:
    created = post_json(client, "/v1/consignments", consignment_data).json()
    mine = client.get(f"/v1/consignments/{created['id']}", headers=headers())
    theirs = client.get(f"/v1/consignments/{created['id']}", headers=headers("op-courier-2"))
    missing = client.get(f"/v1/consignments/{'0' * 32}", headers=headers("op-courier-2"))
    assert mine.status_code == 200
    # Another operator's consignment and a missing one look exactly the same.
    assert theirs.status_code == missing.status_code == 404
    assert theirs.json()["detail"].replace(created["id"], "X") == missing.json()["detail"].replace("0" * 32, "X")


def test_amend_and_cancel_over_http(client: TestClient, consignment_data: dict[str, Any]) -> None:
    created = post_json(client, "/v1/consignments", consignment_data).json()
    consignment_data["logistics"]["gross_weight_kg"] = "0.50"
    amended = post_json(client, f"/v1/consignments/{created['id']}/amendments", consignment_data)
    assert amended.status_code == 201 and amended.json()["version"] == 2
    cancelled = post_json(client, f"/v1/consignments/{created['id']}/cancellation", {"reason": "buyer cancelled"})
    assert cancelled.status_code == 200 and cancelled.json()["state"] == "cancelled"
    assert [v["version"] for v in cancelled.json()["versions"]] == [1, 2]
    again = post_json(client, f"/v1/consignments/{created['id']}/cancellation", {"reason": "again"})
    assert again.status_code == 409 and again.headers["content-type"] == "application/problem+json"
    bad = post_json(client, f"/v1/consignments/{created['id']}/cancellation", {"reason": ""})
    assert bad.status_code == 422 and bad.json()["errors"][0]["pointer"] == "/reason"


def test_request_hygiene(client: TestClient, consignment_data: dict[str, Any]) -> None:
    body = json.dumps(consignment_data).encode()
    no_operator = client.post("/v1/consignments", content=body, headers={"Content-Type": "application/json"})
    assert no_operator.status_code == 401
    for authorization in ("Basic Zm9vOmJhcg==", "Bearer", "Bearer cw_000000000000_" + "x" * 43, "Bearer not.a.jwt"):
        refused = client.post(
            "/v1/consignments",
            content=body,
            headers={"Content-Type": "application/json", "Authorization": authorization},
        )
        assert refused.status_code == 401, authorization
        assert refused.headers["www-authenticate"].startswith("Bearer")
    wrong_type = client.post("/v1/consignments", content=body, headers=headers(content_type="text/plain"))
    assert wrong_type.status_code == 415 and wrong_type.headers["content-type"] == "application/problem+json"
    ndjson_to_single = client.post("/v1/consignments", content=body, headers=headers(content_type=NDJSON))
    assert ndjson_to_single.status_code == 415
    huge = client.post("/v1/consignments", content=b" " * (1024 * 1024 + 1), headers=headers())
    assert huge.status_code == 413


def test_batch_line_limit(client: TestClient, service: Clearway, consignment_data: dict[str, Any]) -> None:
    limit = service.settings.max_batch_lines
    # Short lines, so that the line limit and not the body size limit is what the batch exceeds.
    for role in ("carrier", "payment_provider"):
        del consignment_data["parties"][role]
    line = json.dumps(consignment_data).encode()
    body = b"\n".join([line] * (limit + 1))
    r = client.post("/v1/consignments/batch", content=body, headers=headers(content_type=NDJSON))
    assert r.status_code == 413 and "100,000" in r.json()["detail"]
    assert count(service, consignments) == 0


def test_openapi_documents_every_route(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    schemas = spec["components"]["schemas"]
    assert {"Consignment", "Order", "Payment", "Waybill", "Problem", "BatchResponse"} <= set(schemas)
    post = spec["paths"]["/v1/consignments"]["post"]
    assert post["requestBody"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Consignment"}
    assert "422" in post["responses"] and "application/problem+json" in post["responses"]["422"]["content"]


def test_health_and_index(client: TestClient) -> None:
    assert client.get("/v1/health").json()["status"] == "ok"
    page = client.get("/")
    assert page.status_code == 200 and "Clearway" in page.text


def test_listing_pages_newest_first_and_only_own(client: TestClient, consignment_data: dict[str, Any]) -> None:
    for n in range(5):
        assert post_json(client, "/v1/consignments", variant(consignment_data, n)).status_code == 201
    post_json(client, "/v1/consignments", variant(consignment_data, 99), operator="op-courier-2")
    first = client.get("/v1/consignments?limit=2", headers=headers()).json()
    assert [i["reference"] for i in first["items"]] == ["MSG-000004", "MSG-000003"]
    assert first["items"][0]["goods_value"] == "23.80" and first["items"][0]["state"] == "awaiting_documents"
    second = client.get(f"/v1/consignments?limit=2&cursor={first['next_cursor']}", headers=headers()).json()
    third = client.get(f"/v1/consignments?limit=2&cursor={second['next_cursor']}", headers=headers()).json()
    assert [i["reference"] for i in second["items"] + third["items"]] == ["MSG-000002", "MSG-000001", "MSG-000000"]
    assert third["next_cursor"] is None
    released = client.get("/v1/consignments?state=released", headers=headers()).json()
    assert released == {"items": [], "next_cursor": None}
    too_many = client.get("/v1/consignments?limit=501", headers=headers())
    assert too_many.status_code == 422 and too_many.json()["errors"][0]["pointer"] == "/limit"
    bad_state = client.get("/v1/consignments?state=lost", headers=headers())
    assert bad_state.status_code == 422


def test_an_unexpected_error_is_still_problem_json(service: Clearway, consignment_data: dict[str, Any]) -> None:
    from clearway.api.app import create_app

    app = create_app(service.settings, service, sweep=False)

    def broken(*_: Any, **__: Any) -> Any:
        raise RuntimeError("database on fire")

    service.dossier = broken  # type: ignore[method-assign]
    with TestClient(app, raise_server_exceptions=False) as client:
        r = client.get(f"/v1/consignments/{'0' * 32}", headers=headers())
    assert r.status_code == 500 and r.headers["content-type"] == "application/problem+json"
    assert "fire" not in r.text
