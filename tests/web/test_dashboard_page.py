"""The dashboard at /dashboard: the figures of the fixed data set, its form, its empty states, and
(when Chromium is there) its charts drawn under the pages' strict CSP."""

from __future__ import annotations

import html
import json
import re
import socket
import threading
import time
import warnings
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn

from clearway.access.roles import Role
from clearway.api.app import create_app
from clearway.app.platform import Clearway
from clearway.app.stats import stats_of
from tests.api.test_access_api import PASSWORD, sign_in
from tests.stats.dataset import BUYER, SELLER, load_fixed
from tests.web.chromium import CHROMIUM, FLAGS, requires_chromium

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

NOV = {"from": "2026-11-01", "to": "2026-11-30"}


@pytest.fixture
def page_client(service: Clearway) -> Iterator[TestClient]:
    with TestClient(create_app(service.settings, service, sweep=False), base_url="https://testserver") as client:
        yield client


@pytest.fixture
def analyst(page_client: TestClient, service: Clearway) -> TestClient:
    sign_in(page_client, service, "ana", Role.ANALYST)
    return page_client


def json_block(text: str, block: str) -> Any:
    found = re.search(rf'<script type="application/json" id="{block}">(.*?)</script>', text, re.S)
    assert found, f"no {block} block"
    return json.loads(html.unescape(found.group(1)))


def cells(text: str, table: str) -> list[list[str]]:
    body = re.search(rf'<table id="{table}">.*?<tbody>(.*?)</tbody>', text, re.S)
    assert body, f"no table {table}"
    rows = re.findall(r"<tr>(.*?)</tr>", body.group(1), re.S)
    return [
        [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", r, re.S)] for r in rows
    ]


def test_the_dashboard_needs_a_session(page_client: TestClient) -> None:
    r = page_client.get("/dashboard", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login"


def test_key_figures_charts_and_tables(analyst: TestClient, service: Clearway) -> None:
    load_fixed(service)
    r = analyst.get("/dashboard", params={**NOV, "by": "origin", "period": "week", "metric": "revenue_eur"})
    assert r.status_code == 200
    text = r.text
    assert 'aria-current="page">Dashboard' in text and "ana (analyst)" in text
    found = re.search(r'<div class="cards" id="kpis">(.*?)</section>', text, re.S)
    assert found, "no key figures"
    kpis = re.sub(r"\s+", " ", found.group(1))
    assert 'Consignments</div><div class="value">11</div>' in kpis
    assert "55.6%" in kpis and "5 of 9 decided" in kpis  # released automatically
    assert "66.7%" in kpis and "2 findings in 3 recorded outcomes" in kpis
    assert "272,727" in kpis and "181,818" in kpis  # examinations and refusals per million
    assert "€49.38" in kpis and "€250.00" in kpis  # duty and tax of the released, declared value
    assert "0 min" in kpis and "40.8 h" in kpis  # median and 95th percentile (2,448 min) to release
    assert "12.5%" in kpis and "16.0 h" in kpis  # filed late, median lead time (960 min)
    series = json_block(text, "series-data")
    assert series["labels"] == ["2026-11-16", "2026-11-23"]
    assert [(d["label"], d["data"]) for d in series["datasets"]] == [
        ("CN", [31.0, 0.0]),
        ("TR", [11.6, 0.0]),
        ("US", [6.78, 0.0]),
        ("GB", [0.0, 0.0]),
    ]
    assert cells(text, "series-table")[0] == ["2026-11-16", "€31.00", "€11.60", "€6.78", "€0.00"]
    breakdown = json_block(text, "breakdown-data")
    assert breakdown["labels"] == ["CN", "GB", "TR", "US"] and breakdown["datasets"][0]["data"] == [8, 1, 1, 1]
    first = cells(text, "breakdown-table")[0]
    assert first[:4] == ["CN", "8", "72.7%", "€170.00"] and first[5:8] == ["3", "2", "66.7%"]
    assert BUYER not in text and SELLER not in text
    assert 'href="/v1/stats/export?format=csv&amp;from=2026-11-01&amp;to=2026-11-30"' in text


def test_only_external_scripts_and_data_blocks(analyst: TestClient, service: Clearway) -> None:
    load_fixed(service)
    r = analyst.get("/dashboard")
    assert "script-src 'self'" in r.headers["content-security-policy"]
    for tag in re.findall(r"<script[^>]*>", r.text):
        assert 'src="/static/' in tag or 'type="application/json"' in tag, tag
    script = analyst.get("/static/dashboard.js")
    assert script.status_code == 200 and "series-data" in script.text
    assert analyst.get("/static/vendor/chart.umd.min.js").status_code == 200


def test_without_dates_the_last_30_days_with_data(analyst: TestClient, service: Clearway) -> None:
    load_fixed(service)
    r = analyst.get("/dashboard")
    # The latest receipt is on 24 November: 26 October to 24 November, so October's one is left out.
    assert 'name="from" value="2026-10-26"' in r.text and 'name="to" value="2026-11-24"' in r.text
    assert '<div class="value">11</div>' in r.text


def test_the_grouping_changes_both_charts(analyst: TestClient, service: Clearway) -> None:
    load_fixed(service)
    r = analyst.get("/dashboard", params={**NOV, "by": "channel", "period": "week"})
    assert '<option value="channel" selected>' in r.text
    assert [d["label"] for d in json_block(r.text, "series-data")["datasets"]] == ["courier", "post"]
    assert [row[0] for row in cells(r.text, "breakdown-table")] == ["courier", "post"]
    assert [row[1:] for row in cells(r.text, "series-table")] == [["6", "1"], ["4", "0"]]


def test_empty_states(analyst: TestClient, service: Clearway) -> None:
    r = analyst.get("/dashboard")
    assert r.status_code == 200 and "No consignments yet." in r.text and "<canvas" not in r.text
    load_fixed(service)
    stats_of(service).refresh()  # the page answers from facts up to 30 s old: bring them up to date
    r = analyst.get("/dashboard", params={"from": "2025-01-01", "to": "2025-01-31"})
    assert "No consignments were received between 2025-01-01 and 2025-01-31." in r.text
    assert 'id="kpis"' not in r.text


def test_wrong_choices_are_named(analyst: TestClient, service: Clearway) -> None:
    r = analyst.get("/dashboard", params={"from": "2026-11-31", "by": "buyer", "metric": "profit"})
    assert r.status_code == 422 and 'role="alert"' in r.text
    assert '<a href="#from">From: enter a date such as 2026-07-01</a>' in r.text
    assert "Group by: choose one of the list" in r.text and "Metric: choose one of the list" in r.text
    assert 'id="by" name="by" aria-invalid="true" aria-describedby="by-error"' in r.text
    r = analyst.get("/dashboard", params={"from": "2026-11-20", "to": "2026-11-19"})
    assert r.status_code == 422 and "To: the last date comes before the first" in html.unescape(r.text)


def test_numbers_follow_the_readers_locale(analyst: TestClient, service: Clearway) -> None:
    load_fixed(service)
    r = analyst.get("/dashboard", params=NOV, headers={"Accept-Language": "fr-FR,fr;q=0.9"})
    assert re.search(r"49,38\s€", r.text) and 'data-locale="fr-FR"' in r.text


# --- in a real browser -----------------------------------------------------------------------------


@pytest.fixture
def live(service: Clearway) -> Iterator[str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    config = uvicorn.Config(create_app(service.settings, service, sweep=False), port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the server did not start")
        time.sleep(0.05)
    yield f"http://localhost:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@requires_chromium
def test_the_charts_are_drawn_under_the_csp(service: Clearway, live: str) -> None:
    playwright = pytest.importorskip("playwright.sync_api")
    load_fixed(service)
    service.access.create_person(username="ana", display_name="Ana", role=Role.ANALYST, password=PASSWORD, actor="t")
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        problems: list[str] = []
        # Script errors and CSP refusals; a failed load is reported with its address (the browser's
        # own request for /favicon.ico, which the app does not serve, is no problem).
        page.on(
            "console",
            lambda m: problems.append(m.text) if m.type == "error" and "Failed to load" not in m.text else None,
        )
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.on(
            "response",
            lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 400 and "favicon" not in r.url else None,
        )
        page.goto(f"{live}/login")
        page.get_by_label("Username").fill("ana")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_load_state()
        page.goto(f"{live}/dashboard?from=2026-11-01&to=2026-11-30&by=origin&period=day")
        page.wait_for_function(
            "() => window.Chart && Chart.getChart('series-chart') && Chart.getChart('breakdown-chart')"
        )
        drawn = page.evaluate(
            "() => { const c = Chart.getChart('series-chart'); return [c.data.labels.length, c.data.datasets.length]; }"
        )
        assert drawn == [9, 4]  # 16 to 24 November; CN, GB, TR, US
        page.get_by_label("Group by").select_option("channel")
        page.get_by_role("button", name="Show").click()
        page.wait_for_url(re.compile(r".*by=channel.*"))
        page.wait_for_function("() => window.Chart && Chart.getChart('breakdown-chart')")
        labels = page.evaluate("() => Chart.getChart('breakdown-chart').data.labels")
        assert labels == ["courier", "post"]
        browser.close()
    assert problems == []
