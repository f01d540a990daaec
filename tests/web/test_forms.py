"""The forms with the keyboard alone, in Chromium: Tab reaches the fields in the order they are shown,
Enter sends; a refused form puts the focus on a summary whose links lead to the wrong fields, each
marked aria-invalid and described by its message in plain words; a form that succeeds puts the
focus on what it produced (the calculator's result, the queue's consignments, an action's
confirmation)."""

from __future__ import annotations

import itertools
import re
from typing import Any

from clearway.app.demo import DEMO_PASSWORD
from clearway.web.landed_cost import CONTROLS
from tests.web.chromium import requires_chromium
from tests.web.test_browser import sign_in

pytestmark = requires_chromium

DEVELOPER_WORDS = re.compile(r"Expected|`|\bstr\b|decimal string|pointer|/items/|required field", re.IGNORECASE)


def focused(page: Any, attribute: str = "id") -> str:
    return str(page.evaluate(f"document.activeElement.getAttribute({attribute!r}) || ''"))


def tab_to(page: Any, selector: str, limit: int = 80) -> None:
    """Press Tab until the focus is on the element ``selector`` names (at most ``limit`` times)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"Tab never reached {selector}; the focus is on {focused(page, 'outerHTML')[:200]}")


def choose_with_arrows(page: Any, value: str, limit: int = 300) -> None:
    """Move the focused (closed) list to ``value`` with the arrow keys, as a keyboard user does."""
    page.keyboard.press("Home")
    for _ in range(limit):
        if page.evaluate("document.activeElement.value") == value:
            return
        page.keyboard.press("ArrowDown")
    raise AssertionError(f"{value!r} is not among the options")


def sent(page: Any, key: str) -> None:
    """Press ``key`` on the focused control and wait for the page the form leads to."""
    with page.expect_navigation():
        page.keyboard.press(key)


def assert_marked(page: Any, control: str, text: str) -> None:
    """The control is marked wrong and described by its inline message, which says ``text``."""
    field = page.locator(f"#{control}")
    assert field.get_attribute("aria-invalid") == "true"
    described = (field.get_attribute("aria-describedby") or "").split()
    assert f"{control}-error" in described, described
    message = page.locator(f"#{control}-error").text_content() or ""
    assert message.strip() == f"Error: {text}", message


# -- the landed-cost calculator -------------------------------------------------------------------

# Where the focused control's field (label, hint and control) sits on the page (Tab scrolls): the
# grid lines fields up, not controls (a hint above one control moves it down within its row).
BOX = """(() => {
  const r = (document.activeElement.closest('.field') || document.activeElement).getBoundingClientRect();
  return [r.top + window.scrollY, r.left + window.scrollX];
})()"""


def test_tab_goes_through_the_calculator_in_the_order_it_is_shown(page: Any, server: str) -> None:
    page.goto(f"{server}/landed-cost")
    assert focused(page) != "error-summary", "a first visit shows no error"
    tab_to(page, "#destination")
    order: list[str] = []
    boxes: list[list[float]] = []
    for _ in range(3 * len(CONTROLS)):
        here = focused(page)
        # A date field takes a Tab per part (day, month, year): one stop of the form's.
        if not order or here != order[-1]:
            order.append(here)
            boxes.append(page.evaluate(BOX))
        if page.evaluate("document.activeElement.type") == "submit":
            break
        page.keyboard.press("Tab")
    assert order == [*CONTROLS, ""], "every field once, in the page's order, then Calculate"
    # Visual order: each next control is on the same row further right, or on a lower row.
    for index, ((top, left), (next_top, next_left)) in enumerate(itertools.pairwise(boxes)):
        assert next_top > top + 4 or (abs(next_top - top) <= 4 and next_left > left), order[index : index + 2]


def test_a_wrong_parcel_lands_on_a_summary_that_leads_to_each_field(page: Any, server: str) -> None:
    page.goto(f"{server}/landed-cost")
    page.locator("#destination").select_option("DE")
    tab_to(page, "#description_0")
    page.keyboard.type("cotton t-shirt")
    page.keyboard.press("Tab")
    page.keyboard.type("6109")  # too short
    tab_to(page, "#unit_value_0")
    page.keyboard.type("12,50")  # a comma: msgspec's "Invalid decimal string"
    sent(page, "Enter")

    assert focused(page) == "error-summary", "the focus is on the summary, not at the top of the page"
    summary = page.locator("#error-summary")
    assert summary.get_attribute("tabindex") == "-1" and summary.get_by_role("alert").count() == 1
    hs_code = "Item 1, HS code: enter 6 to 10 digits"
    unit_value = "Item 1, Unit value: enter an amount such as 12.50"
    links = summary.get_by_role("link")
    assert links.all_inner_texts() == [hs_code, unit_value]
    assert not DEVELOPER_WORDS.search(summary.inner_text()), summary.inner_text()
    assert_marked(page, "hs_code_0", hs_code)
    assert_marked(page, "unit_value_0", unit_value)
    assert page.locator("#destination").get_attribute("aria-invalid") is None, "a right field is not marked"
    # What was typed stays, to be corrected.
    assert page.locator("#hs_code_0").input_value() == "6109"

    # Each link moves the focus to its field.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == hs_code
    page.keyboard.press("Enter")
    assert focused(page) == "hs_code_0"
    tab_to(page, "#error-summary a[href='#unit_value_0']")
    page.keyboard.press("Enter")
    assert focused(page) == "unit_value_0"


def test_a_blank_destination_and_item_say_what_to_enter(page: Any, server: str) -> None:
    page.goto(f"{server}/landed-cost")
    tab_to(page, "#quantity_0")
    sent(page, "Enter")
    assert focused(page) == "error-summary"
    texts = page.locator("#error-summary").get_by_role("link").all_inner_texts()
    assert texts == [
        "Destination: choose a country",
        "Item 1: enter the description",
        "Item 1: enter the HS code",
        "Item 1: enter the unit value",
    ]
    assert_marked(page, "destination", "Destination: choose a country")


def test_a_calculation_lands_the_focus_on_the_result(page: Any, server: str) -> None:
    page.goto(f"{server}/landed-cost")
    tab_to(page, "#destination")
    choose_with_arrows(page, "DE")
    tab_to(page, "#description_0")
    page.keyboard.type("cotton t-shirt")
    page.keyboard.press("Tab")
    page.keyboard.type("610910")
    tab_to(page, "#unit_value_0")
    page.keyboard.type("30.00")
    sent(page, "Enter")

    assert focused(page) == "result", "a keyboard user lands on the result, not back on the form"
    heading = page.locator("#result")
    assert heading.get_attribute("tabindex") == "-1" and heading.evaluate("e => e.tagName") == "H2"
    assert re.search(r"\d", page.locator("#total").inner_text())
    # The result is above the form (so it is on screen and read first); the form keeps the parcel.
    assert page.evaluate(
        "document.querySelector('#quote').compareDocumentPosition(document.querySelector('#calculator')) & 4"
    )
    assert page.evaluate("document.querySelector('#total').getBoundingClientRect().bottom <= window.innerHeight")
    assert page.locator("#hs_code_0").input_value() == "610910"


# -- signing in and the password ------------------------------------------------------------------


def test_a_refused_sign_in_is_summarised_and_linked(page: Any, server: str) -> None:
    page.goto(f"{server}/login")
    assert focused(page) == "username", "the first field is ready to type in"
    assert page.locator("a.skip").count() == 1, "the shared layout, with its skip link"
    sent(page, "Enter")
    assert focused(page) == "error-summary"
    assert page.locator("#error-summary").get_by_role("link").all_inner_texts() == [
        "Enter the username",
        "Enter the password",
    ]
    assert_marked(page, "username", "Enter the username")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    assert focused(page) == "username"
    page.keyboard.type("officer")
    page.keyboard.press("Tab")
    page.keyboard.type("not the password")
    sent(page, "Enter")
    page.wait_for_url(f"{server}/login?error=invalid")
    assert focused(page) == "error-summary"
    text = page.locator("#error-summary").inner_text()
    assert "Invalid username or password: check both and try again" in text and not DEVELOPER_WORDS.search(text)


def test_the_password_page_names_the_field_that_differs(page: Any, server: str) -> None:
    sign_in(page, server, "analyst")
    page.goto(f"{server}/account/password")
    tab_to(page, "#current_password")
    page.keyboard.type(DEMO_PASSWORD)
    page.keyboard.press("Tab")
    page.keyboard.type("a long new passphrase 42")
    page.keyboard.press("Tab")
    page.keyboard.type("a long new passphrase 43")
    sent(page, "Enter")
    assert focused(page) == "error-summary"
    message = "New password again: the two new passwords differ; type the same one twice"
    assert page.locator("#error-summary").get_by_role("link").all_inner_texts() == [message]
    assert_marked(page, "repeat_password", message)


# -- the inspection queue -------------------------------------------------------------------------


def test_the_queue_is_filtered_and_a_consignment_opened_with_the_keyboard(page: Any, server: str) -> None:
    sign_in(page, server)
    page.goto(f"{server}/queue")
    assert focused(page) != "queue-result", "a first visit keeps the focus at the top"
    tab_to(page, "#lane")
    choose_with_arrows(page, "red")
    tab_to(page, "#origin")
    page.keyboard.type("C1")
    sent(page, "Enter")
    assert focused(page) == "error-summary"
    assert_marked(page, "origin", "Origin: enter a two-letter country code such as CN")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    assert focused(page) == "origin"
    page.keyboard.press("Control+A")
    page.keyboard.press("Backspace")
    sent(page, "Enter")

    assert "lane=red" in page.url
    assert focused(page) == "queue-result", "the focus is on what the filter found"
    assert re.match(r"\d+ consignments? shown", page.locator("#queue-result").inner_text())
    lanes = page.locator("table tbody tr .lane").all_inner_texts()
    assert lanes and set(lanes) == {"red"}
    tab_to(page, "table tbody a")
    reference = page.evaluate("document.activeElement.textContent")
    sent(page, "Enter")
    assert re.search(r"/consignments/[0-9a-f]+$", page.url)
    assert reference in page.get_by_role("heading", level=1).inner_text()


# -- an officer's decision on the consignment page ------------------------------------------------


def test_an_officer_decides_with_the_keyboard(page: Any, server: str) -> None:
    sign_in(page, server)
    page.goto(f"{server}/queue")
    page.locator("table tbody tr").nth(2).get_by_role("link").click()
    page.wait_for_url(re.compile(r".*/consignments/[0-9a-f]+$"))
    assert page.locator("#state").inner_text().startswith("held")

    # A reason of spaces is refused: the summary takes the focus and leads to the reason.
    tab_to(page, "#action")
    choose_with_arrows(page, "inspect")
    page.keyboard.press("Tab")
    assert focused(page) == "reason"
    page.keyboard.type("   ")
    page.keyboard.press("Tab")
    sent(page, " ")  # Space on the Apply button
    assert focused(page) == "control-summary"
    assert_marked(page, "reason", "Enter the reason")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    assert focused(page) == "reason"

    # With a reason the step is taken, and the focus is on its confirmation.
    tab_to(page, "#action")
    choose_with_arrows(page, "inspect")
    tab_to(page, "#reason")
    page.keyboard.type("X-ray shows more than declared")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Apply"
    sent(page, "Enter")
    assert focused(page) == "done"
    assert page.locator("#done").inner_text() == "inspect: done"
    assert page.locator("#state").inner_text() == "inspected"

    # The outcome form: a misclassification without the code is refused on that field.
    tab_to(page, "#result")
    choose_with_arrows(page, "misclassified")
    tab_to(page, "form[action$='/outcome'] button")
    sent(page, " ")
    assert focused(page) == "outcome-summary"
    message = "Correct HS code: a misclassification needs the correct HS code"
    assert page.locator("#outcome-summary").get_by_role("link").all_inner_texts() == [message]
    assert_marked(page, "corrected_hs_code", message)
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    assert focused(page) == "corrected_hs_code"
    page.keyboard.type("620610")
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Shift+Tab")
    assert focused(page) == "result"
    choose_with_arrows(page, "misclassified")
    tab_to(page, "form[action$='/outcome'] button")
    sent(page, "Enter")
    assert focused(page) == "done"
    assert page.locator("#done").inner_text() == "outcome recorded: misclassified"


# -- content swapped in by htmx -------------------------------------------------------------------


def test_content_swapped_in_by_htmx_takes_the_focus_it_marks(page: Any, server: str) -> None:
    page.goto(f"{server}/track?number=RR000000000CN")
    page.wait_for_function("typeof window.htmx === 'object'")
    assert focused(page) == "error-summary"
    # A browser honours `autofocus` once, as the page loads: after a swap, htmx or forms.js must.
    page.evaluate(
        """() => {
          const box = document.createElement('div');
          box.id = 'box';
          document.querySelector('main').append(box);
          box.innerHTML = '<h2 id="later" tabindex="-1" autofocus>Result</h2>';
        }"""
    )
    assert focused(page) != "later"
    page.evaluate("document.getElementById('box').dispatchEvent(new CustomEvent('htmx:afterSettle', {bubbles: true}))")
    assert focused(page) == "later", "forms.js moves the focus after a swap"
    # And through htmx itself, as a swapped server answer would arrive.
    page.evaluate(
        """() => htmx.swap('#box', '<div class="error-summary" id="swapped" tabindex="-1" autofocus>x</div>',
                           {swapStyle: 'innerHTML'})"""
    )
    page.wait_for_function("document.activeElement.id === 'swapped'")
