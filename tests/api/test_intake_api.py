from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from fastapi.testclient import TestClient

from clearway.app.platform import Clearway
from clearway.store.tables import consignments, documents
from tests.api.conftest import Keyring, headers
from tests.conftest import empty, fixture_json

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


# --- batches as a JSON array (the form generated clients send) -----------------------------------


def answers(response: Any) -> list[dict[str, Any]]:
    """A batch's results without the ids (the same records get new ids after the database is emptied)."""
    assert response.status_code == 200, response.text[:500]
    return [{k: v for k, v in r.items() if k != "id"} for r in response.json()["results"]]


def in_array(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """NDJSON results as an array's: each error's pointer prefixed with its record's index."""
    return [
        {**r, "errors": [{**e, "pointer": f"/{r['line'] - 1}{e['pointer']}"} for e in r.get("errors", [])]}
        if r.get("errors")
        else r
        for r in results
    ]


def test_a_json_array_batch_is_answered_like_the_same_ndjson(
    client: TestClient, service: Clearway, keyring: Keyring, consignment_data: dict[str, Any]
) -> None:
    bad = variant(consignment_data, 3)
    bad["items"][0]["hs_code"] = "ABC"
    clash = dict(variant(consignment_data, 1), destination_country="FR")  # MSG-000001 again, different
    records: list[Any] = [
        variant(consignment_data, 1),
        variant(consignment_data, 2),
        variant(consignment_data, 1),  # the same record twice: a duplicate
        bad,
        None,
        fixture_json("order.json"),  # another kind of record
        clash,
    ]
    ndjson = client.post(
        "/v1/consignments/batch",
        content="\n".join(json.dumps(r) for r in records).encode(),
        headers=headers(content_type=NDJSON),
    )
    expected = in_array(answers(ndjson))
    empty(service.engine)
    keyring.keys.clear()
    array = client.post("/v1/consignments/batch", content=json.dumps(records).encode(), headers=headers())
    assert answers(array) == expected
    body = array.json()
    assert (body["accepted"], body["duplicates"], body["rejected"], body["conflicts"]) == (2, 1, 3, 1)
    by_line = {r["line"]: r for r in body["results"]}
    assert by_line[3]["status"] == "duplicate" and by_line[3]["id"] == by_line[1]["id"]
    assert by_line[4]["errors"] == [{"pointer": "/3/items/0/hs_code", "detail": by_line[4]["errors"][0]["detail"]}]
    assert by_line[5]["errors"] == [{"pointer": "/4", "detail": "expected an object, got null"}]
    assert by_line[7]["status"] == "conflict" and by_line[7]["errors"][0]["pointer"] == "/6/reference"
    assert count(service, consignments) == 2


def test_documents_another_operator_may_not_send_are_refused_alike_in_an_array(
    client: TestClient, service: Clearway, keyring: Keyring
) -> None:
    order = fixture_json("order.json")
    records = [order, dict(order, order_number="SW-2")]
    # A payment provider may not send orders (clearance.senders): every record is refused, in either
    # form, and none is stored.
    ndjson = client.post(
        "/v1/orders/batch",
        content="\n".join(json.dumps(r) for r in records).encode(),
        headers=headers("op-psp-1", NDJSON),
    )
    expected = in_array(answers(ndjson))
    assert [r["status"] for r in expected] == ["rejected", "rejected"]
    empty(service.engine)
    keyring.keys.clear()
    array = client.post("/v1/orders/batch", content=json.dumps(records).encode(), headers=headers("op-psp-1"))
    assert answers(array) == expected
    assert count(service, documents) == 0
    # From a marketplace, the same array loads, twice as a duplicate.
    for status in ("accepted", "duplicate"):
        mine = client.post("/v1/orders/batch", content=json.dumps(records).encode(), headers=headers("op-platform-1"))
        assert [r["status"] for r in mine.json()["results"]] == [status, status]
    assert count(service, documents) == 2


def test_a_batch_that_is_not_a_json_array_is_refused_whole(client: TestClient, service: Clearway) -> None:
    for body, detail in (
        (b"{}", "expected a JSON array of records, got an object"),
        (b'"x"', "expected a JSON array of records, got a string"),
        (b"[{}, ", "malformed JSON: the input ends in the middle of the array (was the upload cut off?)"),
        (b"[] []", "malformed JSON: trailing characters (byte 4)"),
        (b'["\\ud800"]', "malformed JSON: invalid \\u escape (an unpaired UTF-16 surrogate)"),
        (b"[" * 100_000, "malformed JSON: nested too deeply"),
    ):
        r = client.post("/v1/payments/batch", content=body, headers=headers("op-psp-1"))
        assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json", body[:20]
        assert r.json()["errors"] == [{"pointer": "", "detail": detail}], body[:20]
    empty_batch = client.post("/v1/payments/batch", content=b"[]", headers=headers("op-psp-1"))
    assert empty_batch.json() == {"accepted": 0, "duplicates": 0, "conflicts": 0, "rejected": 0, "results": []}
    assert count(service, documents) == 0


def test_a_json_array_batch_has_the_ndjson_limits(
    client: TestClient, service: Clearway, consignment_data: dict[str, Any]
) -> None:
    settings = service.settings
    for role in ("carrier", "payment_provider"):
        del consignment_data["parties"][role]
    one = json.dumps(consignment_data)
    too_many = f"[{','.join([one] * (settings.max_batch_lines + 1))}]".encode()
    r = client.post("/v1/consignments/batch", content=too_many, headers=headers())
    ndjson = client.post(
        "/v1/consignments/batch",
        content="\n".join([one] * (settings.max_batch_lines + 1)).encode(),
        headers=headers(content_type=NDJSON),
    )
    assert r.status_code == ndjson.status_code == 413
    assert r.json() == ndjson.json() and "100,000" in r.json()["detail"]
    # One record over the per-record limit is that record's error; its neighbours still load.
    huge = json.dumps({"reference": "x" * settings.max_record_bytes})
    mixed = f"[{json.dumps(variant(consignment_data, 1))}, {huge}]".encode()
    answered = client.post("/v1/consignments/batch", content=mixed, headers=headers())
    assert [r["status"] for r in answered.json()["results"]] == ["accepted", "rejected"]
    assert answered.json()["results"][1]["errors"][0]["pointer"] == "/1"
    assert "more than the limit" in answered.json()["results"][1]["errors"][0]["detail"]
    # A body over the size limit is refused before it is read, whatever its form.
    big = b"[" + b" " * (settings.max_body_bytes + 1) + b"]"
    assert client.post("/v1/consignments/batch", content=big, headers=headers()).status_code == 413
    assert count(service, consignments) == 1


def test_batch_media_types(client: TestClient, consignment_data: dict[str, Any]) -> None:
    line = json.dumps(consignment_data).encode()
    for media in ("application/x-ndjson", "application/jsonl", "application/json; charset=utf-8"):
        body = b"[" + line + b"]" if media.startswith("application/json;") else line
        r = client.post("/v1/consignments/batch", content=body, headers=headers(content_type=media))
        assert r.status_code == 200 and r.json()["results"][0]["status"] in ("accepted", "duplicate"), media
    refused = client.post("/v1/consignments/batch", content=line, headers=headers(content_type="text/plain"))
    assert refused.status_code == 415
    assert refused.json()["detail"] == (
        "send the body as application/x-ndjson or application/jsonl or application/json, not text/plain"
    )
