"""The officer's consignment page shows, per item, the codes its description supports beside the
declared code, with the verdict the rule hs_code_does_not_match_description reads."""

from __future__ import annotations

import html
import warnings
from collections.abc import Iterator

import msgspec
import pytest

from clearway.access.roles import Role
from clearway.api.app import create_app
from clearway.app.platform import Clearway
from clearway.dataset.records import Consignment
from tests.api.test_denials_recorded import sign_in
from tests.conftest import STANDARD_OPERATORS, register_operators

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient


def officer_of(svc: Clearway) -> TestClient:
    client = TestClient(create_app(svc.settings, svc, sweep=False), base_url="https://testserver")
    sign_in(client, svc, "olga", Role.OFFICER)
    return client


@pytest.fixture
def officer(hs_service: Clearway) -> Iterator[TestClient]:
    register_operators(hs_service, STANDARD_OPERATORS)
    with officer_of(hs_service) as client:
        yield client


def test_each_item_shows_the_suggested_codes_and_the_verdict(
    officer: TestClient, hs_service: Clearway, consignment: Consignment
) -> None:
    shirt = msgspec.structs.replace(consignment.items[0], description="Men's cotton T-shirt", hs_code="851713")
    blouse = consignment.items[1]
    [result] = hs_service.submit_consignments(
        "op-courier-1", [msgspec.structs.replace(consignment, items=[shirt, blouse])]
    )
    page = officer.get(f"/consignments/{result.id}")
    assert page.status_code == 200
    shown = html.unescape(page.text)
    assert 'id="hs-checks"' in shown
    first = shown.split('id="hs-line-1"', 1)[1].split("</tr>", 1)[0]
    assert (
        'class="far"' in shown.split('id="hs-line-1"', 1)[0][-20:] + first[:20] or "far from the description" in first
    )
    assert 'id="hs-line-1" class="far"' in shown
    assert "chapter far from the description" in first and "610910 ·" in first and "%)" in first
    second = shown.split('id="hs-line-2"', 1)[1].split("</tr>", 1)[0]
    assert "far from the description" not in second and "620620" in second


def test_without_a_model_the_page_shows_no_check(
    service: Clearway, consignment: Consignment, standard_operators: None
) -> None:
    [result] = service.submit_consignments("op-courier-1", [consignment])
    with officer_of(service) as client:
        page = client.get(f"/consignments/{result.id}")
    assert page.status_code == 200 and 'id="hs-checks"' not in page.text
