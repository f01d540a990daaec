"""The dashboard: key figures, a time series and a breakdown for customs people.

A plain GET form (a window of receipt dates, a grouping, a period and a metric), so a view can be
bookmarked or shared. The figures are those of ``GET /v1/stats/kpis``, ``/series`` and
``/breakdown`` (the same statistics service). Charts are drawn by /static/dashboard.js from JSON
blocks in the page (the page's CSP forbids inline scripts); every chart has a table beside it, which
is also what remains without JavaScript.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any, cast

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from clearway.api.deps import Service
from clearway.app.stats import StatsService, stats_of
from clearway.stats.model import (
    DIMENSIONS,
    METRICS,
    PERIODS,
    Dimension,
    Metric,
    Period,
    StatsBreakdown,
    StatsKpis,
    StatsSeries,
)
from clearway.stats.queries import Window, WindowError
from clearway.web.auth import Person, session_csrf
from clearway.web.form_messages import FormErrors, invalid, say
from clearway.web.templating import locale_of, templates

router = APIRouter(include_in_schema=False)

DIMENSION_LABELS: Mapping[Dimension, str] = {
    "origin": "Seller country",
    "destination": "Destination",
    "hs_chapter": "HS chapter",
    "operator": "Operator",
    "channel": "Channel",
    "relationship": "Relationship",
    "collection_model": "Tax collected by",
    "lane": "Lane",
}
METRIC_LABELS: Mapping[Metric, str] = {
    "consignments": "Consignments",
    "value_eur": "Declared value (EUR)",
    "duty_eur": "Duty, released (EUR)",
    "tax_eur": "Tax, released (EUR)",
    "revenue_eur": "Duty and tax, released (EUR)",
}
PERIOD_LABELS: Mapping[Period, str] = {"day": "Day", "week": "Week", "month": "Month"}
DEFAULT_DAYS = 30
SERIES_TOP = 8
BREAKDOWN_TOP = 20


@dataclass(frozen=True)
class Choice:
    """What the form asks for, each value checked against what the statistics offer."""

    window: Window
    by: Dimension
    period: Period
    metric: Metric


def _pick(form: Mapping[str, str | None], name: str, allowed: tuple[str, ...], errors: FormErrors) -> str:
    value = (form.get(name) or "").strip() or allowed[0]
    if value not in allowed:
        errors.add(name, invalid("dashboard", name))
        return allowed[0]
    return value


def choose(form: Mapping[str, str | None], stats: StatsService, errors: FormErrors) -> Choice:
    """The form's choice; what is missing gets a default, what is wrong an error and the default.

    Without dates the window is the last 30 days of the data held (so a store that stopped receiving
    still shows its last month), or open when there is no data.
    """
    start, end = form.get("from"), form.get("to")
    try:
        window = Window.parse(start, end)
    except WindowError as exc:
        field = "from" if exc.pointer == "/from" else "to"
        errors.add(field, say("dashboard.order", "dashboard", field) if exc.reversed else invalid("dashboard", field))
        window = Window()
    if window.start is None and window.end is None and not (start or end):
        found = stats.extent()
        if found is not None:
            window = Window(max(found[0], found[1] - dt.timedelta(days=DEFAULT_DAYS - 1)), found[1])
    return Choice(
        window=window,
        by=cast(Dimension, _pick(form, "by", DIMENSIONS, errors)),
        period=cast(Period, _pick(form, "period", PERIODS, errors)),
        metric=cast(Metric, _pick(form, "metric", METRICS, errors)),
    )


def series_chart(series: StatsSeries, label: str) -> dict[str, Any]:
    """What dashboard.js draws: a stacked bar chart, one dataset per group."""
    return {
        "kind": "stacked",
        "label": label,
        "integer": series.metric == "consignments",
        "labels": [day.isoformat() for day in series.periods],
        "datasets": [{"label": line.key, "data": line.values} for line in series.series],
    }


def breakdown_chart(breakdown: StatsBreakdown) -> dict[str, Any]:
    """What dashboard.js draws: horizontal bars of consignments per group."""
    return {
        "kind": "bars",
        "label": "Consignments",
        "integer": True,
        "labels": [row.key for row in breakdown.rows],
        "datasets": [{"label": "Consignments", "data": [row.consignments for row in breakdown.rows]}],
    }


def _figures(stats: StatsService, choice: Choice) -> tuple[StatsKpis, StatsSeries, StatsBreakdown]:
    window = choice.window
    return (
        stats.kpis(window),
        stats.series(window, metric=choice.metric, period=choice.period, by=choice.by, top=SERIES_TOP),
        stats.breakdown(window, by=choice.by, top=BREAKDOWN_TOP),
    )


@router.get("/dashboard", response_class=HTMLResponse)
async def dashboard(
    request: Request,
    svc: Service,
    person: Person,
    start: Annotated[str | None, Query(alias="from", max_length=40)] = None,
    end: Annotated[str | None, Query(alias="to", max_length=40)] = None,
    by: Annotated[str | None, Query(max_length=40)] = None,
    period: Annotated[str | None, Query(max_length=40)] = None,
    metric: Annotated[str | None, Query(max_length=40)] = None,
) -> HTMLResponse:
    stats = stats_of(svc)
    errors = FormErrors()
    form = {"from": start, "to": end, "by": by, "period": period, "metric": metric}
    choice = await run_in_threadpool(choose, form, stats, errors)
    kpis, series, breakdown = await run_in_threadpool(_figures, stats, choice)
    context = {
        "person": person,
        "csrf": await session_csrf(request),
        "section": "dashboard",
        "choice": choice,
        "errors": errors,
        "kpis": kpis,
        "series": series,
        "breakdown": breakdown,
        "series_chart": series_chart(series, METRIC_LABELS[choice.metric]),
        "breakdown_chart": breakdown_chart(breakdown),
        "dimensions": DIMENSION_LABELS,
        "metrics": METRIC_LABELS,
        "periods": PERIOD_LABELS,
        "has_data": stats.extent() is not None,
        "chart_locale": locale_of(request).replace("_", "-"),
    }
    status = 422 if errors else 200
    return templates.TemplateResponse(request, "dashboard.html", context, status_code=status)
