"""The HS code finder for small sellers, ``/classify``: a public page like /prohibited and /track.

A plain GET form (nothing is stored, so no session or CSRF token, and a result can be bookmarked)
that works without JavaScript; with it, htmx swaps the results in place (``hx-select``). The page
calls what ``POST /v1/classifications`` calls (app.classification_views.classify_items), so the page
and the API cannot disagree. It shows the best codes with their confidence in words and numbers,
the reasons, the question that would decide when confidence is low, the national tariff lines of
the destination when its tariff is loaded, and, when the seller gives the code they have, whether
the description supports it.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any, Final

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from clearway.api.deps import PUBLIC, Service
from clearway.app.classification import ClassifierUnavailable, UnknownJurisdiction
from clearway.app.classification_views import ItemView, classify_items
from clearway.web.form_messages import FormErrors, invalid, missing, say
from clearway.web.templating import templates

router = APIRouter(include_in_schema=False)

FIELDS: Final = ("description", "category", "material", "details", "price", "currency", "jurisdiction", "hs_code")
MAX_DESCRIPTION: Final = 2_000
MAX_FIELD: Final = 200
TOP: Final = 3
_CURRENCY: Final = re.compile(r"[A-Z]{3}")
_CODE: Final = re.compile(r"[0-9]{6,10}")


def read_form(values: dict[str, str], errors: FormErrors) -> ItemView | None:
    """The item the form describes, or None with the errors said (in the fields' order)."""
    description = values["description"]
    if not description:
        errors.add("description", missing("classify", "description"))
    elif len(description) > MAX_DESCRIPTION:
        errors.add("description", invalid("classify", "description"))
    for name in ("category", "material", "details"):
        if len(values[name]) > MAX_FIELD:
            errors.add(name, invalid("classify", name))
    price: float | None = None
    if values["price"]:
        try:
            amount = Decimal(values["price"].replace(",", "."))
            if not amount.is_finite() or amount < 0:
                raise InvalidOperation
            price = float(amount)  # a hint to the classifier, never charged
        except InvalidOperation:
            errors.add("price", invalid("classify", "price"))
    currency = values["currency"].upper() or None
    if currency is not None and not _CURRENCY.fullmatch(currency):
        errors.add("currency", invalid("classify", "currency"))
    code = values["hs_code"].replace(".", "").replace(" ", "") or None
    if code is not None and not _CODE.fullmatch(code):
        errors.add("hs_code", invalid("classify", "hs_code"))
    if errors:
        return None
    attributes = {k: values[k] for k in ("material", "details") if values[k]}
    return ItemView(description, values["category"] or None, attributes or None, price, currency, code)


@router.get("/classify", response_class=HTMLResponse, dependencies=[Depends(PUBLIC)])
async def classify_page(request: Request, svc: Service) -> HTMLResponse:
    values = {k: " ".join(request.query_params.get(k, "").split()) for k in FIELDS}
    errors = FormErrors()
    context: dict[str, Any] = {
        "section": "classify",
        "form": values,
        "jurisdictions": sorted((j.code, j.name) for j in svc.revenue.catalogue.jurisdictions.values()),
        "answer": None,
        "result": None,
        "errors": errors,
        "max_description": MAX_DESCRIPTION,
        "max_field": MAX_FIELD,
    }
    status = 200
    if "description" in request.query_params:  # the form was sent (a first visit has no query)
        item = read_form(values, errors)
        if item is not None:
            try:
                answer = await run_in_threadpool(
                    classify_items, svc.classification, [item], TOP, values["jurisdiction"] or None
                )
                context["answer"], context["result"] = answer, answer.results[0]
                for error in answer.results[0].errors:
                    field = "hs_code" if error.pointer.endswith("/hs_code") else "description"
                    errors.add(field, say("classify.refused", "classify", field, detail=error.detail))
            except UnknownJurisdiction:
                errors.add("jurisdiction", invalid("classify", "jurisdiction"))
            except ClassifierUnavailable:
                errors.add(None, say("classify.unavailable", "classify", "description"))
                status = 503
        if errors and status == 200:
            status = 422
    return templates.TemplateResponse(request, "classify.html", context, status_code=status)
