"""The public pages of Principle VII: prohibited and restricted goods, and parcel tracking; and the
accessibility statement, which every page links from its footer.

Plain GET forms, like the landed-cost page: nothing is stored, so no session or CSRF token is
needed, and a result can be bookmarked. Each page calls exactly what its JSON endpoint calls
(clearway.api.public), so the page and the API cannot disagree.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from clearway.api.contract import CONTACT_URL
from clearway.api.deps import PUBLIC, Service
from clearway.api.public import MAX_QUERY, not_found_detail, restriction_list, restrictions, track
from clearway.clearance.tracking import NUMBER_FORMATS, normalise_number
from clearway.jurisdictions.restrictions import UnknownJurisdiction
from clearway.web.form_messages import FormErrors, missing, say
from clearway.web.templating import templates

router = APIRouter(include_in_schema=False)


@router.get("/prohibited", response_class=HTMLResponse, dependencies=[Depends(PUBLIC)])
async def prohibited(request: Request, svc: Service) -> HTMLResponse:
    form = {key: request.query_params.get(key, "").strip() for key in ("jurisdiction", "q")}
    form["q"] = form["q"][:MAX_QUERY]
    catalogue = restrictions(svc)
    context: dict[str, Any] = {
        "section": "prohibited",
        "form": form,
        "jurisdictions": [(code, found.name) for code, found in catalogue.lists.items()],
        "result": None,
        "errors": FormErrors(),
        "max_query": MAX_QUERY,
    }
    if form["jurisdiction"]:
        try:
            context["result"] = restriction_list(svc, form["jurisdiction"], form["q"], dt.date.today())
        except UnknownJurisdiction:
            context["errors"].add("jurisdiction", say("prohibited.unknown", "prohibited", "jurisdiction"))
    elif "jurisdiction" in request.query_params:
        # The form was sent without a destination: say so (the first visit has no query at all).
        context["errors"].add("jurisdiction", missing("prohibited", "jurisdiction"))
    status = 422 if context["errors"] else 200
    return templates.TemplateResponse(request, "prohibited.html", context, status_code=status)


@router.get("/track", response_class=HTMLResponse, dependencies=[Depends(PUBLIC)])
async def track_page(request: Request, svc: Service) -> HTMLResponse:
    number = normalise_number(request.query_params.get("number", ""))
    errors = FormErrors()
    context: dict[str, Any] = {
        "section": "track",
        "number": number,
        "parcel": None,
        "not_found": None,
        "formats": NUMBER_FORMATS,
        "errors": errors,
    }
    if number:
        context["parcel"] = await run_in_threadpool(track, svc.engine, number)
        if context["parcel"] is None:
            context["not_found"] = not_found_detail(number)
            errors.add("number", say("track.not_found", "track", "number"))
    elif "number" in request.query_params:
        errors.add("number", missing("track", "number"))
    status = 404 if context["not_found"] else 422 if errors else 200
    return templates.TemplateResponse(request, "track.html", context, status_code=status)


@router.get("/accessibility", response_class=HTMLResponse, dependencies=[Depends(PUBLIC)])
async def accessibility_statement(request: Request, svc: Service) -> HTMLResponse:
    context = {
        "section": "accessibility",
        "contact": CONTACT_URL,
        # The session limits it states as a known limitation are those this server enforces.
        "idle_minutes": svc.settings.session_idle_minutes,
        "session_hours": svc.settings.session_hours,
    }
    return templates.TemplateResponse(request, "accessibility.html", context)
