"""POST /v1/classifications: suggestions per item in order, errors per item, precise refusals."""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Iterator
from typing import Any

import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

import datetime as dt
from decimal import Decimal

from clearway.api.app import create_app
from clearway.app.classification_views import confidence_words
from clearway.app.platform import Clearway
from clearway.revenue.tariff import DutyTerm, TariffMeasure
from clearway.store.tariff_repo import SqlTariffStore
from tests.api.conftest import headers
from tests.conftest import NO_MODEL

URL = "/v1/classifications"


@pytest.fixture
def hs_client(hs_service: Clearway) -> Iterator[TestClient]:
    app = create_app(hs_service.settings, hs_service, sweep=False)
    with TestClient(app, base_url="https://testserver") as c:
        yield c


def post(client: TestClient, body: Any, **kw: Any) -> Any:
    return client.post(URL, json=body, **kw)


def test_items_get_codes_in_order_with_words_and_reasons(hs_client: TestClient) -> None:
    items = [
        {"description": "Men's cotton T-shirt short sleeve, size L", "attributes": {"material": "cotton"}},
        {"description": "Smartphone 128GB 5G unlocked", "price": 199.99, "currency": "USD"},
        {"description": "gift"},
    ]
    answer = post(hs_client, {"items": items, "top": 2})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["model"].startswith("hs-")
    assert [r["index"] for r in body["results"]] == [0, 1, 2]
    shirt, phone, gift = body["results"]
    assert shirt["suggestions"][0]["code"] == "610910" and len(shirt["suggestions"]) == 2
    for s in shirt["suggestions"] + phone["suggestions"]:
        assert s["confidence_words"] == confidence_words(s["confidence"])
    assert any("cotton" in reason for reason in shirt["suggestions"][0]["reasons"])
    assert phone["suggestions"][0]["code"].startswith("8517")
    assert gift["low_confidence"] is True and gift["suggestions"] == [] and "vague" in gift["why"]
    assert gift["question"]


def test_a_bad_item_gets_its_errors_and_the_others_their_answers(hs_client: TestClient) -> None:
    items = [
        {"description": "leather wallet"},
        {"description": "ceramic mug", "price": -3},
        {"title": "no description"},
        {"description": "   "},
        {"description": "wool scarf", "currency": "dollars"},
        {"description": "\U0001f381\U0001f381 " + "x" * 9_990},
    ]
    answer = post(hs_client, {"items": items})
    assert answer.status_code == 200, answer.text
    results = answer.json()["results"]
    assert results[0]["suggestions"]
    assert [e["pointer"] for e in results[1]["errors"]] == ["/items/1/price"]
    assert {e["pointer"] for e in results[2]["errors"]} >= {"/items/2/description"} or results[2]["errors"]
    assert results[3]["errors"][0]["pointer"] == "/items/3/description" and "empty" in results[3]["errors"][0]["detail"]
    assert results[4]["errors"][0]["pointer"] == "/items/4/currency"
    assert "errors" not in results[5]  # a long title of emoji and noise is answered, low confidence
    assert results[5]["low_confidence"] is True


def test_more_than_1000_items_is_413_with_the_pointer(hs_client: TestClient) -> None:
    answer = post(hs_client, {"items": [{"description": "pen"}] * 1001}, headers=headers())
    assert answer.status_code == 413
    problem = answer.json()
    assert problem["type"].endswith("too-many-items") and problem["errors"][0]["pointer"] == "/items"
    assert post(hs_client, {"items": [{"description": "pen"}] * 1000}, headers=headers()).status_code == 200


def test_without_a_credential_a_request_stays_small(hs_client: TestClient) -> None:
    """Anyone on the internet may ask, but not for a thousand items at a time (each costs CPU)."""
    assert post(hs_client, {"items": [{"description": "pen"}] * 20}).status_code == 200
    answer = post(hs_client, {"items": [{"description": "pen"}] * 21})
    assert answer.status_code == 413 and "without an API key a request takes at most 20" in answer.json()["detail"]
    # A made-up credential does not lift the limit: it is checked, and refused.
    forged = post(hs_client, {"items": [{"description": "pen"}] * 21}, headers={"Authorization": "Bearer cw_x_y"})
    assert forged.status_code == 401
    assert post(hs_client, {"items": [{"description": "pen"}] * 21}, headers=headers()).status_code == 200


def test_a_busy_classifier_answers_503_with_retry_after(hs_client: TestClient, monkeypatch: Any) -> None:
    from clearway.app import classification_views

    monkeypatch.setattr(classification_views, "BUSY_WAIT", 0.05)
    held = classification_views._ONE_AT_A_TIME
    assert held.acquire(timeout=1)  # another request is classifying
    try:
        answer = post(hs_client, {"items": [{"description": "pen"}]})
    finally:
        held.release()
    assert answer.status_code == 503 and answer.headers["Retry-After"] == "5"
    assert answer.json()["type"].endswith("classifier-busy")
    assert post(hs_client, {"items": [{"description": "pen"}]}).status_code == 200


def test_no_items_or_unknown_fields_are_422(hs_client: TestClient) -> None:
    assert post(hs_client, {"items": []}).status_code == 422
    refused = post(hs_client, {"items": [{"description": "pen"}], "tops": 3})
    assert refused.status_code == 422 and refused.json()["errors"][0]["pointer"] == "/tops"
    assert post(hs_client, {"items": [{"description": "pen"}], "top": 21}).status_code == 422
    assert hs_client.post(URL, content=b"{not json", headers={"Content-Type": "application/json"}).status_code in {
        400,
        422,
    }


def test_unknown_jurisdiction_is_a_precise_422(hs_client: TestClient) -> None:
    answer = post(hs_client, {"items": [{"description": "pen"}], "jurisdiction": "XX"})
    assert answer.status_code == 422
    problem = answer.json()
    assert problem["type"].endswith("unknown-jurisdiction") and problem["errors"][0]["pointer"] == "/jurisdiction"
    assert "GB" in problem["detail"]
    # Exactly the document's codes: a generated client sends them so (the page reads any case).
    lower = post(hs_client, {"items": [{"description": "pen"}], "jurisdiction": "gb"})
    assert lower.status_code == 422 and lower.json()["errors"][0]["pointer"] == "/jurisdiction"


def test_national_lines_come_from_the_loaded_tariff(hs_client: TestClient, hs_service: Clearway) -> None:
    before = post(hs_client, {"items": [{"description": "cotton t-shirt"}], "jurisdiction": "GB"}).json()
    assert before["jurisdiction"] == "GB" and "no tariff is loaded" in before["note"]
    measure = TariffMeasure(
        jurisdiction="GB",
        code="6109100010",
        terms=[DutyTerm(kind="ad_valorem", amount=Decimal("12"))],
        start=dt.date(2021, 1, 1),
        expression="12.00 %",
    )
    SqlTariffStore(hs_service.engine).replace([measure], jurisdiction="GB", source="test")
    hs_service.revenue.reload()
    after = post(hs_client, {"items": [{"description": "cotton t-shirt"}], "jurisdiction": "GB"}).json()
    best = after["results"][0]["suggestions"][0]
    assert best["code"] == "610910"
    assert best["national_lines"] == [{"code": "6109100010", "description": "third country duty 12.00 %"}]
    assert "note" not in after
    # A member state resolves to its jurisdiction: no EU tariff is loaded, and the answer says so.
    eu = post(hs_client, {"items": [{"description": "cotton t-shirt"}], "jurisdiction": "DE"}).json()
    assert eu["jurisdiction"] == "EU" and "no tariff" in eu["note"]


def test_declared_codes_are_checked(hs_client: TestClient) -> None:
    items = [
        {"description": "cotton t-shirt", "hs_code": "8517.13"},
        {"description": "cotton t-shirt", "hs_code": "6109100010"},
        {"description": "cotton t-shirt", "hs_code": "61A910"},
    ]
    results = post(hs_client, {"items": items}).json()["results"]
    assert results[0]["check"]["verdict"] == "chapter" and results[0]["check"]["far"] is True
    assert results[1]["check"]["verdict"] == "consistent"
    assert results[2]["errors"][0]["pointer"] == "/items/2/hs_code" and results[2]["suggestions"]


def test_lookalike_text_is_read_as_the_plain_text(hs_client: TestClient) -> None:
    plain = post(hs_client, {"items": [{"description": "cotton t-shirt", "hs_code": "851713"}]}).json()
    # Cyrillic о and е, a zero-width space, odd case and spacing.
    tricky = post(hs_client, {"items": [{"description": "c\u043etton  T-SHIRT\u200b", "hs_code": "851713"}]}).json()
    assert tricky["results"][0]["suggestions"][0]["code"] == plain["results"][0]["suggestions"][0]["code"]
    assert tricky["results"][0]["check"]["verdict"] == plain["results"][0]["check"]["verdict"] == "chapter"


def test_operators_may_call_it_with_their_key(hs_client: TestClient) -> None:
    answer = hs_client.post(URL, json={"items": [{"description": "wooden chair"}]}, headers=headers())
    assert answer.status_code == 200 and answer.json()["results"][0]["suggestions"][0]["code"].startswith("94")


def test_no_model_in_a_named_folder_is_503(service: Clearway, tmp_path: Any) -> None:
    settings = dataclasses.replace(service.settings, hs_model_dir=str(tmp_path / "empty"))
    app = create_app(settings, Clearway(settings, engine=service.engine), sweep=False)
    with TestClient(app, base_url="https://testserver") as c:
        answer = c.post(URL, json={"items": [{"description": "pen"}]})
    assert answer.status_code == 503 and answer.json()["type"].endswith("classifier-unavailable")
    assert not (tmp_path / "empty").exists()  # not trained into a folder an administrator named
    assert NO_MODEL
