"""Pre-loading (PLACI) over HTTP: carriers file the 7+1 data before loading and get an answer at
once; a request for information or for screening is answered here before its deadline.

The carrier is told what to do (complete its data, screen the item, do not load) and what in its own
data falls short, never which rule or watch-list entry chose the item: naming them would show how to
file around them, and tip off whoever a sanctions hit concerns.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec
from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from clearway.api import schemas
from clearway.api.deps import Operator, Service, read_json
from clearway.api.responses import json_body, json_response, ok, problem_responses
from clearway.app.preloading import ScreeningAnswer
from clearway.clearance.errors import InvalidRecord
from clearway.risk.preloading import Answer, FilingStatus, PlaciFiling, PlaciReason, carrier_reasons, placi_errors

router = APIRouter(prefix="/v1/preloading", tags=["pre-loading"])
_MAX = 64 * 1024


class PlaciAnswer(msgspec.Struct, kw_only=True):
    id: str
    reference: str
    transport_document: str
    answer: Answer
    status: FilingStatus
    received_at: dt.datetime
    due_at: dt.datetime | None
    # What the carrier must do, and what in its own data is missing or unclear: never a rule's name,
    # a screening hit or the rule versions the assessment ran.
    reasons: list[PlaciReason]


PRELOADING_SCHEMAS: list[Any] = [PlaciFiling, PlaciAnswer, ScreeningAnswer]


def carrier_answer(view: dict[str, Any]) -> PlaciAnswer:
    """The service's view of a filing, as the carrier that filed it may see it."""
    return PlaciAnswer(
        id=view["id"],
        reference=view["reference"],
        transport_document=view["transport_document"],
        answer=view["answer"],
        status=view["status"],
        received_at=view["received_at"],
        due_at=view["due_at"],
        reasons=carrier_reasons(str(view["answer"]), [msgspec.convert(r, PlaciReason) for r in view["reasons"]]),
    )


async def read_filing(request: Request) -> PlaciFiling:
    """The PLACI filing of the body, its codes, parties and weight checked like a declaration's."""
    filing = await read_json(request, PlaciFiling, max_bytes=_MAX, what="PLACI filing")
    errors = placi_errors(filing)
    if errors:
        raise InvalidRecord("the PLACI filing has invalid fields", errors)
    return filing


@router.post(
    "",
    status_code=201,
    summary="File PLACI data before loading: assessment complete, request for information or screening, or do not load",
    openapi_extra=json_body(schemas.ref(PlaciFiling)),
    responses={**ok(PlaciAnswer, "Assessed", 201), **problem_responses(409, 413, 415, 422)},
    response_class=Response,
)
async def file(request: Request, svc: Service, operator_id: Operator) -> Response:
    filing = await read_filing(request)
    answer = await run_in_threadpool(svc.preloading.file, operator_id, filing)
    return json_response(carrier_answer(answer), status=201)


@router.get(
    "/{filing_id}",
    summary="A filing's current answer (a referral may have been answered, or have expired)",
    responses={**ok(PlaciAnswer, "The filing"), **problem_responses(404)},
    response_class=Response,
)
async def read(filing_id: str, svc: Service, operator_id: Operator) -> Response:
    return json_response(carrier_answer(await run_in_threadpool(svc.preloading.read, operator_id, filing_id)))


@router.post(
    "/{filing_id}/information",
    summary="Answer a request for information with corrected PLACI data (assessed again)",
    openapi_extra=json_body(schemas.ref(PlaciFiling)),
    responses={**ok(PlaciAnswer, "Assessed again"), **problem_responses(404, 409, 413, 415, 422)},
    response_class=Response,
)
async def information(filing_id: str, request: Request, svc: Service, operator_id: Operator) -> Response:
    filing = await read_filing(request)
    answer = await run_in_threadpool(lambda: svc.preloading.answer_information(operator_id, filing_id, filing))
    return json_response(carrier_answer(answer))


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
    return json_response(carrier_answer(answer))
