"""The public landed-cost page: a consumer enters a parcel and sees what they will pay, and why.

A plain GET form (nothing is stored, so no session or CSRF token is needed, and a result can be
bookmarked or shared). It calls exactly what ``POST /v1/quotes`` calls. What the quote decoder
finds wrong (JSON pointers such as /items/0/hs_code, with a developer's detail) is said here in the
form's words, on the form's controls: web/form_messages.py.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import msgspec
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from clearway.api.deps import PUBLIC, Service
from clearway.dataset.decode import MISSING_FIELD
from clearway.dataset.errors import FieldError
from clearway.revenue.context import RevenueError
from clearway.revenue.quote import QuoteDecoder
from clearway.web.form_messages import ENGLISH, FIELDS, FormError, FormErrors, invalid, missing, say
from clearway.web.templating import templates

router = APIRouter(include_in_schema=False)
_DECODER = QuoteDecoder()
ITEM_ROWS = 3
# The form's controls in the order they are shown (and reached with Tab); ids are the field names,
# an item's fields carry the row: hs_code_0.
PARCEL_FIELDS = (
    "destination",
    "as_of",
    "currency",
    "origin_country",
    "shipping",
    "nature",
    "transport_mode",
    "tax_scheme_id",
)
ITEM_FIELDS = ("description", "hs_code", "quantity", "unit_value", "origin")
CONTROLS = PARCEL_FIELDS + tuple(f"{field}_{row}" for row in range(ITEM_ROWS) for field in ITEM_FIELDS)


def quote_request(form: dict[str, Any]) -> tuple[dict[str, Any], list[int]]:
    """The quote request a filled-in form stands for (blank fields left out), and the form row of
    each item in it: blank rows are skipped, so the request's second item may be the form's third."""
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
    items, rows = [], []
    for index in range(ITEM_ROWS):
        row = {field: form.get(f"{field}_{index}", "").strip() for field in ITEM_FIELDS}
        if any(row.values()):
            row["origin"] = row["origin"].upper() or request.get("origin_country", "")
            items.append({k: v for k, v in row.items() if v})
            rows.append(index)
    request["items"] = items
    return request, rows


def _steps(pointer: str) -> list[str]:
    return [part.replace("~1", "/").replace("~0", "~") for part in pointer.strip("/").split("/")] if pointer else []


def field_error(error: FieldError, rows: list[int], words: Mapping[str, str] = ENGLISH) -> FormError:
    """A decoder's error as the form says it: on which control, in which words."""
    steps = _steps(error.pointer)
    blank = error.detail == MISSING_FIELD
    if steps[:1] == ["items"]:
        if len(steps) >= 3 and steps[1].isdigit() and int(steps[1]) < len(rows) and steps[2] in FIELDS["quote_item"]:
            row, field = rows[int(steps[1])], steps[2]
            control = f"{field}_{row}" if field in ITEM_FIELDS else f"description_{row}"
            text = (missing if blank else invalid)("quote_item", field, row + 1, words)
            return FormError(control, text)
        return FormError("description_0", words["quote.items"])
    if steps and steps[0] in FIELDS["quote"]:
        field = steps[0]
        text = (missing if blank else invalid)("quote", field, None, words)
        return FormError(field if field in PARCEL_FIELDS else None, text)
    return FormError(None, words["quote.failed"])


def revenue_error(exc: RevenueError, words: Mapping[str, str] = ENGLISH) -> FormError:
    """An assessment the engine refused (no rate for the currency, a destination nobody assesses)."""
    steps = _steps(exc.pointer)
    field = steps[0] if steps else ""
    key = f"quote.revenue.{field}"
    if key in words and field in PARCEL_FIELDS:
        return FormError(field, say(key, "quote", field, table=words))
    return FormError(None, words["quote.failed"])


def in_form_order(errors: list[FormError]) -> FormErrors:
    """The summary lists the messages in the order of the controls, as a reader meets them."""
    place = {control: index for index, control in enumerate(CONTROLS)}
    return FormErrors(sorted(errors, key=lambda e: place.get(e.field or "", len(place))))


def defaults(today: dt.date) -> dict[str, str]:
    """What the empty form shows, and what a link that leaves a field out stands for (a field sent
    blank is blank: the form shows it so and says what to enter)."""
    return {"as_of": today.isoformat(), "currency": "EUR", "origin_country": "CN", "quantity_0": "1"}


@router.get("/landed-cost", response_class=HTMLResponse, dependencies=[Depends(PUBLIC)])
async def landed_cost(request: Request, svc: Service) -> HTMLResponse:
    sent = dict(request.query_params)
    form = {**defaults(dt.date.today()), **sent}
    context: dict[str, Any] = {
        "section": "landed-cost",
        "form": form,
        "rows": range(ITEM_ROWS),
        "destinations": svc.revenue.catalogue.destinations(),
        "errors": FormErrors(),
        "quote": None,
    }
    # Any field in the query is a sent form (the form sends all of them): a blank destination is then
    # a mistake to name, not the first visit.
    if sent:
        body, rows = quote_request(form)
        # Through the JSON decoder, as POST /v1/quotes takes it: amounts in its text form only ("1e3" is refused).
        parsed, errors = _DECODER.decode(msgspec.json.encode(body))
        if parsed is None:
            context["errors"] = in_form_order([field_error(e, rows) for e in errors])
        else:
            try:
                context["quote"] = await run_in_threadpool(svc.revenue.quote, parsed)
            except RevenueError as exc:
                context["errors"] = FormErrors([revenue_error(exc)])
    status = 422 if context["errors"] else 200
    return templates.TemplateResponse(request, "landed_cost.html", context, status_code=status)
