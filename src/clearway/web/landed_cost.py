"""The public landed-cost page: a consumer enters a parcel and sees what they will pay, and why.

A plain GET form (nothing is stored, so no session or CSRF token is needed, and a result can be
bookmarked or shared). It calls exactly what ``POST /v1/quotes`` calls.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool

from clearway.api.deps import PUBLIC, Service
from clearway.revenue.context import RevenueError
from clearway.revenue.quote import QuoteDecoder

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=Path(__file__).with_name("templates"))
_DECODER = QuoteDecoder()
ITEM_ROWS = 3
_ITEM_FIELDS = ("description", "hs_code", "quantity", "unit_value", "origin")
_LABELS = {
    "destination": "Destination country",
    "as_of": "Date",
    "currency": "Currency",
    "origin_country": "Shipped from",
    "shipping": "Shipping",
    "insurance": "Insurance",
    "tax_scheme_id": "Seller's tax scheme number",
    "transport_mode": "Sent by",
    "nature": "What it is",
}


def _request(form: dict[str, Any]) -> dict[str, Any]:
    """The quote request a filled-in form stands for (blank fields left out)."""
    request: dict[str, Any] = {
        key: form[key].strip()
        for key in ("destination", "as_of", "currency", "origin_country", "nature", "transport_mode", "tax_scheme_id")
        if form.get(key, "").strip()
    }
    for key in ("destination", "currency", "origin_country"):
        if key in request:
            request[key] = request[key].upper()
    for key in ("shipping", "insurance"):
        if form.get(key, "").strip():
            request[key] = form[key].strip()
    items = []
    for index in range(ITEM_ROWS):
        row = {field: form.get(f"{field}_{index}", "").strip() for field in _ITEM_FIELDS}
        if any(row.values()):
            row["origin"] = row["origin"].upper() or request.get("origin_country", "")
            items.append({k: v for k, v in row.items() if v})
    request["items"] = items
    return request


def _where(pointer: str) -> str:
    parts = pointer.strip("/").split("/")
    if parts[0] == "items" and len(parts) >= 3:
        return f"Item {int(parts[1]) + 1}, {parts[2].replace('_', ' ')}"
    return _LABELS.get(parts[0], parts[0].replace("_", " ") or "Request")


@router.get("/landed-cost", response_class=HTMLResponse, dependencies=[Depends(PUBLIC)])
async def landed_cost(request: Request, svc: Service) -> HTMLResponse:
    form = dict(request.query_params)
    context: dict[str, Any] = {
        "form": form,
        "rows": range(ITEM_ROWS),
        "destinations": svc.revenue.catalogue.destinations(),
        "today": dt.date.today().isoformat(),
        "errors": [],
        "quote": None,
    }
    if form.get("destination"):
        parsed, errors = _DECODER.convert(_request(form))
        if parsed is None:
            context["errors"] = [(_where(e.pointer), e.detail) for e in errors]
        else:
            try:
                context["quote"] = await run_in_threadpool(svc.revenue.quote, parsed)
            except RevenueError as exc:
                context["errors"] = [(_where(exc.pointer), str(exc))]
    status = 422 if context["errors"] else 200
    return templates.TemplateResponse(request, "landed_cost.html", context, status_code=status)
