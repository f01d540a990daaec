"""Every page the app serves, and the states people reach on them, checked against WCAG 2.2 AA with
axe-core in Chromium at 1280 px and at 320 px (where the page must also reflow: WCAG 1.4.10), and
the focus ring measured against what surrounds it (WCAG 1.4.11).

The pages are found from the app's routes (GET, outside the API document), so a page added later is
checked without editing this file; each is visited by someone allowed to see it: anonymously when
public, otherwise as the demo user of a role it admits.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from fastapi import FastAPI

from clearway.access.roles import Role
from clearway.api.contract import CONTACT_URL, access_of, route_rules
from clearway.app.demo import DEMO_PEOPLE
from clearway.store.message_tables import message_records
from clearway.store.tables import consignments
from tests.web.axe import (
    MIN_FOCUS_CONTRAST,
    NARROW,
    WIDE,
    assert_accessible,
    assert_reflows,
    axe_version,
    focus_ring,
    reflow_problems,
    violations,
)
from tests.web.chromium import requires_chromium
from tests.web.test_browser import sign_in

pytestmark = requires_chromium

# Whom a signed-in page is shown to: the first of these roles it admits (officers see the most: the
# action forms), as that role's demo user.
VISITORS = (Role.OFFICER, Role.ANALYST, Role.STATISTICIAN, Role.ADMIN)
DEMO_USER = {role: username for username, _, role in DEMO_PEOPLE}
WIDTHS = (WIDE, NARROW)

Visit = Callable[[Role | None], Any]


@pytest.fixture(scope="module")
def visit(browser: Any, server: str) -> Iterator[Visit]:
    """A page for anyone (None) or for a role's demo user, signed in once for the whole module."""
    contexts: dict[Role | None, Any] = {}
    pages: dict[Role | None, Any] = {}

    def page_for(role: Role | None) -> Any:
        if role not in pages:
            contexts[role] = browser.new_context(viewport={"width": WIDE, "height": 900}, locale="en-GB")
            pages[role] = contexts[role].new_page()
            pages[role].set_default_timeout(15_000)
            if role is not None:
                sign_in(pages[role], server, DEMO_USER[role])
        return pages[role]

    yield page_for
    for context in contexts.values():
        context.close()


@pytest.fixture(scope="module")
def samples(engine: sa.Engine, demo_app: FastAPI) -> dict[str, str]:
    """Real values from the demo data for the pages' path parameters and the states below."""
    with engine.connect() as conn:

        def first(*where: Any) -> sa.Row[Any]:
            row = conn.execute(sa.select(consignments).where(*where).order_by(consignments.c.id).limit(1)).first()
            assert row is not None, f"the demo data has no consignment where {where}"
            return row

        held = first(consignments.c.state == "held")
        released = first(consignments.c.state == "released")
        came_in_messages = conn.execute(
            sa.select(message_records.c.record_id).where(message_records.c.kind == "consignment").limit(1)
        ).scalar_one()
    return {
        "consignment_id": held.id,
        "released_id": released.id,
        "message_consignment_id": came_in_messages,
        "tracking_number": released.transport_document,
        "operator": held.operator_id,
        "today": dt.date.today().isoformat(),
    }


# GET routes outside the API document that are not HTML pages, or that send people on to one: `/`
# sends people on to the dashboard, which is checked under its own path.
# "/metrics" is Prometheus text for scrapers (docs/operations.md), not a page.
NOT_PAGES: dict[str, str] = {"/": "redirect", "/metrics": "text/plain"}


def served_pages(app: FastAPI) -> list[tuple[str, Role | None]]:
    """The app's pages: (path template, who visits it). Pages are the GET routes kept out of the API
    document; every route declares its Access (tests/api/test_route_roles.py)."""
    found = []
    for method, path, documented, rules in route_rules(app):
        if method != "GET" or documented:
            continue
        access = access_of(rules)
        assert access is not None, f"GET {path} declares no access rule"
        visitor = None if access.public else next(r for r in VISITORS if r in access.roles)
        found.append((path, visitor))
    return sorted(found, key=lambda entry: entry[0])


def concrete(path: str, samples: dict[str, str]) -> str:
    missing = set(re.findall(r"{(\w+)}", path)) - samples.keys()
    assert not missing, f"{path}: give `samples` a demo value for {sorted(missing)}"
    return path.format(**samples)


def open_page(page: Any, url: str, width: int) -> Any:
    page.set_viewport_size({"width": width, "height": 900})
    response = page.goto(url)
    assert response is not None, url
    return response


# Problems on a page this work does not change, left to the work under way on that page: each entry
# excuses the problems that name one of its phrases, and fails once none shows, to be removed (with
# its line in the statement's known limitations, templates/accessibility.html).
KNOWN_ELSEWHERE: dict[tuple[str, int], tuple[str, ...]] = {
    # (path, width): phrases of problems known and owned elsewhere, each with its reason; empty now.
}


def failing(problems: list[str], path: str, width: int) -> list[str]:
    """The problems that fail a check of `path` at `width`: all but known ones; and a known entry gone."""
    known = KNOWN_ELSEWHERE.get((path, width))
    if known is None:
        return problems
    rest = [p for p in problems if not any(phrase in p for phrase in known)]
    if len(rest) == len(problems):
        rest.append(f"{path} at {width} px no longer shows {known}: remove it from KNOWN_ELSEWHERE")
    return rest


@pytest.mark.parametrize("width", WIDTHS)
def test_every_page_meets_wcag_2_2_aa(
    visit: Visit, server: str, demo_app: FastAPI, samples: dict[str, str], width: int
) -> None:
    problems: list[str] = []
    checked = []
    skipped: dict[str, str] = {}
    for path, visitor in served_pages(demo_app):
        page = visit(visitor)
        response = open_page(page, server + concrete(path, samples), width)
        if response.request.redirected_from is not None:
            skipped[path] = "redirect"
            continue
        if not response.headers.get("content-type", "").startswith("text/html"):
            skipped[path] = response.headers.get("content-type", "").split(";")[0]
            continue
        assert response.status == 200, f"{path} as {visitor}: {response.status}"
        state = f"{path} as {visitor or 'anyone'}"
        found = violations(page, state) + (reflow_problems(page, state) if width == NARROW else [])
        problems += failing(found, path, width)
        checked.append(path)
    assert not problems, f"{len(problems)} problem(s) on {len(checked)} pages:\n" + "\n".join(problems)
    # The walk must find the pages (a broken walk would check nothing and pass).
    assert {"/dashboard", "/queue", "/consignments/{consignment_id}", "/accessibility", "/track"} <= set(checked)
    # What is not a page to check, named: a page that starts redirecting (to sign-in, say) fails here.
    assert skipped == NOT_PAGES, skipped


# States a page reaches beyond its first view: (name, who, address with {sample} values, an element
# that shows the state was reached).
STATES = [
    ("queue filtered to the red lane", Role.OFFICER, "/queue?lane=red", "#queue-caption"),
    ("queue filtered to nothing", Role.OFFICER, "/queue?chapter=01", "p.empty"),
    ("dashboard by operator", Role.ANALYST, "/dashboard?by=operator&period=week&metric=value_eur", "#breakdown-table"),
    ("dashboard on a window without data", Role.ANALYST, "/dashboard?from=2001-01-01&to=2001-01-31", "#empty-state"),
    ("held consignment after an action", Role.OFFICER, "/consignments/{consignment_id}?done=inspect", "[role=status]"),
    ("released consignment, pseudonymised", Role.ANALYST, "/consignments/{released_id}", "#lines"),
    ("consignment received as messages", Role.OFFICER, "/consignments/{message_consignment_id}", "#received-as"),
    # The demo's partner alert matches the first held consignment (app/demo_partner.py).
    ("consignment with a partner alert", Role.OFFICER, "/consignments/{consignment_id}", "#partner-alerts"),
    ("operators, one operator per day", Role.OFFICER, "/operators?operator={operator}&period=day", "#operator-heading"),
    ("tracking a known parcel", None, "/track?number={tracking_number}", "#parcel"),
    ("tracking an unknown number", None, "/track?number=RR000000000GB", "#not-found"),
    ("prohibited goods searched", None, "/prohibited?jurisdiction=EU&q=switchblade", "#results li"),
    ("prohibited goods, nothing found", None, "/prohibited?jurisdiction=EU&q=teapot", "#empty"),
    (
        "landed cost with a result",
        None,
        "/landed-cost?destination=DE&as_of={today}&currency=EUR&origin_country=CN&description_0=cotton+t-shirt&hs_code_0=610910"
        "&quantity_0=1&unit_value_0=30.00",
        "#total",
    ),
]


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize(("state", "visitor", "address", "shown"), STATES, ids=[s[0] for s in STATES])
def test_page_states_meet_wcag_2_2_aa(
    visit: Visit,
    server: str,
    samples: dict[str, str],
    state: str,
    visitor: Role | None,
    address: str,
    shown: str,
    width: int,
) -> None:
    page = visit(visitor)
    open_page(page, server + address.format(**samples), width)
    assert page.locator(shown).first.is_visible(), f"{state}: {shown} is not on {page.url}"
    found = violations(page, state) + (reflow_problems(page, state) if width == NARROW else [])
    problems = failing(found, urlsplit(page.url).path, width)
    assert not problems, "\n".join(problems)


# Pages whose every focus stop is measured: the header signed in and not, forms, scroll regions, links.
FOCUS_PAGES = [
    (Role.OFFICER, "/dashboard"),
    (Role.OFFICER, "/consignments/{consignment_id}"),
    (None, "/track?number=RR000000000GB"),
]


@pytest.mark.parametrize(("visitor", "address"), FOCUS_PAGES)
def test_every_focus_stop_shows_a_ring_of_3_to_1(
    visit: Visit, server: str, samples: dict[str, str], visitor: Role | None, address: str
) -> None:
    page = visit(visitor)
    open_page(page, server + address.format(**samples), WIDE)
    rings = []
    wrapped = False
    for _ in range(120):
        page.keyboard.press("Tab")
        ring = focus_ring(page)
        if ring["element"].startswith("body"):
            # Past the last stop the focus leaves the page once, then starts again from the top: a
            # page that put the focus on a result after a search is measured all the way round.
            if wrapped:
                break
            wrapped = True
            continue
        if rings and ring["element"] == rings[0]["element"]:
            break  # round the page and back to the start
        rings.append(ring)
    weak = [
        f"{r['place']} {r['element']}: {r['style']} {r['width']}px {r['colour']}, contrast {r['contrast']}"
        for r in rings
        if r["style"] == "none" or r["width"] < 2 or r["contrast"] is None or r["contrast"] < MIN_FOCUS_CONTRAST
    ]
    assert not weak, f"focus rings under {MIN_FOCUS_CONTRAST}:1 on {address}:\n" + "\n".join(weak)
    # The places the outside review found wanting are among those measured: the navy header's links,
    # and links, fields and scroll regions in the page.
    places = {r["place"] for r in rings}
    assert {"header", "main", "footer"} <= places, places
    assert any(r["place"] == "header" and r["element"].startswith("a ") for r in rings)


@pytest.mark.parametrize(("visitor", "address"), [(None, "/prohibited"), (Role.ANALYST, "/dashboard")])
def test_the_statement_is_reached_from_the_footer(
    visit: Visit, server: str, visitor: Role | None, address: str
) -> None:
    page = visit(visitor)
    open_page(page, server + address, WIDE)
    page.get_by_role("contentinfo").get_by_role("link", name="Accessibility statement").click()
    page.wait_for_url(f"{server}/accessibility")
    assert page.get_by_role("heading", level=1).inner_text() == "Accessibility statement"
    text = page.locator("main").inner_text()
    # What it says of the tests is what they run, and it says where to write.
    assert f"axe-core {axe_version()}" in text
    assert "WCAG) 2.2" in text and "EN 301 549" in text and "Section 508" in text
    assert page.get_by_role("link", name=CONTACT_URL).get_attribute("href") == CONTACT_URL
    assert page.get_by_role("link", name="Accessibility statement").get_attribute("aria-current") == "page"
    assert_accessible(page, "accessibility statement")
    assert_reflows(page, "accessibility statement")
