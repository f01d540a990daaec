"""What operations watch: a request id on every request and answer, HTTP metrics, ``GET /metrics``
and the readiness probe ``GET /v1/health/ready`` (docs/operations.md).

``/metrics`` is not public: it shows volumes per operator-facing route and the queues' depths. A
Prometheus scraper sends CLEARWAY_METRICS_TOKEN as a Bearer credential; a signed-in administrator
may read it too. An operator's API key or token is refused like on any route not open to operators.
"""

from __future__ import annotations

import contextvars
import hmac
import time
from typing import Any, Literal

import msgspec
from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from clearway import __version__
from clearway.access.roles import Principal, Role
from clearway.api.access_log import method_of, route_template
from clearway.api.deps import PUBLIC, Access, Service
from clearway.api.problems import PROBLEM_BASE, PROBLEM_JSON, Problem
from clearway.app import metrics
from clearway.app.health import Check, ReadinessProbe
from clearway.app.logs import REQUEST_ID, sane_request_id

__all__ = ["METRICS_READERS", "OBSERVE_SCHEMAS", "MetricsAccess", "Readiness", "RequestContext", "router"]

REQUEST_ID_HEADER = b"x-request-id"
# Shortest metrics token accepted: it is a password a scraper holds, so guessing must be hopeless.
MIN_METRICS_TOKEN = 32


class RequestContext:
    """A request id for each request (the caller's ``X-Request-ID`` when sane, else a new one), kept
    in the log context while the request is handled and echoed in the answer; and the request
    counted, by route template and status, with its duration."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = next((value for name, value in scope["headers"] if name == REQUEST_ID_HEADER), None)
        request_id = sane_request_id(given)
        echoed = (REQUEST_ID_HEADER, request_id.encode())
        token: contextvars.Token[str | None] | None = REQUEST_ID.set(request_id)
        started = time.perf_counter()
        status = 500  # what the server answers when the application fails before responding

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                message = {**message, "headers": [*message.get("headers", ()), echoed]}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            metrics.ERRORS.labels(where="http").inc()
            # Left set: the 500 is answered and logged outside this middleware (api/problems.py),
            # in this request's own task, and both name the id.
            token = None
            raise
        finally:
            # Requests no route answered (404s, refusals before routing) share one label: a path
            # is the caller's text, and a label per path would let anyone grow the metrics at will.
            route = route_template(scope)
            route = "unmatched" if route == "-" else route
            method = method_of(scope)
            metrics.HTTP_REQUESTS.labels(method=method, route=route, status=str(status)).inc()
            metrics.HTTP_LATENCY.labels(method=method, route=route).observe(time.perf_counter() - started)
            if token is not None:
                REQUEST_ID.reset(token)


class MetricsAccess(Access):
    """Administrators, or whoever presents the metrics token (a scraper, which has no session)."""

    def __init__(self) -> None:
        super().__init__(Role.ADMIN)

    async def __call__(self, request: Request) -> Principal | None:
        expected: str = request.app.state.metrics_token
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        if expected and scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), expected.encode()):
            return None
        return await super().__call__(request)


METRICS_READERS = MetricsAccess()


def check_metrics_token(token: str) -> None:
    if token and len(token) < MIN_METRICS_TOKEN:
        raise ValueError(f"CLEARWAY_METRICS_TOKEN must be {MIN_METRICS_TOKEN} characters or more, or empty")


class Readiness(msgspec.Struct, kw_only=True):
    status: Literal["ready"]
    version: str
    checks: list[Check]


OBSERVE_SCHEMAS: list[Any] = [Readiness, Check]

router = APIRouter()


@router.get("/metrics", include_in_schema=False, dependencies=[Depends(METRICS_READERS)])
async def read_metrics(svc: Service) -> Response:
    body = await run_in_threadpool(metrics.render, svc.engine)
    return Response(body, media_type=metrics.CONTENT_TYPE_LATEST)


@router.get(
    "/v1/health/ready",
    tags=["service"],
    dependencies=[Depends(PUBLIC)],
    summary="Readiness: the database and, when one is configured, the Kafka broker answer in time",
    responses={
        200: {
            "description": "Ready; each check says ok, or not_checked and why",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Readiness"}}},
        },
        503: {
            "description": "Not ready: the detail names the checks that failed",
            "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        },
    },
    response_class=Response,
)
async def ready(request: Request) -> Response:
    probe: ReadinessProbe = request.app.state.readiness
    checks = await run_in_threadpool(probe.checks)
    failed = [c for c in checks if c.status == "failed"]
    if failed:
        body = Problem(
            type=PROBLEM_BASE + "not-ready",
            title="Not ready",
            status=503,
            detail="; ".join(f"{c.name}: {c.detail}" for c in failed),
        )
        return Response(msgspec.json.encode(body), status_code=503, media_type=PROBLEM_JSON)
    answer = Readiness(status="ready", version=__version__, checks=checks)
    return Response(msgspec.json.encode(answer), media_type="application/json")
