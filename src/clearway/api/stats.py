"""Statistics over HTTP for customs people: key figures, time series, breakdowns and exports.

Every figure comes from clearway.stats through the statistics service (an in-memory facts frame
refreshed incrementally), exactly as ``clearway stats ...`` and the dashboard get it. Windows are
receipt dates in UTC, both ends included; an omitted end leaves that side open. docs/stats.md
defines every figure.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BeforeValidator
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from clearway.access.roles import Principal, Role
from clearway.api.deps import Access, Service
from clearway.api.paths import date_text
from clearway.api.problems import ApiError
from clearway.api.responses import json_response, ok, problem_responses
from clearway.app.stats import stats_of
from clearway.dataset.errors import FieldError
from clearway.stats.export import MEDIA_TYPES, ExportFormat
from clearway.stats.model import STATS_RESULTS, Dimension, Metric, Period, StatsBreakdown, StatsKpis, StatsSeries
from clearway.stats.queries import BREAKDOWN_TOP_MAX, SERIES_TOP_MAX, Window, WindowError

router = APIRouter(prefix="/v1/stats", tags=["statistics"])

STATS_READERS = Access(Role.ANALYST, Role.STATISTICIAN, Role.ADMIN, Role.OFFICER)
Reader = Annotated[Principal, Depends(STATS_READERS)]
STATS_SCHEMAS = list(STATS_RESULTS)

From = Annotated[
    dt.date | None,
    BeforeValidator(date_text),
    Query(alias="from", description="First receipt date included (YYYY-MM-DD, UTC); omitted: no lower bound."),
]
To = Annotated[
    dt.date | None,
    BeforeValidator(date_text),
    Query(alias="to", description="Last receipt date included (YYYY-MM-DD, UTC); omitted: no upper bound."),
]
By = Query(description="The grouping: seller country, destination, HS chapter of the main item, operator...")


def window(start: dt.date | None, end: dt.date | None) -> Window:
    """The window of the query, or a 422 naming the parameter that makes it impossible."""
    try:
        return Window(start, end)
    except WindowError as exc:
        raise ApiError(
            422,
            "Invalid request",
            "the request has invalid parameters",
            "invalid-request",
            errors=[FieldError(exc.pointer, exc.detail)],
        ) from exc


@router.get(
    "/kpis",
    summary="Key figures: volumes, automatic release rate, examinations and refusals per million, hit rate, "
    "time to release, data timeliness",
    responses={**ok(StatsKpis, "The key figures of the consignments received in the window"), **problem_responses(422)},
    response_class=Response,
)
async def key_figures(svc: Service, _: Reader, start: From = None, end: To = None) -> Response:
    chosen = window(start, end)
    return json_response(await run_in_threadpool(stats_of(svc).kpis, chosen))


@router.get(
    "/series",
    summary="A metric per day, week or month, for the largest groups of a grouping (the rest as '(other)')",
    responses={**ok(StatsSeries, "One line per group, one value per period"), **problem_responses(422)},
    response_class=Response,
)
async def time_series(
    svc: Service,
    _: Reader,
    start: From = None,
    end: To = None,
    by: Annotated[Dimension | None, By] = None,
    period: Annotated[Period, Query(description="Length of a period (weeks start on Monday).")] = "day",
    metric: Annotated[Metric, Query(description="What is counted or summed (euro).")] = "consignments",
    top: Annotated[int, Query(ge=1, le=SERIES_TOP_MAX, description="Groups drawn; the rest are summed.")] = 8,
) -> Response:
    chosen = window(start, end)
    answer = await run_in_threadpool(lambda: stats_of(svc).series(chosen, metric=metric, period=period, by=by, top=top))
    return json_response(answer)


@router.get(
    "/breakdown",
    summary="Volumes, values, revenue, inspections, findings and refusals per group, largest first",
    responses={**ok(StatsBreakdown, "One row per group"), **problem_responses(422)},
    response_class=Response,
)
async def groups(
    svc: Service,
    _: Reader,
    by: Annotated[Dimension, By],
    start: From = None,
    end: To = None,
    top: Annotated[int, Query(ge=1, le=BREAKDOWN_TOP_MAX, description="Rows listed; the rest are summed.")] = 20,
) -> Response:
    chosen = window(start, end)
    return json_response(await run_in_threadpool(lambda: stats_of(svc).breakdown(chosen, by=by, top=top)))


@router.get(
    "/export",
    summary="The facts (one row per consignment, no personal data) of the window, as CSV or Parquet",
    responses={
        200: {
            "description": "The facts; docs/stats.md lists the columns",
            "content": {
                MEDIA_TYPES["csv"]: {"schema": {"type": "string"}},
                MEDIA_TYPES["parquet"]: {"schema": {"type": "string", "format": "binary"}},
            },
        },
        **problem_responses(422),
    },
    response_class=Response,
)
async def facts_export(
    svc: Service,
    _: Reader,
    start: From = None,
    end: To = None,
    fmt: Annotated[ExportFormat, Query(alias="format", description="csv or parquet.")] = "csv",
) -> Response:
    chosen = window(start, end)
    content, _rows = await run_in_threadpool(stats_of(svc).export, chosen, fmt)
    name = f"clearway-facts-{chosen.start or 'start'}-{chosen.end or 'end'}.{fmt}"
    return Response(
        content,
        media_type=MEDIA_TYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
