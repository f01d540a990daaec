"""The FastAPI application: API routers, problem handlers, limits, pages, the background sweep and the
webhook deliverer."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import ipaddress
import logging
from collections.abc import AsyncIterator
from typing import Any

import msgspec
import sqlalchemy as sa
from fastapi import Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from clearway import __version__
from clearway.api import (
    admin,
    contract,
    customs,
    intake,
    oauth,
    observe,
    preloading,
    problems,
    revenue,
    risk,
    rule_schema,
    schemas,
    webhooks,
)
from clearway.api import alerts as alerts_api
from clearway.api import classifications as classifications_api
from clearway.api import messages as messages_api
from clearway.api import public as public_api
from clearway.api import security_events as security_api
from clearway.api import stats as stats_api
from clearway.api.access_log import AccessLog
from clearway.api.batcher import GroupCommitter
from clearway.api.deps import PUBLIC, Service
from clearway.api.limits import BodyLimit
from clearway.api.problems import ApiError
from clearway.api.rate_limit import RATE_LIMITED_RESPONSES, CallerKey, RateLimit, SharedLimit, TokenBuckets
from clearway.api.security_headers import SecurityHeaders
from clearway.app import metrics
from clearway.app.health import ReadinessProbe
from clearway.app.logs import batch
from clearway.app.platform import Clearway
from clearway.app.schedule import run_due_jobs
from clearway.app.stats import stats_of
from clearway.app.webhooks.delivery import Deliverer
from clearway.dataset.records import SCHEMA_RULES
from clearway.settings import Settings
from clearway.store.rate_limit_repo import SharedBuckets
from clearway.web import (
    auth,
    classify_page,
    consignment_pages,
    landed_cost,
    operator_pages,
    pages,
    queue_pages,
    risk_pages,
)
from clearway.web.auth import LoginRequired
from clearway.web.dashboard_pages import router as dashboard_router
from clearway.web.public_pages import router as public_pages_router
from clearway.web.templating import STATIC

log = logging.getLogger("clearway")


async def _sweep(svc: Clearway, interval: float, security: security_api.SecurityEvents) -> None:
    """Hold declarations whose documents are late; also re-links any a cross-process race left waiting."""
    while True:
        await asyncio.sleep(interval)
        # One batch id for the pass: every line it logs, here and in the jobs, names the same sweep.
        with batch():
            try:
                await _sweep_once(svc, security)
            except Exception:  # a failed sweep must not stop the next one
                metrics.ERRORS.labels(where="sweep").inc()
                log.exception("sweep failed")


async def _sweep_once(svc: Clearway, security: security_api.SecurityEvents) -> None:
    # Counts of refusals not recorded one by one, once their minute is over.
    await security.flush()
    await run_in_threadpool(svc.access.record_suppressed_sign_ins)
    # Each job by one process at a time (app/schedule.py); retraining is rare (weekly by
    # default) and cheap to check. All of it runs off the event loop.
    await run_in_threadpool(run_due_jobs, svc)


async def _deliver(deliverer: Deliverer, interval: float) -> None:
    """Send due webhook deliveries: pass after pass while there are some, then a look every ``interval``."""
    while True:
        try:
            sent = await run_in_threadpool(deliverer.run_once)
        except Exception:  # a failed pass must not stop the next one; what it claimed is tried again
            metrics.ERRORS.labels(where="webhook_delivery").inc()
            log.exception("webhook delivery pass failed")
            sent = 0
        if not sent:
            await asyncio.sleep(interval)


def create_app(settings: Settings | None = None, service: Clearway | None = None, *, sweep: bool = True) -> FastAPI:
    settings = settings or Settings.from_env()
    proxies = trusted_proxies(settings.trusted_proxies)
    observe.check_metrics_token(settings.metrics_token)
    svc = service or Clearway(settings)
    security = security_api.SecurityEvents(svc, settings.security_events_per_minute)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # The rule store is seeded with the default pack before the first request, so that no read
        # ever writes (a refused or read-only request changes nothing).
        await run_in_threadpool(svc.risk.ensure_default_rules)
        task = asyncio.create_task(_sweep(svc, settings.sweep_interval_seconds, security)) if sweep else None
        # Notifications committed before a restart are in the outbox and go out from here on.
        deliverer = svc.webhooks.deliverer() if sweep else None
        delivering = asyncio.create_task(_deliver(deliverer, settings.webhooks_poll_seconds)) if deliverer else None
        # The dashboard's figures load in the background (seconds on a million consignments), so the
        # first visit does not wait for all of it; tests that run without the sweep skip it.
        warm = asyncio.create_task(run_in_threadpool(stats_of(svc).refresh)) if sweep else None
        # Everything loaded at startup lives as long as the process: keep it out of the cyclic
        # collector's full passes, which otherwise show up as latency spikes.
        gc.freeze()
        yield
        await app.state.committer.close()
        await security.flush(everything=True)
        await run_in_threadpool(lambda: svc.access.record_suppressed_sign_ins(everything=True))
        if warm is not None and not warm.done():
            with contextlib.suppress(Exception):
                await warm
        for background in (task, delivering):
            if background is not None:
                background.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await background
        if deliverer is not None:
            deliverer.close()
        limiter = getattr(app.state, "rate_limit", None)
        if isinstance(limiter, SharedLimit):
            limiter.buckets.close()
        if service is None:
            svc.close()

    app = FastAPI(
        title="Clearway",
        version=__version__,
        summary="Customs clearance of cross-border e-commerce parcels",
        description=(
            "Advance electronic data intake, three-document linking, assessment and release, after the "
            "WCO Cross-Border E-Commerce Framework of Standards. Errors are RFC 9457 problem+json."
        ),
        lifespan=lifespan,
        # The docs page is served below from the app's own copy of Swagger UI, and ReDoc (from a CDN)
        # not at all: no page of the application loads code from another origin.
        docs_url=None,
        redoc_url=None,
    )
    app.state.clearway = svc
    app.state.committer = GroupCommitter(svc)
    app.state.security_events = security
    app.state.metrics_token = settings.metrics_token
    app.state.readiness = ReadinessProbe(svc.engine, settings.kafka_bootstrap, settings.health_timeout_seconds)
    problems.install(app, denials=security)
    for router in (
        intake.router,
        oauth.router,
        customs.router,
        admin.router,
        security_api.router,
        revenue.router,
        risk.router,
        preloading.router,
        public_api.router,
        stats_api.router,
        messages_api.router,
        messages_api.consignment_router,
        webhooks.router,
        alerts_api.router,
        classifications_api.router,
    ):
        app.include_router(router, responses=RATE_LIMITED_RESPONSES)
    # /metrics and the readiness probe: neither is rate limited (a probe refused takes an instance out).
    app.include_router(observe.router)
    app.include_router(auth.router)
    app.include_router(pages.router)
    app.include_router(landed_cost.router)
    app.include_router(public_pages_router)
    app.include_router(classify_page.router)
    app.include_router(risk_pages.router)
    app.include_router(dashboard_router)
    app.include_router(queue_pages.router)
    app.include_router(consignment_pages.router)
    app.include_router(operator_pages.router)
    # The pages' stylesheet, scripts and the vendored htmx and Chart.js (make install copies them).
    app.mount("/static", StaticFiles(directory=STATIC, check_dir=False), name="static")

    @app.exception_handler(LoginRequired)
    async def _to_login(request: Request, exc: LoginRequired) -> Response:
        # A page asked for without a session, or after it expired, is everyday browsing; a page asked
        # for with a bad API key or token is not, and is recorded like the API's refusals.
        cause = exc.__cause__
        if isinstance(cause, ApiError) and cause.denial in ("bad_key", "bad_token", "bad_scheme"):
            await security.denied(request, cause.denial, 401)
        return RedirectResponse("/login", status_code=303)

    async def swagger_ui(request: Request) -> Response:
        return HTMLResponse(_SWAGGER_UI)

    # A plain route, like FastAPI's own docs route it replaces: public, and it holds no data.
    app.add_route("/docs", swagger_ui, include_in_schema=False)

    @app.get(
        "/v1/health",
        tags=["service"],
        dependencies=[Depends(PUBLIC)],
        summary="Liveness and database reachability",
        responses={
            200: {
                "description": "Up",
                "content": {"application/json": {"schema": schemas.ref(schemas.Health)}},
            }
        },
        response_class=Response,
    )
    async def health(svc: Service) -> Response:
        def ping() -> str:
            with svc.engine.connect() as conn:
                conn.execute(sa.text("SELECT 1"))
            return svc.engine.dialect.name

        database = await run_in_threadpool(ping)
        body = schemas.Health(status="ok", version=__version__, database=database)
        return Response(msgspec.json.encode(body), media_type="application/json")

    _install_openapi(app, svc)
    # Added innermost first: SecurityHeaders is outside the limits, so that 413 and 429 answers carry
    # it too; the access log outside that, to time and count every answer; outermost, the trusted
    # proxies' X-Forwarded-For, so that everything inside sees the real client.
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    if settings.rate_limit_per_second > 0:
        buckets = app.state.rate_limit = rate_limit_buckets(settings, svc.engine)
        caller_key = CallerKey(token_key=lambda: svc.access.token_key)
        app.add_middleware(RateLimit, buckets=buckets, key_func=caller_key)  # refuses before the body is read
    hsts = settings.hsts_max_age_seconds > 0
    app.add_middleware(SecurityHeaders, hsts=hsts, hsts_max_age=settings.hsts_max_age_seconds)
    app.add_middleware(AccessLog)
    # Outside the access log, so that its line names the request id; outside the limits, so that
    # their 413 and 429 answers carry the id and are counted.
    app.add_middleware(observe.RequestContext)
    if proxies:
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=proxies)
    return app


def rate_limit_buckets(settings: Settings, engine: sa.Engine) -> TokenBuckets | SharedLimit:
    """The buckets CLEARWAY_RATE_LIMIT_STORE asks for: shared in the database, or this process's."""
    store = settings.rate_limit_store
    if store not in ("auto", "memory", "database"):
        raise ValueError(f"CLEARWAY_RATE_LIMIT_STORE must be auto, memory or database, got {store!r}")
    if store == "database" or (store == "auto" and engine.dialect.name == "postgresql"):
        return SharedLimit(SharedBuckets(engine, settings.rate_limit_per_second, settings.rate_limit_burst))
    return TokenBuckets(settings.rate_limit_per_second, settings.rate_limit_burst)


def trusted_proxies(setting: str) -> list[str]:
    """The addresses and networks of CLEARWAY_TRUSTED_PROXIES, each checked: a typo must not pass
    silently as a name that never matches, and '*' would trust X-Forwarded-For from anyone."""
    proxies = [p.strip() for p in setting.split(",") if p.strip()]
    for proxy in proxies:
        try:
            ipaddress.ip_network(proxy, strict=False)
        except ValueError:
            raise ValueError(f"CLEARWAY_TRUSTED_PROXIES: '{proxy}' is not an address or a network") from None
    return proxies


# Swagger UI from the application's own static files (vendored from npm by make install, see the
# Makefile), started by a script file rather than an inline one: the docs page keeps the strict
# Content-Security-Policy of every other page.
_SWAGGER_UI = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Clearway API</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/static/vendor/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/static/vendor/swagger-ui-bundle.js"></script>
<script src="/static/swagger-init.js"></script>
</body>
</html>
"""


def _install_openapi(app: FastAPI, svc: Clearway) -> None:
    """Merge the msgspec-generated schemas of records and responses into FastAPI's document, then
    make it exact (api/contract.py)."""
    original = app.openapi
    types: list[Any] = [
        *schemas.SCHEMA_TYPES,
        *admin.ADMIN_SCHEMAS,
        *revenue.REVENUE_SCHEMAS,
        *risk.RISK_SCHEMAS,
        *preloading.PRELOADING_SCHEMAS,
        *public_api.PUBLIC_SCHEMAS,
        *stats_api.STATS_SCHEMAS,
        *security_api.SECURITY_SCHEMAS,
        *messages_api.MESSAGE_SCHEMAS,
        *webhooks.WEBHOOK_SCHEMAS,
        *alerts_api.ALERT_SCHEMAS,
        *observe.OBSERVE_SCHEMAS,
        *classifications_api.CLASSIFICATION_SCHEMAS,
        customs.ControlRequest,
        oauth.TokenResponse,
        oauth.TokenError,
    ]

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            spec = original()
            spec.setdefault("components", {}).setdefault("schemas", {}).update(schemas.openapi_components())
            _, extra = msgspec.json.schema_components(types[len(schemas.SCHEMA_TYPES) :], ref_template=_REF)
            spec["components"]["schemas"].update(extra)
            spec["components"]["schemas"].update(rule_schema.components())
            for name, rule in SCHEMA_RULES.items():
                if name in spec["components"]["schemas"]:
                    spec["components"]["schemas"][name].update(rule)
            # The codes GET /v1/restrictions takes depend on the installed jurisdictions.
            for parameter in spec["paths"]["/v1/restrictions"]["get"]["parameters"]:
                if parameter["name"] == "jurisdiction":
                    parameter["schema"] = {"type": "string", "enum": public_api.jurisdiction_codes(svc)}
            # The standards POST /v1/messages/{ref} takes are the adapters installed.
            for parameter in spec["paths"]["/v1/messages/{ref}"]["post"]["parameters"]:
                if parameter["name"] == "ref":
                    parameter["schema"] = {"type": "string", "enum": messages_api.supported() or ["none"]}
            quote = spec["components"]["schemas"]["QuoteRequest"]["properties"]
            quote["destination"] = {**quote["destination"], "enum": revenue.quote_destinations(svc)}
            # The jurisdictions POST /v1/classifications takes are the installed ones and their members.
            asked = spec["components"]["schemas"]["ClassificationRequest"]["properties"]["jurisdiction"]
            asked["anyOf"][0]["enum"] = classifications_api.jurisdictions(svc)
            contract.finish(spec, app, types)
            app.openapi_schema = spec
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


_REF = "#/components/schemas/{name}"
