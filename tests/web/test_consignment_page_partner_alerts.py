"""The consignment page names the partner administrations whose alerts the consignment matches
(server-rendered; the browser tests in test_browser.py cover the page's scripts)."""

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
from tests.app.test_alerts import nl_envelope, register_nl

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient


@pytest.fixture
def officer(service: Clearway) -> Iterator[TestClient]:
    with TestClient(create_app(service.settings, service, sweep=False), base_url="https://testserver") as client:
        sign_in(client, service, "olga", Role.OFFICER)
        yield client


def test_the_page_shows_the_alert_from_the_partner(
    officer: TestClient, service: Clearway, consignment: Consignment, standard_operators: None
) -> None:
    [result] = service.submit_consignments("op-courier-1", [consignment])
    page = f"/consignments/{result.id}"
    assert "partner-alerts" not in officer.get(page).text
    register_nl(service)
    # Imported after the consignment arrived: the page shows it all the same.
    service.alerts.import_envelope(nl_envelope(consignment), actor="person:rita")
    shown = html.unescape(officer.get(page).text)
    assert "Alert from partner Douane Nederland (NL): counterfeit, issued " in shown
    assert "NL-a1" in shown


def test_another_sellers_page_shows_no_alert(
    officer: TestClient, service: Clearway, consignment: Consignment, standard_operators: None
) -> None:
    register_nl(service)
    service.alerts.import_envelope(nl_envelope(consignment, alert_id="NL-a9"), actor="person:rita")
    item = msgspec.structs.replace(consignment.items[0], hs_code="640399")
    other = msgspec.structs.replace(consignment, items=[item])
    [result] = service.submit_consignments("op-courier-1", [other])
    assert "Alert from partner" not in officer.get(f"/consignments/{result.id}").text
