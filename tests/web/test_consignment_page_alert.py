"""The consignment page's messages come from fixed sentences named by a code: whatever a link puts in
?error= or ?done= (a phone number to call, a "your session expired, log in at..." line), the page
shows only what it would have shown for its own codes."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Any

import pytest

from clearway.access.roles import Role
from clearway.api.app import create_app
from clearway.app.platform import Clearway
from clearway.web.consignment_pages import DONE, ERRORS
from tests.api.conftest import Keyring
from tests.api.test_denials_recorded import sign_in

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

PLANTED = "Your session expired: call +44 20 7946 0000 and give your password"


@pytest.fixture
def officer(service: Clearway) -> Iterator[TestClient]:
    with TestClient(create_app(service.settings, service, sweep=False), base_url="https://testserver") as client:
        sign_in(client, service, "olga", Role.OFFICER)
        yield client


@pytest.fixture
def page(officer: TestClient, service: Clearway, consignment_data: dict[str, Any]) -> str:
    operator = {"Authorization": f"Bearer {Keyring(service).key('op-courier-1')}"}
    created = officer.post("/v1/consignments", json=consignment_data, headers=operator)
    assert created.status_code == 201, created.text
    return f"/consignments/{created.json()['id']}"


@pytest.mark.parametrize("field", ["error", "done"])
def test_text_in_the_query_is_never_shown(officer: TestClient, page: str, field: str) -> None:
    shown = officer.get(page, params={field: PLANTED})
    assert shown.status_code == 200
    assert "call +44" not in shown.text and "give your password" not in shown.text
    assert 'role="alert"' not in shown.text and 'role="status"' not in shown.text


def test_a_known_code_shows_its_fixed_sentence(officer: TestClient, page: str) -> None:
    shown = officer.get(page, params={"error": "reason-missing"})
    # In the summary, as a link to the control, and beside the control, which names it.
    assert f'<li><a href="#reason">{ERRORS["reason-missing"].text}</a></li>' in shown.text
    assert (
        f'id="reason-error"><span class="visually-hidden">Error: </span>{ERRORS["reason-missing"].text}</p>'
        in shown.text
    )
    assert 'aria-invalid="true" aria-describedby="reason-error"' in shown.text
    done = officer.get(page, params={"done": "inspect"})
    assert f'<p class="notice" role="status" id="done" tabindex="-1" autofocus>{DONE["inspect"]}</p>' in done.text


def test_the_pages_own_refusals_travel_as_codes(officer: TestClient, page: str) -> None:
    csrf = officer.get(page).text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
    cases = [
        ("action", {"action": "release", "reason": " "}, "reason-missing"),
        ("action", {"action": "<b>call +44</b>", "reason": "x"}, "unknown-action"),
        ("outcome", {"result": "undervalued", "corrected_value": PLANTED[:30]}, "value-not-number"),
        ("outcome", {"result": "misclassified", "corrected_hs_code": "12"}, "hs-code"),
    ]
    for form, data, code in cases:
        answer = officer.post(f"{page}/{form}", data={**data, "csrf": csrf}, follow_redirects=False)
        assert answer.status_code == 303
        assert answer.headers["location"] == f"{page}?error={code}", (form, data)
        shown = officer.get(answer.headers["location"])
        assert ERRORS[code].text in shown.text and "call +44" not in shown.text
