"""/classify: the HS code finder for small sellers (served HTML; the browser test is in test_browser_classify.py)."""

from __future__ import annotations

import warnings
from collections.abc import Iterator

import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from clearway.api.app import create_app
from clearway.app.platform import Clearway


@pytest.fixture
def client(hs_service: Clearway) -> Iterator[TestClient]:
    app = create_app(hs_service.settings, hs_service, sweep=False)
    with TestClient(app, base_url="https://testserver") as c:
        yield c


def test_the_first_visit_is_a_form(client: TestClient) -> None:
    page = client.get("/classify")
    assert page.status_code == 200
    assert 'name="description"' in page.text and 'id="code-' not in page.text
    assert 'href="/classify" aria-current="page"' in page.text


def test_a_listing_gets_codes_with_confidence_in_words_and_reasons(client: TestClient) -> None:
    page = client.get("/classify", params={"description": "Men's cotton T-shirt, short sleeves", "material": "cotton"})
    assert page.status_code == 200, page.text
    assert 'id="code-610910"' in page.text and "6109.10" in page.text
    assert any(word in page.text for word in ("Very likely (", "Likely (", "Possible ("))
    assert "words: " in page.text and "T-shirts" in page.text


def test_a_vague_listing_says_so_and_names_the_question(client: TestClient) -> None:
    page = client.get("/classify", params={"description": "gift"})
    assert page.status_code == 200
    assert 'id="low-confidence"' in page.text and "too vague" in page.text and "What would decide" in page.text


def test_a_declared_code_is_checked(client: TestClient) -> None:
    page = client.get("/classify", params={"description": "cotton t-shirt", "hs_code": "8517.13"})
    assert 'id="check"' in page.text and "does not fit" in page.text


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"description": ""}, "description"),
        ({"description": "\u200b\u200b"}, "description"),
        ({"description": "x" * 2001}, "description"),
        ({"description": "pen", "price": "abc"}, "price"),
        ({"description": "pen", "price": "-2"}, "price"),
        ({"description": "pen", "currency": "dollars"}, "currency"),
        ({"description": "pen", "hs_code": "85A713"}, "hs_code"),
        ({"description": "pen", "jurisdiction": "XX"}, "jurisdiction"),
    ],
)
def test_wrong_fields_are_said_beside_the_control(client: TestClient, params: dict[str, str], field: str) -> None:
    page = client.get("/classify", params=params)
    assert page.status_code == 422, page.text
    assert f'<a href="#{field}">' in page.text and 'aria-invalid="true"' in page.text


def test_national_lines_show_when_the_tariff_is_loaded(client: TestClient, hs_service: Clearway) -> None:
    import datetime as dt
    from decimal import Decimal

    from clearway.revenue.tariff import DutyTerm, TariffMeasure
    from clearway.store.tariff_repo import SqlTariffStore

    measure = TariffMeasure(
        jurisdiction="GB",
        code="6109100010",
        terms=[DutyTerm(kind="ad_valorem", amount=Decimal("12"))],
        start=dt.date(2021, 1, 1),
        expression="12.00 %",
    )
    SqlTariffStore(hs_service.engine).replace([measure], jurisdiction="GB", source="test")
    hs_service.revenue.reload()
    page = client.get("/classify", params={"description": "cotton t-shirt", "jurisdiction": "GB"})
    assert "6109100010" in page.text and "third country duty 12.00 %" in page.text
    eu = client.get("/classify", params={"description": "cotton t-shirt", "jurisdiction": "EU"})
    assert "no tariff is loaded for EU" in eu.text


def test_html_in_the_listing_is_shown_as_text(client: TestClient) -> None:
    page = client.get("/classify", params={"description": "<script>alert(1)</script> cotton t-shirt"})
    assert "<script>alert(1)</script>" not in page.text and "&lt;script&gt;" in page.text
