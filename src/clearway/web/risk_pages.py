"""The rule catalogue page: every targeting rule with what it detects, its legal basis, and how it
has performed (hits, inspections, findings, hit rate) — the same figures as ``GET /v1/risk/rules``."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from clearway.api.deps import Service
from clearway.web.auth import Person, session_csrf
from clearway.web.templating import templates

router = APIRouter(include_in_schema=False)


@router.get("/risk/rules", response_class=HTMLResponse)
async def rule_catalogue(request: Request, svc: Service, person: Person) -> HTMLResponse:
    rules = await run_in_threadpool(svc.risk.catalogue_rows)
    return templates.TemplateResponse(
        request,
        "rules.html",
        {"rules": rules, "person": person, "csrf": await session_csrf(request), "section": "rules"},
    )
