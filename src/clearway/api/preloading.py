"""Pre-loading (PLACI) over HTTP: carriers file the 7+1 data before loading and get an answer at
once; a request for information or for screening is answered here before its deadline."""

from __future__ import annotations

from typing import Any

import msgspec
from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from clearway.api import schemas
from clearway.api.deps import Operator, Service, read_json
from clearway.api.responses import json_body, json_response, ok, problem_responses
from clearway.preloading_service import ScreeningAnswer
from clearway.risk.preloading import PlaciFiling, PlaciReason

router = APIRouter(prefix="/v1/preloading", tags=["pre-loading"])
_MAX = 64 * 1024


class PlaciAnswer(msgspec.Struct, kw_only=True):
    id: str
    reference: str
    transport_document: str
    answer: str  # assessment_complete, request_for_information, request_for_screening, do_not_load
    status: str  # closed, open (a referral awaiting the carrier's answer), expired (not answered in time)
    received_at: str
    due_at: str | None
    reasons: list[PlaciReason]
    screening_hits: list[str]
    rule_versions: list[str]


PRELOADING_SCHEMAS: list[Any] = [PlaciFiling, PlaciAnswer, ScreeningAnswer]


@router.post(
    "",
    summary="File PLACI data before loading: assessment complete, request for information or screening, or do not load",
    openapi_extra=json_body(schemas.ref(PlaciFiling)),
    responses={**ok(PlaciAnswer, "Assessed", 201), **problem_responses(413, 415, 422)},
    response_class=Response,
)
async def file(request: Request, svc: Service, operator_id: Operator) -> Response:
    filing = await read_json(request, PlaciFiling, max_bytes=_MAX, what="PLACI filing")
    answer = await run_in_threadpool(svc.preloading.file, operator_id, filing)
    return json_response(answer, status=201)


@router.get(
    "/{filing_id}",
    summary="A filing's current answer (a referral may have been answered, or have expired)",
    responses={**ok(PlaciAnswer, "The filing"), **problem_responses(404)},
    response_class=Response,
)
async def read(filing_id: str, svc: Service, operator_id: Operator) -> Response:
    return json_response(await run_in_threadpool(svc.preloading.read, operator_id, filing_id))


@router.post(
    "/{filing_id}/information",
    summary="Answer a request for information with corrected PLACI data (assessed again)",
    openapi_extra=json_body(schemas.ref(PlaciFiling)),
    responses={**ok(PlaciAnswer, "Assessed again"), **problem_responses(404, 409, 413, 415, 422)},
    response_class=Response,
)
async def information(filing_id: str, request: Request, svc: Service, operator_id: Operator) -> Response:
    filing = await read_json(request, PlaciFiling, max_bytes=_MAX, what="PLACI filing")
    answer = await run_in_threadpool(lambda: svc.preloading.answer_information(operator_id, filing_id, filing))
    return json_response(answer)


@router.post(
    "/{filing_id}/screening",
    summary="Answer a request for screening with the result of the high-risk screening",
    openapi_extra=json_body(schemas.ref(ScreeningAnswer)),
    responses={**ok(PlaciAnswer, "Closed"), **problem_responses(404, 409, 413, 415, 422)},
    response_class=Response,
)
async def screening(filing_id: str, request: Request, svc: Service, operator_id: Operator) -> Response:
    body = await read_json(request, ScreeningAnswer, max_bytes=4096, what="screening answer")
    answer = await run_in_threadpool(lambda: svc.preloading.answer_screening(operator_id, filing_id, body))
    return json_response(answer)
