"""The rule catalogue page: every targeting rule with what it detects, its legal basis, and how it
has performed (hits, inspections, findings, hit rate) — the same figures as ``GET /v1/risk/rules`` —
and the targeting model in use with its last retraining decision (``GET /v1/risk/model``)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from clearway.api.deps import Service
from clearway.app.platform import Clearway
from clearway.clearance.errors import NotFound
from clearway.web.auth import Person, session_csrf
from clearway.web.templating import templates

router = APIRouter(include_in_schema=False)


@router.get("/risk/rules", response_class=HTMLResponse)
async def rule_catalogue(request: Request, svc: Service, person: Person) -> HTMLResponse:
    rules = await run_in_threadpool(svc.risk.catalogue_rows)
    model = await run_in_threadpool(_model_summary, svc)
    return templates.TemplateResponse(
        request,
        "rules.html",
        {"rules": rules, "model": model, "person": person, "csrf": await session_csrf(request), "section": "rules"},
    )


def _model_summary(svc: Clearway) -> dict[str, Any] | None:
    try:
        return svc.learning.summary()
    except NotFound:
        return None
