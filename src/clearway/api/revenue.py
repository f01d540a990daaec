"""Revenue over HTTP: the public landed-cost quote, periodic statements, and return refunds.

``POST /v1/quotes`` is public (a consumer or a small seller asks before buying); it reads no one's
data and stores nothing. Statements are customs' view of what was collected under each scheme
number and by each intermediary; an operator sees only its own lines.
"""

from __future__ import annotations

from typing import Annotated

import msgspec
from fastapi import APIRouter, Depends, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from clearway.access.roles import Principal, Role
from clearway.api import schemas
from clearway.api.deps import PUBLIC, Access, Operator, Service, read_body
from clearway.api.paths import CONSIGNMENT, ConsignmentId
from clearway.api.responses import consignment_links, json_response, problem_responses
from clearway.api.schemas import MoneyText
from clearway.app.platform import Clearway, utcnow
from clearway.clearance.errors import InvalidRecord
from clearway.dataset.errors import FieldError
from clearway.dataset.identifiers import COUNTRIES
from clearway.revenue.context import RevenueError
from clearway.revenue.quote import TERRITORY_CODES, QuoteDecoder, QuoteRequest, QuoteResponse

router = APIRouter(tags=["revenue"])

STATEMENT_READERS = Access(Role.OPERATOR, Role.OFFICER, Role.ANALYST, Role.STATISTICIAN, Role.ADMIN)
_QUOTES = QuoteDecoder()


def quote_destinations(svc: Clearway) -> list[str]:
    """The countries a quote can be for (a configured jurisdiction or one of its members), for the
    OpenAPI document's enum: the engine refuses any other destination."""
    destinations = []
    # The territories' own codes too (XI Northern Ireland, IC the Canary Islands): the engine takes them.
    for country in sorted(COUNTRIES | TERRITORY_CODES):
        try:
            jurisdiction, _ = svc.revenue.catalogue.resolve(country)
        except LookupError:
            continue
        if jurisdiction is not None:
            destinations.append(country)
    return destinations


_MONTH = Query(pattern=r"^20[0-9]{2}-(0[1-9]|1[0-2])$", description="The month, as YYYY-MM.")


class SchemeStatementLine(msgspec.Struct, kw_only=True):
    month: str
    operator_id: str
    tax_scheme: str
    tax_scheme_id: str
    jurisdiction: str
    currency: str
    consignments: int
    intrinsic_value: MoneyText
    tax: MoneyText


class IntermediaryStatementLine(msgspec.Struct, kw_only=True):
    month: str
    operator_id: str
    jurisdiction: str
    currency: str
    consignments: int
    duty: MoneyText
    tax: MoneyText
    fees: MoneyText
    total: MoneyText


class SchemeStatement(msgspec.Struct, kw_only=True):
    month: str
    lines: list[SchemeStatementLine]


class IntermediaryStatement(msgspec.Struct, kw_only=True):
    month: str
    lines: list[IntermediaryStatementLine]


class RefundResponse(msgspec.Struct, kw_only=True):
    consignment_id: str
    refunded_tax: MoneyText
    currency: str


REVENUE_SCHEMAS = [QuoteRequest, QuoteResponse, SchemeStatement, IntermediaryStatement, RefundResponse]


@router.post(
    "/v1/quotes",
    dependencies=[Depends(PUBLIC)],
    summary="Landed cost of a parcel: duty, tax and fees with every line explained (public)",
    openapi_extra={
        "requestBody": {"required": True, "content": {"application/json": {"schema": schemas.ref(QuoteRequest)}}}
    },
    responses={
        200: {"description": "The quote", "content": {"application/json": {"schema": schemas.ref(QuoteResponse)}}},
        **problem_responses(400, 413, 415, 422, public=True),
    },
    response_class=Response,
)
async def quote(request: Request, svc: Service) -> Response:
    body = await read_body(request, ("application/json",), 256 * 1024)
    parsed, errors = _QUOTES.decode(body)
    if parsed is None:
        raise InvalidRecord("the quote request has invalid fields", errors)
    try:
        answer = await run_in_threadpool(svc.revenue.quote, parsed)
    except RevenueError as exc:
        raise InvalidRecord("the parcel cannot be assessed", [FieldError(exc.pointer, str(exc))]) from exc
    return json_response(answer)


def _scope(principal: Principal, operator: str | None) -> str | None:
    # An operator's statement is its own, whatever it asks for.
    return principal.id if principal.role is Role.OPERATOR else operator


@router.get(
    "/v1/statements/schemes",
    summary="Monthly value and tax per checkout scheme number (e.g. IOSS), for reconciliation",
    responses={
        200: {
            "description": "The statement",
            "content": {"application/json": {"schema": schemas.ref(SchemeStatement)}},
        },
        **problem_responses(422),
    },
    response_class=Response,
)
async def scheme_statement(
    svc: Service,
    principal: Annotated[Principal, Depends(STATEMENT_READERS)],
    month: Annotated[str, _MONTH],
    operator: Annotated[str | None, Query(max_length=64, description="Only this operator (customs only).")] = None,
) -> Response:
    lines = await run_in_threadpool(svc.revenue.scheme_statement, month, _scope(principal, operator))
    return json_response({"month": month, "lines": lines})


@router.get(
    "/v1/statements/intermediaries",
    summary="Monthly duty and tax collected at delivery per intermediary (account-based periodic payment)",
    responses={
        200: {
            "description": "The statement",
            "content": {"application/json": {"schema": schemas.ref(IntermediaryStatement)}},
        },
        **problem_responses(422),
    },
    response_class=Response,
)
async def intermediary_statement(
    svc: Service,
    principal: Annotated[Principal, Depends(STATEMENT_READERS)],
    month: Annotated[str, _MONTH],
    operator: Annotated[str | None, Query(max_length=64, description="Only this operator (customs only).")] = None,
) -> Response:
    lines = await run_in_threadpool(svc.revenue.intermediary_statement, month, _scope(principal, operator))
    return json_response({"month": month, "lines": lines})


@router.post(
    f"/v1/consignments/{CONSIGNMENT}/return-refund",
    summary="The buyer returned a released parcel in time: refund its tax and restore the quota",
    responses=consignment_links(
        {
            200: {"description": "Refunded", "content": {"application/json": {"schema": schemas.ref(RefundResponse)}}},
            **problem_responses(404, 409),
        },
        200,
        id_at="/consignment_id",
    ),
    response_class=Response,
)
async def return_refund(consignment_id: ConsignmentId, svc: Service, operator_id: Operator) -> Response:
    refunded = await run_in_threadpool(
        lambda: svc.revenue.refund_return(operator_id, consignment_id, now=utcnow(), actor=f"operator:{operator_id}")
    )
    assessment = await run_in_threadpool(svc.revenue.assessment, consignment_id)
    currency = assessment.currency if assessment is not None else ""
    return json_response(RefundResponse(consignment_id=consignment_id, refunded_tax=f"{refunded:f}", currency=currency))
