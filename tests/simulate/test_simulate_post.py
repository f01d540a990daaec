"""post_traffic, against a mock transport that records what an API would receive (client side only)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from clearway.simulate import Traffic, generate
from clearway.simulate.post import post_traffic

BASE = "http://clearway.test"


def api_keys(traffic: Traffic) -> dict[str, str]:
    """A fake API key per operator; the recorder reads the operator back from it."""
    return {op.id: f"key-for-{op.id}" for op in traffic.operators}


class Recorder:
    """Answers every batch as an API would (all accepted) and keeps what it was sent."""

    def __init__(self, answer: Callable[[httpx.Request, list[dict[str, Any]]], httpx.Response] | None = None):
        self.requests: list[tuple[str, str, list[dict[str, Any]]]] = []
        self.answer = answer

    def __call__(self, request: httpx.Request) -> httpx.Response:
        assert request.method == "POST"
        assert request.headers["content-type"] == "application/x-ndjson"
        records = [json.loads(line) for line in request.content.splitlines()]
        operator = request.headers["authorization"].removeprefix("Bearer key-for-")
        self.requests.append((request.url.path, operator, records))
        if self.answer is not None:
            return self.answer(request, records)
        n = len(records)
        return httpx.Response(200, json={"accepted": n, "duplicates": 0, "rejected": 0, "results": []})

    def client(self) -> httpx.Client:
        return httpx.Client(transport=httpx.MockTransport(self))


@pytest.fixture(scope="module")
def small() -> Traffic:
    return generate(1200, seed=17)


def test_every_record_is_sent_once_by_its_operator(small: Traffic) -> None:
    recorder = Recorder()
    summary = post_traffic(
        small,
        BASE + "/",
        credentials=api_keys(small),
        batch_size=100,
        client=recorder.client(),
    )
    total = len(small.consignments) + len(small.orders) + len(small.payments) + len(small.waybills)
    assert summary["records"] == summary["accepted"] == total
    assert summary["failed"] == summary["rejected"] == summary["duplicates"] == 0
    assert summary["requests"] == len(recorder.requests)
    assert summary["by_kind"]["consignment"]["accepted"] == len(small.consignments)
    assert summary["errors"] == []
    sent: dict[str, dict[str, str]] = {"consignments": {}, "orders": {}, "payments": {}, "waybills": {}}
    keys = {"consignments": "reference", "orders": "order_number", "payments": "payment_id"}
    for path, operator, records in recorder.requests:
        assert path.startswith("/v1/") and path.endswith("/batch")
        kind = path.split("/")[2]
        assert 1 <= len(records) <= 100
        for record in records:
            key = record[keys.get(kind, "transport_document")]
            assert key not in sent[kind]
            sent[kind][key] = operator
    assert sent["consignments"] == {s.record.reference: s.operator_id for s in small.consignments}
    assert sent["orders"] == {s.record.order_number: s.operator_id for s in small.orders}
    assert sent["payments"] == {s.record.payment_id: s.operator_id for s in small.payments}
    assert sent["waybills"] == {s.record.transport_document: s.operator_id for s in small.waybills}


def test_records_are_sent_roughly_in_time_order(small: Traffic) -> None:
    recorder = Recorder()
    post_traffic(
        small,
        BASE,
        credentials=api_keys(small),
        batch_size=50,
        window=200,
        client=recorder.client(),
    )
    position: dict[str, int] = {}
    for index, (path, _, records) in enumerate(recorder.requests):
        for record in records:
            if path == "/v1/consignments/batch":
                position[record["reference"]] = index
            elif path == "/v1/orders/batch":
                position["order:" + record["order_number"]] = index
    # Orders come before their consignment, except the late ones, which come after.
    for truth in small.truth:
        order = position.get("order:" + truth.order_number)
        if order is None:
            continue
        if truth.late_document == "order":
            assert order > position[truth.reference]
        else:
            assert order <= position[truth.reference]


def test_http_errors_are_counted_not_raised(small: Traffic) -> None:
    def refuse_payments(request: httpx.Request, records: list[dict[str, Any]]) -> httpx.Response:
        if request.url.path == "/v1/payments/batch":
            return httpx.Response(503, text="busy")
        return httpx.Response(200, json={"accepted": len(records), "duplicates": 1, "rejected": 0, "conflicts": 2})

    recorder = Recorder(refuse_payments)
    summary = post_traffic(
        small,
        BASE,
        credentials=api_keys(small),
        batch_size=500,
        client=recorder.client(),
    )
    assert summary["failed"] == summary["by_kind"]["payment"]["failed"] == len(small.payments)
    assert summary["by_kind"]["payment"]["accepted"] == 0
    assert summary["errors"] and summary["errors"][0]["status"] == 503
    assert summary["errors"][0]["detail"] == "busy"
    others = summary["requests"] - sum(1 for path, _, _ in recorder.requests if "payments" in path)
    assert summary["duplicates"] == others and summary["conflicts"] == 2 * others


def test_an_answer_without_counts_is_a_failure() -> None:
    traffic = generate(20, seed=2)
    recorder = Recorder(lambda request, records: httpx.Response(200, json={"ok": True}))
    summary = post_traffic(traffic, BASE, credentials=api_keys(traffic), client=recorder.client())
    assert summary["failed"] == summary["records"] > 0
    assert summary["accepted"] == 0


def test_an_unreachable_server_raises() -> None:
    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    tiny = generate(5, seed=1)
    with pytest.raises(httpx.ConnectError):
        post_traffic(tiny, BASE, credentials=api_keys(tiny), client=httpx.Client(transport=httpx.MockTransport(down)))


def test_batch_size_must_be_positive(small: Traffic) -> None:
    with pytest.raises(ValueError, match="batch_size"):
        post_traffic(small, BASE, credentials=api_keys(small), batch_size=0)


def test_every_operator_needs_a_key(small: Traffic) -> None:
    partial = dict(list(api_keys(small).items())[1:])
    with pytest.raises(ValueError, match="no API key for operators"):
        post_traffic(small, BASE, credentials=partial, client=Recorder().client())
