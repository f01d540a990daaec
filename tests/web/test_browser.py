"""The pages in a real browser: Debian's Chromium driven by Playwright against the app served on
localhost. An officer signs in, opens the queue, opens a held consignment, inspects it, records
what the inspection found and releases it; the rule statistics and the dashboard change; the public
calculator answers; the pages work with the keyboard and on a phone-sized screen. Each state the flows
reach is checked with axe-core against WCAG 2.2 AA (tests/web/axe.py)."""

from __future__ import annotations

import re
from typing import Any

from clearway.app.demo import DEMO_PASSWORD
from tests.web.axe import assert_accessible
from tests.web.chromium import requires_chromium

pytestmark = requires_chromium


def sign_in(page: Any, server: str, username: str = "officer") -> None:
    page.goto(f"{server}/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{server}/dashboard")


def recorded_outcomes(page: Any, server: str) -> tuple[int, int]:
    """(findings, recorded outcomes) as the dashboard's hit-rate card says them."""
    page.goto(f"{server}/dashboard")
    text = page.locator("#kpis").inner_text()
    found = re.search(r"([\d,]+) findings in ([\d,]+) recorded outcomes", text)
    assert found is not None, text
    return int(found.group(1).replace(",", "")), int(found.group(2).replace(",", ""))


def test_an_officer_works_a_held_consignment_to_release(page: Any, server: str) -> None:
    sign_in(page, server)
    findings, outcomes = recorded_outcomes(page, server)
    page.goto(f"{server}/risk/rules")
    page.get_by_role("link", name="Inspection queue").click()
    page.wait_for_url(f"{server}/queue")
    assert page.get_by_role("heading", name="Inspection queue").is_visible()
    first = page.locator("table tbody tr").first.get_by_role("link")
    reference = first.inner_text()
    first.click()
    page.wait_for_url(re.compile(r".*/consignments/[0-9a-f]+$"))
    assert reference in page.get_by_role("heading", level=1).inner_text()
    assert page.locator("#state").inner_text().startswith("held")

    page.get_by_label("Action").select_option("inspect")
    page.get_by_label("Reason (kept in the history and the audit trail)").fill("X-ray shows more than declared")
    page.get_by_role("button", name="Apply").click()
    assert page.get_by_role("status").inner_text() == "inspect: done"
    assert page.locator("#state").inner_text() == "inspected"
    assert_accessible(page, "consignment under inspection, with the outcome form")

    page.get_by_label("Outcome").select_option("undervalued")
    page.get_by_label(re.compile("Corrected goods value")).fill("250.00")
    page.get_by_label("Note").fill("invoice in the parcel")
    page.get_by_role("button", name="Record outcome").click()
    assert page.get_by_role("status").inner_text() == "outcome recorded: undervalued"

    page.get_by_label("Action").select_option("release")
    page.get_by_label("Reason (kept in the history and the audit trail)").fill("duty on the corrected value")
    page.get_by_role("button", name="Apply").click()
    assert page.locator("#state").inner_text() == "released"
    assert_accessible(page, "consignment released by the officer")
    history = page.locator("section[aria-labelledby=history] tbody").inner_text()
    assert "inspected → released" in history and "person:" in history
    # The dashboard counts the outcome just recorded, and its finding.
    assert recorded_outcomes(page, server) == (findings + 1, outcomes + 1)


def test_a_bad_outcome_is_refused_with_a_precise_message(page: Any, server: str) -> None:
    sign_in(page, server)
    page.goto(f"{server}/queue")
    page.locator("table tbody tr").nth(1).get_by_role("link").click()
    assert "Once the inspection has started" in page.locator("main").inner_text()
    page.get_by_label("Action").select_option("inspect")
    page.get_by_label("Reason (kept in the history and the audit trail)").fill("documents do not match the goods")
    page.get_by_role("button", name="Apply").click()
    page.get_by_label("Outcome").select_option("misclassified")
    page.get_by_role("button", name="Record outcome").click()
    assert "Correct HS code: a misclassification needs the correct HS code" in page.get_by_role("alert").inner_text()
    assert_accessible(page, "consignment with a refused outcome")


def test_the_queue_filters_and_says_when_nothing_matches(page: Any, server: str) -> None:
    sign_in(page, server)
    page.goto(f"{server}/queue")
    page.get_by_label("HS chapter").fill("01")  # live animals: the simulator sells none
    page.get_by_role("button", name="Filter").click()
    assert "Nothing waits for customs with these filters" in page.locator("main").inner_text()
    assert_accessible(page, "queue filtered to nothing")


def test_pages_are_keyboard_navigable_and_fit_a_phone(browser: Any, server: str) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, locale="fr-FR")
    page = context.new_page()
    sign_in(page, server)
    page.goto(f"{server}/queue")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    # Nothing wider than the screen but the tables, which scroll inside their own box.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    assert_accessible(page, "queue on a phone, in French")
    # Numbers follow the reader's locale (French: comma decimals, non-breaking space before %/€).
    page.locator("table tbody tr").first.get_by_role("link").click()
    value = page.locator("dl.facts").first.inner_text()
    assert re.search(r"\d,\d\d\s?(€|\$|£|[A-Z]{3})", value), value
    assert_accessible(page, "consignment on a phone, in French")
    context.close()


def test_the_rule_statistics_show_recorded_outcomes(page: Any, server: str) -> None:
    sign_in(page, server, "analyst")
    page.goto(f"{server}/risk/rules")
    cells = page.locator("tbody tr td.n").all_inner_texts()
    assert any(c.endswith("%") for c in cells), "after the officer's outcome a hit rate shows"
    assert_accessible(page, "rules with hit rates")


def test_the_public_landed_cost_calculator(page: Any, server: str) -> None:
    page.goto(f"{server}/landed-cost")
    page.get_by_label("Destination").select_option("DE")
    page.locator("#description_0").fill("cotton t-shirt")
    page.locator("#hs_code_0").fill("610910")
    page.locator("#unit_value_0").fill("30.00")
    page.get_by_role("button", name="Calculate").click()
    assert page.locator("#total").is_visible()
    assert re.search(r"\d", page.locator("#total").inner_text())
    assert_accessible(page, "landed cost with a result")
