"""Operators' pages: each operator's data quality, timeliness, inspection findings and revenue
discrepancies over time (Framework of Standards: partnerships, and operators told where their
data falls short). The quality figures are the risk service's quality report."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from clearway.api.deps import Service
from clearway.store import operator_repo
from clearway.web.auth import Person, session_csrf
from clearway.web.form_messages import FormErrors, invalid
from clearway.web.templating import templates

router = APIRouter(include_in_schema=False)
_PERIODS = {"day": "1d", "week": "1w", "month": "1mo"}


def summarise(outcomes: list[dict[str, Any]], period: str) -> dict[tuple[str, str], dict[str, Any]]:
    """Per (operator, period start): inspections, findings and the value corrected upwards."""
    out: dict[tuple[str, str], dict[str, Any]] = defaultdict(
        lambda: {"inspections": 0, "findings": 0, "corrections": defaultdict(Decimal)}
    )
    for row in outcomes:
        at: dt.datetime = row["recorded_at"]
        if period == "1mo":
            start = at.date().replace(day=1)
        elif period == "1w":
            start = at.date() - dt.timedelta(days=at.weekday())
        else:
            start = at.date()
        entry = out[(row["operator_id"], start.isoformat())]
        entry["inspections"] += 1
        if row["outcome"] != "compliant":
            entry["findings"] += 1
        corrected = row["corrected_value"]
        if corrected is not None and corrected > row["goods_value"]:
            entry["corrections"][row["currency"]] += corrected - row["goods_value"]
    return out


DEFAULT_DAYS = 90
MAX_DAYS = 3660


def choose(days: str | None, period: str | None) -> tuple[int, str, FormErrors]:
    """The window and period asked for; a wrong one is named and replaced by the default."""
    errors = FormErrors()
    chosen_days, chosen_period = DEFAULT_DAYS, "week"
    text = (days or "").strip()
    if text:
        if text.isdigit() and 1 <= int(text) <= MAX_DAYS:
            chosen_days = int(text)
        else:
            errors.add("days", invalid("operators", "days"))
    if (period or "").strip():
        if period in _PERIODS:
            chosen_period = period
        else:
            errors.add("period", invalid("operators", "period"))
    return chosen_days, chosen_period, errors


@router.get("/operators", response_class=HTMLResponse)
async def operators_page(
    request: Request,
    svc: Service,
    person: Person,
    # Text, checked below: a wrong value gets the page's message and the default, not a bare 422.
    days_sent: Annotated[str | None, Query(alias="days", max_length=16)] = None,
    period_sent: Annotated[str | None, Query(alias="period", max_length=16)] = None,
    operator: Annotated[str | None, Query(max_length=64)] = None,
) -> HTMLResponse:
    days, period, errors = choose(days_sent, period_sent)
    since = dt.datetime.now(dt.UTC) - dt.timedelta(days=days)
    every = _PERIODS[period]

    def read() -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
        quality = svc.risk.quality_report(days=days, operator_id=operator or None, period=every)
        with svc.engine.connect() as conn:
            return operator_repo.registry(conn), quality, operator_repo.outcome_rows(conn, since, operator or None)

    registry, quality, outcomes = await run_in_threadpool(read)
    inspections = summarise(outcomes, every)
    rows = []
    for q in quality:
        start = (
            q["period_start"].date().isoformat()
            if isinstance(q["period_start"], dt.datetime)
            else str(q["period_start"])
        )
        found = inspections.get((q["operator_id"], start), {"inspections": 0, "findings": 0, "corrections": {}})
        rows.append({**q, "period": start, **found})
    totals: dict[str, dict[str, Any]] = {}
    for r in rows:
        t = totals.setdefault(
            r["operator_id"],
            {"records": 0, "score": 0.0, "late": 0.0, "inspections": 0, "findings": 0, "hs_corrected": 0},
        )
        t["records"] += r["records"]
        t["score"] += r["mean_quality_score"] * r["records"]
        t["late"] += r["share_late_filing"] * r["records"]
        t["inspections"] += r["inspections"]
        t["findings"] += r["findings"]
        t["hs_corrected"] += r["hs_codes_corrected"]  # of the declarations assessed in the period
    names = {o["id"]: o for o in registry}
    summary = [
        {
            "operator_id": op,
            "name": names.get(op, {}).get("name", ""),
            "kind": names.get(op, {}).get("kind", ""),
            "records": t["records"],
            "mean_quality": t["score"] / t["records"] if t["records"] else None,
            "late_share": t["late"] / t["records"] if t["records"] else None,
            "inspections": t["inspections"],
            "findings": t["findings"],
            "hit_rate": t["findings"] / t["inspections"] if t["inspections"] else None,
            "hs_corrected": t["hs_corrected"],
            "hs_share": t["hs_corrected"] / t["records"] if t["records"] else None,
        }
        for op, t in sorted(totals.items())
    ]
    return templates.TemplateResponse(
        request,
        "operators.html",
        {
            "person": person,
            "csrf": await session_csrf(request),
            "section": "operators",
            "summary": summary,
            "rows": rows if operator else [],
            "operator": operator,
            "operators": [o["id"] for o in registry],
            "days": days,
            "period": period,
            "errors": errors,
            "sent_days": days_sent,
        },
        status_code=422 if errors else 200,
    )
