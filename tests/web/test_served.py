"""The application as `clearway serve` serves it: uvicorn with serve's options, on localhost.

X-Forwarded-For counts only from CLEARWAY_TRUSTED_PROXIES (by default from no one), for the rate
limits and the security events alike; the access log names route templates, never paths or query
strings; the API docs run Swagger UI from the app's own files under the strict page policy.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from clearway.api.app import create_app
from clearway.app.platform import Clearway
from clearway.cli.serve import server_options
from clearway.web.templating import STATIC
from tests.api.test_denials_recorded import FORGED_SECRET, security_entries
from tests.web.chromium import CHROMIUM, FLAGS, requires_chromium

BAD_KEY = {"Authorization": f"Bearer cw_0123456789ab_{FORGED_SECRET}"}
# Not a credential at all: rate-limited by the client's address, like any caller without one.
JUNK = {"Authorization": "Bearer junk"}
Serve = Callable[..., str]


def access_log(caplog: pytest.LogCaptureFixture, expected: int) -> list[str]:
    """The access log's lines, once there are ``expected`` (a line is written after its response)."""
    deadline = time.monotonic() + 10
    while True:
        lines = [r.getMessage() for r in caplog.records if r.name == "clearway.access"]
        if len(lines) >= expected or time.monotonic() > deadline:
            return lines
        time.sleep(0.02)


def recorded_addresses(service: Clearway) -> list[str]:
    return [e["detail"]["address"] for e in security_entries(service) if e["action"] == "security.denied"]


def test_x_forwarded_for_from_anyone_is_ignored(serve: Serve, service: Clearway) -> None:
    base = serve(rate_limit_per_second=0.001, rate_limit_burst=2)
    with httpx.Client(base_url=base) as http:
        answers = [
            http.get("/v1/consignments", headers={**JUNK, "X-Forwarded-For": f"198.51.100.{n}"}).status_code
            for n in range(3)
        ]
    # One caller, whatever address it claims: its allowance is spent, and it is recorded as itself.
    assert answers == [401, 401, 429]
    assert recorded_addresses(service) == ["127.0.0.1", "127.0.0.1"]


def test_x_forwarded_for_from_a_trusted_proxy_names_the_client(serve: Serve, service: Clearway) -> None:
    base = serve(trusted_proxies="10.0.0.0/8, 127.0.0.1", rate_limit_per_second=0.001, rate_limit_burst=1)
    with httpx.Client(base_url=base) as http:
        # The rightmost address that is not a trusted proxy: what the client wrote before it is not believed.
        chain = "192.0.2.66, 198.51.100.7, 10.1.2.3"
        assert http.get("/v1/consignments", headers={**JUNK, "X-Forwarded-For": chain}).status_code == 401
        other = {**JUNK, "X-Forwarded-For": "198.51.100.8"}
        assert http.get("/v1/consignments", headers=other).status_code == 401  # another client, another allowance
    assert recorded_addresses(service) == ["198.51.100.7", "198.51.100.8"]


@pytest.mark.parametrize("setting", ["*", "proxy.example", "10.0.0.0/33"])
def test_trusted_proxies_must_be_addresses_or_networks(service: Clearway, setting: str) -> None:
    with pytest.raises(ValueError, match="CLEARWAY_TRUSTED_PROXIES"):
        create_app(dataclasses.replace(service.settings, trusted_proxies=setting), service, sweep=False)


def test_the_access_log_names_routes_not_paths_nor_queries(
    serve: Serve, service: Clearway, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="clearway.access")
    base = serve()
    with httpx.Client(base_url=base) as http:
        assert http.get("/v1/tracking/LX123456785DE", params={"email": "anna.schmidt@example.org"}).status_code in (
            200,
            404,
        )
        assert http.get("/v1/consignments", headers=BAD_KEY).status_code == 401
        assert http.get("/no/such/page?name=Anna").status_code == 404
    lines = access_log(caplog, 3)
    assert len(lines) == 3, lines
    assert lines[0].startswith("client=127.0.0.1 actor=- method=GET route=/v1/tracking/{transport_document} status=")
    assert "route=/v1/consignments status=401" in lines[1]
    assert "route=- status=404" in lines[2]
    for forbidden in ("LX123456785DE", "anna", "Anna", "?", FORGED_SECRET):
        assert not any(forbidden in line for line in lines), forbidden


def test_the_access_log_names_the_actor(serve: Serve, service: Clearway, caplog: pytest.LogCaptureFixture) -> None:
    from tests.api.conftest import Keyring

    caplog.set_level(logging.INFO, logger="clearway.access")
    api_key = Keyring(service).key("op-courier-1")
    with httpx.Client(base_url=serve()) as http:
        assert http.get("/v1/consignments", headers={"Authorization": f"Bearer {api_key}"}).status_code == 200
    (line,) = access_log(caplog, 1)
    assert "actor=operator:op-courier-1 method=GET route=/v1/consignments status=200" in line


def test_serve_logs_the_application_and_not_uvicorns_access_log() -> None:
    from clearway.cli.serve import log_config

    options = server_options()
    assert options["access_log"] is False and options["proxy_headers"] is False
    assert log_config()["loggers"]["clearway"]["level"] == "INFO"


# --- the API docs in a real browser ---------------------------------------------------------------


@requires_chromium
def test_the_api_docs_run_from_the_apps_own_files_under_the_strict_policy(serve: Serve) -> None:
    playwright_api = pytest.importorskip("playwright.sync_api")
    assert (Path(STATIC) / "vendor" / "swagger-ui-bundle.js").exists(), "run `make install` to vendor Swagger UI"
    base = serve(rate_limit_per_second=0).replace("127.0.0.1", "localhost")
    problems: list[str] = []
    requested: list[str] = []
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        page = browser.new_page()
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.on("request", lambda r: requested.append(r.url))
        page.goto(f"{base}/docs")
        page.wait_for_selector(".opblock-summary-path", timeout=20_000)
        paths = page.locator(".opblock-summary-path").all_inner_texts()
        browser.close()
    assert any("/v1/consignments" in path for path in paths)
    assert problems == []
    assert all(url.startswith(base) or url.startswith("data:") for url in requested), requested
