"""/classify in Debian's Chromium: with JavaScript (htmx swaps the results in place) and without."""

from __future__ import annotations

from typing import Any

from tests.web.axe import assert_accessible
from tests.web.chromium import requires_chromium

pytestmark = requires_chromium


def test_a_seller_finds_the_code_and_checks_theirs(page: Any, server: str) -> None:
    page.goto(f"{server}/classify")
    page.get_by_label("Description of the item").fill("Men's cotton T-shirt, short sleeves, size L")
    page.get_by_label("Material").fill("cotton")
    page.get_by_label("Going to").select_option("GB")
    page.get_by_label("Code you have").fill("8517.13")
    page.get_by_role("button", name="Find the code").click()
    best = page.locator("ol.codes li").first
    best.wait_for()
    assert best.get_attribute("id") == "code-610910"
    assert "6109.10" in best.inner_text() and "%" in best.inner_text()
    assert "does not fit" in page.locator("#check").inner_text()
    assert "description=" in page.url  # htmx pushed the address: the result can be bookmarked
    assert page.evaluate("document.activeElement.id") == "result"  # the focus moves to the result
    assert_accessible(page, "HS code finder with a result")


def test_a_wrong_field_is_said_and_the_focus_goes_to_the_summary(page: Any, server: str) -> None:
    page.goto(f"{server}/classify")
    page.get_by_label("Description of the item").fill("wooden chair")
    page.get_by_label("Price").fill("twelve")
    page.get_by_role("button", name="Find the code").click()
    summary = page.locator(".error-summary")
    summary.wait_for()
    assert "Price" in summary.inner_text()
    assert page.get_by_label("Price").get_attribute("aria-invalid") == "true"
    summary.get_by_role("link").first.click()
    assert page.evaluate("document.activeElement.id") == "price"


def test_it_works_without_javascript(browser: Any, server: str) -> None:
    context = browser.new_context(java_script_enabled=False, locale="en-GB")
    page = context.new_page()
    try:
        page.goto(f"{server}/classify")
        page.get_by_label("Description of the item").fill("gift")
        page.get_by_role("button", name="Find the code").click()
        page.wait_for_url("**/classify?description=gift**")
        assert "too vague" in page.locator("#low-confidence").inner_text()
    finally:
        context.close()
