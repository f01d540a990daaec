"""What operations watch over HTTP: request ids, /metrics (and who may read it), readiness."""

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import Depends
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from clearway.access.roles import Role
from clearway.api.app import create_app
from clearway.api.deps import PUBLIC
from clearway.app.logs import ContextFilter
from clearway.app.platform import Clearway
from tests.api.conftest import headers
from tests.api.test_access_api import sign_in

TOKEN = "m" * 40


@pytest.fixture
def scraped(service: Clearway) -> Iterator[TestClient]:
    """The app with a metrics token set, as a Prometheus scraper meets it."""
    settings = dataclasses.replace(service.settings, metrics_token=TOKEN)
    with TestClient(create_app(settings, service, sweep=False), base_url="https://testserver") as c:
        yield c


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def scrape(client: TestClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    answer = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/plain")
    return samples(answer.text)


def value(found: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str) -> float:
    return found.get((name, tuple(sorted(labels.items()))), 0.0)


# -- request ids ------------------------------------------------------------------------------------


def test_a_sane_request_id_is_kept_and_echoed(client: TestClient) -> None:
    answer = client.get("/v1/health", headers={"X-Request-ID": "lb-7f3a.1:2"})
    assert answer.headers["x-request-id"] == "lb-7f3a.1:2"


@pytest.mark.parametrize("hostile", ["x" * 10_000, "a b", "<script>", "id;drop", "\u00e9t\u00e9"])
def test_a_hostile_request_id_is_replaced_not_echoed(client: TestClient, hostile: str) -> None:
    answer = client.get("/v1/health", headers={"X-Request-ID": hostile.encode()})
    echoed = answer.headers["x-request-id"]
    assert echoed != hostile and re.fullmatch(r"[0-9a-f]{32}", echoed)


@pytest.mark.anyio
async def test_a_request_id_with_a_newline_never_reaches_the_log_or_the_answer(
    service: Clearway, caplog: pytest.LogCaptureFixture
) -> None:
    # HTTP clients refuse to send a newline in a header, so the request is made as the server would
    # hand it over, raw, straight to the application.
    app = create_app(service.settings, service, sweep=False)
    sent: list[dict[str, Any]] = []
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "https",
        "path": "/v1/health",
        "raw_path": b"/v1/health",
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"testserver"), (b"x-request-id", b"ok\r\nX-Admin: yes\n" + b"y" * 10_000)],
        "client": ("203.0.113.7", 5000),
        "server": ("testserver", 443),
        "state": {},
    }

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    caplog.handler.addFilter(ContextFilter())  # as the configured handlers have it
    with caplog.at_level(logging.INFO, logger="clearway.access"):
        await app(scope, receive, send)
    start = next(m for m in sent if m["type"] == "http.response.start")
    [echoed] = [v for k, v in start["headers"] if k == b"x-request-id"]
    assert re.fullmatch(rb"[0-9a-f]{32}", echoed)
    [line] = [r for r in caplog.records if r.name == "clearway.access"]
    assert line.request_id == echoed.decode()  # type: ignore[attr-defined]
    assert not any("X-Admin" in r.getMessage() or "yyyy" in r.getMessage() for r in caplog.records)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


# -- who may read /metrics ----------------------------------------------------------------------------


def test_metrics_are_not_public(client: TestClient) -> None:
    answer = client.get("/metrics")
    assert answer.status_code == 401 and answer.headers["content-type"] == "application/problem+json"


def test_an_operator_cannot_read_the_metrics(scraped: TestClient) -> None:
    answer = scraped.get("/metrics", headers=headers())
    assert answer.status_code == 403
    assert "clearway_" not in answer.text


@pytest.mark.parametrize("wrong", [TOKEN[:-1], TOKEN + "m", "M" * 40, f"{TOKEN} extra", ""])
def test_a_wrong_metrics_token_is_refused(scraped: TestClient, wrong: str) -> None:
    assert scraped.get("/metrics", headers={"Authorization": f"Bearer {wrong}"}).status_code == 401


def test_without_a_token_setting_no_bearer_reads_them(client: TestClient) -> None:
    # An empty CLEARWAY_METRICS_TOKEN must not make "Bearer " (nothing) the token.
    assert client.get("/metrics", headers={"Authorization": "Bearer "}).status_code == 401


def test_an_administrator_reads_them_an_officer_does_not(client: TestClient, service: Clearway) -> None:
    sign_in(client, service, "olga", Role.OFFICER)
    assert client.get("/metrics").status_code == 403
    client.cookies.clear()
    sign_in(client, service, "ada", Role.ADMIN)
    answer = client.get("/metrics")
    assert answer.status_code == 200 and "clearway_http_requests_total" in answer.text


def test_a_short_metrics_token_is_refused_at_startup(service: Clearway) -> None:
    with pytest.raises(ValueError, match="CLEARWAY_METRICS_TOKEN"):
        create_app(dataclasses.replace(service.settings, metrics_token="short"), service, sweep=False)


# -- what they say ------------------------------------------------------------------------------------


def test_metrics_count_intake_decisions_and_requests(scraped: TestClient, consignment_data: dict[str, Any]) -> None:
    before = scrape(scraped)
    assert scraped.post("/v1/consignments", json=consignment_data, headers=headers()).status_code == 201
    assert scraped.post("/v1/consignments", json=consignment_data, headers=headers()).status_code == 200
    assert scraped.post("/v1/consignments", json={"reference": 1}, headers=headers()).status_code == 422
    scraped.get("/v1/no/such/route/12345")
    after = scrape(scraped)

    def grew(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert grew("clearway_records_total", stage="intake", kind="consignment", outcome="accepted") == 1
    assert grew("clearway_records_total", stage="intake", kind="consignment", outcome="duplicate") == 1
    assert grew("clearway_decisions_total", state="awaiting_documents") == 1
    route = "/v1/consignments"
    assert grew("clearway_http_requests_total", method="POST", route=route, status="201") == 1
    assert grew("clearway_http_request_duration_seconds_count", method="POST", route=route) == 3
    # The path asked for is never a label: every unrouted request shares one.
    assert grew("clearway_http_requests_total", method="GET", route="unmatched", status="404") == 1
    assert not any("12345" in str(key) for key in after)
    assert value(after, "clearway_queue_depth", queue="awaiting_documents") == 1
    assert value(after, "clearway_queue_depth", queue="officer") == 0
    assert ("clearway_webhook_backlog", ()) in after and ("clearway_webhook_oldest_pending_seconds", ()) in after


def test_the_kafka_lag_hook_is_a_gauge_per_partition(scraped: TestClient) -> None:
    from clearway.app.metrics import set_kafka_lag

    set_kafka_lag("clearway.intake", 3, 1_234)
    set_kafka_lag("clearway.intake", 3, -5)  # a lag is never negative, whatever the offsets said
    set_kafka_lag("clearway.intake", 4, 7)
    found = scrape(scraped)
    assert value(found, "clearway_kafka_lag", topic="clearway.intake", partition="3") == 0
    assert value(found, "clearway_kafka_lag", topic="clearway.intake", partition="4") == 7


# -- readiness ----------------------------------------------------------------------------------------


def test_ready_says_what_it_checked(client: TestClient) -> None:
    answer = client.get("/v1/health/ready")
    assert answer.status_code == 200
    body = answer.json()
    checks = {c["name"]: c for c in body["checks"]}
    assert body["status"] == "ready" and checks["database"]["status"] == "ok"
    assert checks["broker"] == {**checks["broker"], "status": "not_checked", "detail": "no broker configured"}


def test_not_ready_when_the_broker_is_configured_and_silent(service: Clearway) -> None:
    pytest.importorskip("confluent_kafka")
    # Nothing listens on port 1: the broker check fails within the timeout, and the answer is 503.
    settings = dataclasses.replace(service.settings, kafka_bootstrap="127.0.0.1:1", health_timeout_seconds=1.0)
    with TestClient(create_app(settings, service, sweep=False)) as c:
        answer = c.get("/v1/health/ready")
    assert answer.status_code == 503 and answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["detail"].startswith("broker:") and "127.0.0.1" not in answer.json()["detail"]


def test_liveness_keeps_its_shape(client: TestClient) -> None:
    assert set(client.get("/v1/health").json()) == {"status", "version", "database"}


def test_a_500_names_its_request_id_in_the_answer_and_the_log(
    service: Clearway, caplog: pytest.LogCaptureFixture
) -> None:
    app = create_app(service.settings, service, sweep=False)

    @app.get("/v1/broken", dependencies=[Depends(PUBLIC)])
    async def broken() -> None:
        raise RuntimeError("a bug")

    caplog.handler.addFilter(ContextFilter())
    with TestClient(app, raise_server_exceptions=False) as c:
        answer = c.get("/v1/broken", headers={"X-Request-ID": "trace-500"})
    assert answer.status_code == 500 and answer.headers["x-request-id"] == "trace-500"
    [failure] = [r for r in caplog.records if r.getMessage().startswith("unhandled error")]
    assert failure.request_id == "trace-500"  # type: ignore[attr-defined]
    assert "a bug" not in answer.text
