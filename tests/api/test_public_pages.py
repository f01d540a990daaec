"""The public pages of Principle VII and their JSON: prohibited goods, and tracking that shows no one's data."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
import warnings
from typing import Any

import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from clearway.api.app import create_app
from clearway.app.platform import Clearway
from clearway.clearance.lifecycle import HoldReason, State
from clearway.dataset.records import Consignment, Order, Payment, Waybill
from tests.conftest import decode

OPERATOR = "op-courier-1"
NUMBER = "RR123456785CN"
T0 = dt.datetime(2026, 11, 22, 8, 0, tzinfo=dt.UTC)


def declared(
    service: Clearway, consignment: Consignment, *documents: Order | Payment | Waybill, now: dt.datetime = T0
) -> str:
    """Submit a declaration (and its documents) as an operator would; its consignment id."""
    [result] = service.submit_consignments(OPERATOR, [consignment], now=now)
    for doc in documents:
        kind = {Order: "order", Payment: "payment", Waybill: "waybill"}[type(doc)]
        service.submit_documents(kind, OPERATOR, [doc], now=now)  # type: ignore[arg-type]
    assert result.id
    return result.id


def secrets_of(data: dict[str, Any]) -> list[str]:
    """What the holder of a tracking number must never see: other people's data and operator internals."""
    parties = data["parties"]
    return [
        parties["buyer"]["name"],
        parties["buyer"]["address"]["line1"],
        parties["buyer"]["address"]["city"],
        parties["buyer"]["email"],
        parties["seller"]["name"],
        parties["seller"]["address"]["line1"],
        parties["platform"]["name"],
        data["transaction"]["goods_value"],
        data["transaction"]["amount_paid"],
        data["transaction"]["order_number"],
        data["transaction"]["payment_id"],
        data["transaction"]["tax_scheme_id"],
        data["reference"],
        OPERATOR,
        "silk blouse",
    ]


# -- prohibited and restricted goods ---------------------------------------------------------------


def test_the_prohibited_page_offers_every_jurisdiction_with_labelled_fields(client: TestClient) -> None:
    r = client.get("/prohibited")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    page = r.text
    for code in ("EU", "GB", "US", "CA", "AU", "NZ", "JP", "SG", "CN", "KR", "CH", "NO", "MX", "BR"):
        assert f'<option value="{code}"' in page, code
    assert '<label for="jurisdiction"' in page and '<label for="q"' in page
    assert 'aria-current="page"' in page and 'href="/prohibited" aria-current="page"' in page
    assert 'name="viewport"' in page and 'class="skip"' in page


def test_a_lookup_shows_the_category_its_status_and_its_law(client: TestClient) -> None:
    r = client.get("/prohibited", params={"jurisdiction": "GB", "q": "pepper spray keyring"})
    assert r.status_code == 200
    assert "Pepper spray and other self-defence sprays" in r.text
    assert "Prohibited" in r.text and "Firearms Act 1968, s.5(1)(b)" in r.text
    assert "Because your text mentions: pepper spray" in r.text
    assert 'id="empty"' not in r.text


def test_an_unverified_reference_says_so_on_the_page(client: TestClient) -> None:
    r = client.get("/prohibited", params={"jurisdiction": "GB", "q": "flick knife"})
    assert "not yet confirmed against the legal text" in r.text


def test_a_lookup_that_matches_nothing_has_a_clear_empty_state(client: TestClient) -> None:
    r = client.get("/prohibited", params={"jurisdiction": "EU", "q": "women's silk blouse"})
    assert r.status_code == 200
    assert "No restrictions recorded for this text" in r.text and 'id="empty"' in r.text
    assert 'href="/prohibited?jurisdiction=EU"' in r.text


def test_without_text_the_page_lists_every_category_of_the_destination(client: TestClient) -> None:
    r = client.get("/prohibited", params={"jurisdiction": "sg"})
    assert r.status_code == 200 and "Chewing gum" in r.text and "E-cigarettes and nicotine liquids" in r.text
    assert re.search(r"\d+ categories recorded, as of", r.text)


def test_an_unknown_destination_is_an_error_the_page_explains(client: TestClient) -> None:
    r = client.get("/prohibited", params={"jurisdiction": "ZZ", "q": "knife"})
    assert r.status_code == 422 and 'role="alert"' in r.text
    assert '<a href="#jurisdiction">Going to: we do not know this destination; choose a country</a>' in r.text
    assert 'aria-invalid="true" aria-describedby="jurisdiction-error"' in r.text


def test_the_restrictions_api_answers_the_same_as_the_page(client: TestClient) -> None:
    r = client.get("/v1/restrictions", params={"jurisdiction": "AU", "q": "disposable vape", "as_of": "2024-03-01"})
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    body = r.json()
    assert (body["jurisdiction"], body["name"], body["as_of"], body["query"]) == (
        "AU",
        "Australia",
        "2024-03-01",
        "disposable vape",
    )
    [entry] = body["restrictions"]
    assert entry["category"] == "nicotine_vaping" and entry["status"] == "prohibited"
    assert entry["matched"] == ["disposable vape"] and entry["verified"] is True
    assert "reg. 5A" in entry["reference"] and entry["valid_from"] == "2024-03-01"
    assert "not legal advice" in body["disclaimer"]


def test_a_member_state_finds_the_union_list(client: TestClient) -> None:
    body = client.get("/v1/restrictions", params={"jurisdiction": "DE", "q": "cat fur"}).json()
    assert body["jurisdiction"] == "EU" and [e["category"] for e in body["restrictions"]] == ["cat_dog_fur"]
    # The API takes the codes exactly as its document lists them (the page reads what people type).
    for spelling in ("de", " DE "):
        refused = client.get("/v1/restrictions", params={"jurisdiction": spelling, "q": "cat fur"})
        assert refused.status_code == 422 and refused.json()["errors"][0]["pointer"] == "/jurisdiction"
    page = client.get("/prohibited", params={"jurisdiction": " de ", "q": "cat fur"})
    assert page.status_code == 200 and 'id="category-cat_dog_fur"' in page.text


def test_no_match_is_an_empty_list_not_an_error(client: TestClient) -> None:
    body = client.get("/v1/restrictions", params={"jurisdiction": "US", "q": "silk blouse"}).json()
    assert body["restrictions"] == []


@pytest.mark.parametrize(
    ("params", "pointer"),
    [
        ({"jurisdiction": "ZZ"}, "/jurisdiction"),
        ({}, "/jurisdiction"),
        ({"jurisdiction": "GB", "q": "x" * 201}, "/q"),
        ({"jurisdiction": "GB", "as_of": "yesterday"}, "/as_of"),
    ],
)
def test_a_bad_request_is_a_problem_with_a_pointer(client: TestClient, params: dict[str, str], pointer: str) -> None:
    r = client.get("/v1/restrictions", params=params)
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
    assert pointer in [e["pointer"] for e in r.json()["errors"]]


def test_the_openapi_document_lists_the_public_routes_and_their_errors(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    restrictions = paths["/v1/restrictions"]["get"]["responses"]
    tracking = paths["/v1/tracking/{transport_document}"]["get"]["responses"]
    assert {"200", "422", "429"} <= set(restrictions) and {"200", "404", "429"} <= set(tracking)
    assert "401" not in restrictions and "401" not in tracking, "public routes ask for no credential"


# -- tracking --------------------------------------------------------------------------------------


def test_a_released_parcel_shows_its_status_and_nobody_s_data(
    client: TestClient,
    service: Clearway,
    consignment: Consignment,
    consignment_data: dict[str, Any],
    order: Order,
    payment: Payment,
    waybill: Waybill,
) -> None:
    declared(service, consignment, order, payment, waybill)
    r = client.get(f"/v1/tracking/{NUMBER}")
    assert r.status_code == 200
    body = r.json()
    assert (body["status"], body["headline"], body["transport_document"]) == ("released", "Released by customs", NUMBER)
    assert body["destination_country"] == "DE" and body["last_change"].startswith("2026-11-22T08:00")
    page = client.get("/track", params={"number": NUMBER})
    assert page.status_code == 200 and "Released by customs" in page.text
    for secret in secrets_of(consignment_data):
        assert secret not in r.text, secret
        assert secret not in page.text, secret


def test_the_number_may_be_typed_in_lower_case_and_with_spaces(
    client: TestClient, service: Clearway, consignment: Consignment
) -> None:
    declared(service, consignment)
    body = client.get("/track", params={"number": " rr 1234 5678 5cn "})
    assert body.status_code == 200 and "Waiting for documents" in body.text and NUMBER in body.text
    assert client.get("/v1/tracking/rr123456785cn").json()["status"] == "waiting_for_documents"


def test_every_hold_reads_under_customs_control_whatever_its_reason(
    client: TestClient, service: Clearway, consignment: Consignment, consignment_data: dict[str, Any]
) -> None:
    answers = []
    for n, reason in enumerate([HoldReason.INSPECTION, HoldReason.REQUEST_FOR_INFORMATION, HoldReason.DO_NOT_LOAD]):
        number = f"HOLD-{n}"
        record = decode(
            Consignment,
            {
                **consignment_data,
                "reference": f"MSG-H{n}",
                "logistics": {
                    **consignment_data["logistics"],
                    "transport_document": number,
                    "document_type": "house_waybill",
                },
            },
        )
        cid = declared(service, record)
        service.control(
            cid, State.HELD, actor="person:o-1", reason="x-ray anomaly, tip-off", hold_reason=reason, now=T0
        )
        body = client.get(f"/v1/tracking/{number}").json()
        assert body["status"] == "under_customs_control" and body["headline"] == "Under customs control"
        for internal in ("inspection", "request_for_information", "do_not_load", "x-ray", "tip-off", "lane", "score"):
            assert internal not in json.dumps(body).lower().replace("under customs control", ""), internal
        answers.append({k: v for k, v in body.items() if k != "transport_document"})
    assert answers[0] == answers[1] == answers[2], "a request for information and an inspection look the same"


def test_a_seized_parcel_says_seized_and_nothing_is_due(
    client: TestClient, service: Clearway, consignment: Consignment
) -> None:
    cid = declared(service, consignment)
    service.control(cid, State.HELD, actor="person:o-1", reason="r", hold_reason=HoldReason.INSPECTION, now=T0)
    service.control(cid, State.INSPECTED, actor="person:o-1", reason="opened: counterfeit", now=T0)
    body = client.get(f"/v1/tracking/{NUMBER}").json()
    assert body["status"] == "under_customs_control", "an inspection shows as a hold too"
    later = T0 + dt.timedelta(hours=3)
    service.control(cid, State.SEIZED, actor="person:o-1", reason="counterfeit trademark goods", now=later)
    body = client.get(f"/v1/tracking/{NUMBER}").json()
    assert (body["status"], body["headline"], body["charges"]) == ("seized", "Seized by customs", "none_at_delivery")
    assert body["last_change"].startswith("2026-11-22T11:00") and "counterfeit" not in json.dumps(body)
    page = client.get("/track", params={"number": NUMBER}).text
    assert "Seized by customs" in page and "how to appeal" in page


def test_a_cancelled_declaration_says_withdrawn(
    client: TestClient, service: Clearway, consignment: Consignment
) -> None:
    cid = declared(service, consignment)
    service.cancel(OPERATOR, cid, "buyer cancelled the order", now=T0)
    body = client.get(f"/v1/tracking/{NUMBER}").json()
    assert body["status"] == "cancelled" and "buyer cancelled" not in json.dumps(body)


def test_duties_collected_at_delivery_show_the_amount_and_who_collects_it(
    client: TestClient,
    service: Clearway,
    consignment_data: dict[str, Any],
    order: Order,
    payment: Payment,
    waybill: Waybill,
) -> None:
    # No checkout scheme number: the tax is not charged at sale, so it is collected on the way in.
    data = {**consignment_data, "transaction": dict(consignment_data["transaction"])}
    del data["transaction"]["tax_scheme_id"]
    declared(service, decode(Consignment, data), order, payment, waybill)
    body = client.get(f"/v1/tracking/{NUMBER}").json()
    assert body["charges"] == "due_at_delivery", body
    due = body["duties_due"]
    assert due["currency"] == "EUR" and float(due["amount"]) > 0 and "deliver" in due["collected_by"]
    page = client.get("/track", params={"number": NUMBER}, headers={"Accept-Language": "de-DE"}).text
    assert re.search(r'id="due">[0-9]+,[0-9]{2}\s€', page), "money through the Babel filter, in the reader's locale"
    assert data["transaction"]["goods_value"] not in page


def test_an_unknown_number_is_a_404_with_help(client: TestClient, service: Clearway, consignment: Consignment) -> None:
    declared(service, consignment)
    for number in ("RR000000000CN", "no-such-thing", "x" * 300):
        r = client.get(f"/v1/tracking/{number}")
        assert r.status_code == 404 and r.headers["content-type"] == "application/problem+json"
        assert "could not find a parcel" in r.json()["detail"] and "RR123456785CN" in r.json()["detail"]
    page = client.get("/track", params={"number": "RR000000000CN"})
    assert page.status_code == 404 and "We could not find a parcel with this number" in page.text
    assert 'aria-invalid="true"' in page.text


def test_the_empty_tracking_form_renders(client: TestClient) -> None:
    r = client.get("/track")
    assert r.status_code == 200 and '<label for="number"' in r.text and 'id="parcel"' not in r.text


def test_the_per_caller_rate_limit_covers_the_public_routes(service: Clearway) -> None:
    settings = dataclasses.replace(service.settings, rate_limit_per_second=0.001, rate_limit_burst=3)
    with TestClient(create_app(settings, service, sweep=False), base_url="https://testserver") as limited:
        statuses = [limited.get(f"/v1/tracking/RR{n:08d}5CN").status_code for n in range(3)]
        assert statuses == [404, 404, 404]
        assert limited.get("/v1/tracking/RR000000015CN").status_code == 429
        assert limited.get("/track", params={"number": "RR000000025CN"}).status_code == 429
        assert limited.get("/v1/restrictions", params={"jurisdiction": "GB"}).status_code == 429
