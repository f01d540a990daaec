"""Operators' intake: declarations, orders, payments and waybills, one at a time or in bulk (NDJSON
or a JSON array, each record answered on its own).

Bodies are decoded by msgspec straight into the domain records (strict, every failing field
reported); FastAPI is used for routing and OpenAPI only, which keeps the single-submission path
short and the batch path free of per-record framework overhead.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Annotated, Any

import msgspec
from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from clearway.api import schemas
from clearway.api.batcher import GroupCommitter
from clearway.api.deps import Operator, Service, read_body, read_json
from clearway.api.paths import CONSIGNMENT, ConsignmentId
from clearway.api.problems import ApiError, problem
from clearway.api.responses import consignment_links, json_body, json_response, problem_responses
from clearway.api.views import declarant_view
from clearway.app.platform import Clearway
from clearway.clearance.errors import InvalidRecord, NotFound
from clearway.clearance.lifecycle import State
from clearway.clearance.model import SubmissionResult
from clearway.dataset.decode import RecordDecoder
from clearway.dataset.records import Consignment, DocumentKind, Order, Payment, Waybill
from clearway.gc_pause import paused_gc
from clearway.intake.json_array import NotAJsonArray, at_item, parse_json_array
from clearway.intake.ndjson import TooManyLines, parse_ndjson
from clearway.intake.parsed import Parsed

router = APIRouter(prefix="/v1", tags=["intake"])

JSON = ("application/json",)
NDJSON = ("application/x-ndjson", "application/jsonl")
# A batch is NDJSON (the bulk format of docs/formats.md) or one JSON array of records: the body
# generated clients can send, since their generators type JSON bodies and skip NDJSON ones.
BATCH = (*NDJSON, *JSON)
# Records per transaction inside one batch request: big enough to amortise the commit, small
# enough that the write lock is released regularly for single submissions.
BATCH_CHUNK = 10_000

_DECODERS: dict[str, RecordDecoder[Any]] = {
    "consignment": RecordDecoder(Consignment),
    "order": RecordDecoder(Order),
    "payment": RecordDecoder(Payment),
    "waybill": RecordDecoder(Waybill),
}


def committer(request: Request) -> GroupCommitter:
    value: GroupCommitter = request.app.state.committer
    return value


def _parse_paused(body: bytes, decoder: RecordDecoder[Any], array: bool, max_lines: int, max_line_bytes: int) -> Any:
    with paused_gc():
        if array:
            return parse_json_array(body, decoder, max_records=max_lines, max_record_bytes=max_line_bytes)
        return parse_ndjson(body, decoder, max_lines=max_lines, max_line_bytes=max_line_bytes).parsed


def _batch_body(kind: str, cls: type) -> dict[str, Any]:
    """The batch body, as OpenAPI 3.1 can say it. A JSON array of records, or NDJSON described the
    way the OpenAPI media type registry models sequential JSON before 3.2: ``schema`` as if the
    lines were an array, and ``x-oai-itemSchema`` (3.2's ``itemSchema``) for one line. The items
    are typed as records, yet an item that is not one is answered in the results, not by refusing
    the batch (docs/formats.md, NDJSON)."""
    record = schemas.ref(cls)
    records = {"type": "array", "items": record}
    description = (
        f"{kind.capitalize()} records (#/components/schemas/{cls.__name__}), up to 100,000 of them (413 beyond): "
        "as NDJSON (`application/x-ndjson` or `application/jsonl`), one JSON object per line, blank lines "
        "skipped; or as one JSON array (`application/json`). Each record is decoded on its own and answered "
        "in `results`: accepted, duplicate, conflict, or rejected with its errors, while the others still "
        "load. `line` is the 1-based line of an NDJSON body, or the 1-based position of a record in an "
        "array, whose errors' pointers then start with its index (`/0/items/0/hs_code`). A body that is "
        "not a JSON array is refused whole (422)."
    )
    content: dict[str, Any] = {"application/json": {"schema": records}}
    content.update({media: {"schema": records, "x-oai-itemSchema": record} for media in NDJSON})
    return {"requestBody": {"required": True, "description": description, "content": content}}


def _single_response(result: SubmissionResult, location: str | None) -> Response:
    if result.status == "rejected":
        # The only single record the pipeline rejects is one its sender may not send at all.
        detail = result.errors[0].detail if result.errors else "this operator may not send this record"
        return problem(403, "Forbidden", detail, slug="sender-not-entitled", errors=result.errors)
    if result.status == "conflict":
        return problem(
            409,
            "Conflict",
            "this reference was already used for a different message",
            slug="conflict",
            errors=result.errors,
        )
    body = schemas.SubmissionResponse(
        status="accepted" if result.status == "accepted" else "duplicate",
        id=result.id or "",
        reference=result.reference or "",
        state=result.state,
        version=result.version,
    )
    created = result.status == "accepted"
    headers = {"Location": location} if created and location else None
    return json_response(body, 201 if created else 200, headers)


async def _decode_one(request: Request, svc: Clearway, kind: str) -> Any:
    body = await read_body(request, JSON, svc.settings.max_record_bytes)
    record, errors = _DECODERS[kind].decode(body)
    if errors:
        raise InvalidRecord(f"the {kind} has invalid fields", errors)
    return record


async def _batch(
    request: Request, svc: Clearway, kind: str, submit: Callable[[Sequence[Any]], list[SubmissionResult]]
) -> Response:
    settings = svc.settings
    body = await read_body(request, BATCH, settings.max_body_bytes)
    # read_body has checked the type: it is one of BATCH.
    array = request.headers["content-type"].split(";", 1)[0].strip().lower() in JSON
    try:
        parsed: list[Parsed[Any]] = await run_in_threadpool(
            _parse_paused, body, _DECODERS[kind], array, settings.max_batch_lines, settings.max_record_bytes
        )
    except TooManyLines as exc:
        raise ApiError(413, "Too many records", str(exc), "too-many-lines") from exc
    except NotAJsonArray as exc:
        raise InvalidRecord("the batch is not a JSON array of records", exc.errors) from exc
    lines: list[schemas.LineResult] = []
    good = [p for p in parsed if p.record is not None]
    for p in parsed:
        if p.record is None:
            lines.append(schemas.LineResult(line=p.line, status="rejected", errors=p.errors))
    for start in range(0, len(good), BATCH_CHUNK):
        chunk = good[start : start + BATCH_CHUNK]
        outcomes = await run_in_threadpool(submit, [p.record for p in chunk])
        for p, outcome in zip(chunk, outcomes, strict=True):
            lines.append(
                schemas.LineResult(
                    line=p.line,
                    status=outcome.status,
                    id=outcome.id,
                    reference=outcome.reference,
                    state=outcome.state,
                    # In an array, a record's errors point into the whole body, like its parsing errors.
                    errors=at_item(p.line - 1, outcome.errors) if array else outcome.errors,
                )
            )
    lines.sort(key=lambda r: r.line)
    counts = dict.fromkeys(("accepted", "duplicate", "conflict", "rejected"), 0)
    for line in lines:
        counts[line.status] += 1
    return json_response(
        schemas.BatchResponse(
            accepted=counts["accepted"],
            duplicates=counts["duplicate"],
            conflicts=counts["conflict"],
            rejected=counts["rejected"],
            results=lines,
        )
    )


_SINGLE: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "Already stored (identical resubmission)",
        "content": {"application/json": {"schema": schemas.ref(schemas.SubmissionResponse)}},
    },
    201: {
        "description": "Stored",
        "content": {"application/json": {"schema": schemas.ref(schemas.SubmissionResponse)}},
    },
}
_BATCH: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "One result per record (per line of NDJSON, per item of an array)",
        "content": {"application/json": {"schema": schemas.ref(schemas.BatchResponse)}},
    }
}


@router.post(
    "/consignments",
    summary="Submit one declaration",
    status_code=201,
    openapi_extra=json_body(schemas.ref(Consignment)),
    responses=consignment_links({**_SINGLE, **problem_responses(400, 401, 403, 409, 413, 415, 422)}, 200, 201),
    response_class=Response,
)
async def submit_consignment(request: Request, svc: Service, operator: Operator) -> Response:
    record = await _decode_one(request, svc, "consignment")
    result = await committer(request).submit("consignment", operator, record)
    return _single_response(result, f"/v1/consignments/{result.id}")


@router.post(
    "/consignments/batch",
    summary="Submit declarations in bulk: NDJSON or a JSON array (up to 100,000)",
    openapi_extra=_batch_body("consignment", Consignment),
    responses={**_BATCH, **problem_responses(400, 401, 413, 415, 422)},
    response_class=Response,
)
async def submit_consignment_batch(request: Request, svc: Service, operator: Operator) -> Response:
    return await _batch(request, svc, "consignment", lambda records: svc.submit_consignments(operator, records))


MAX_PAGE = 500


@router.get(
    "/consignments",
    summary="List the caller's consignments, newest first, with keyset paging",
    responses={
        200: {
            "description": "One page",
            "content": {"application/json": {"schema": schemas.ref(schemas.DeclarantPage)}},
        },
        **problem_responses(400, 401, 422),
    },
    response_class=Response,
)
async def list_consignments(
    svc: Service,
    operator: Operator,
    state: Annotated[State | None, Query(description="Only consignments in this state.")] = None,
    cursor: Annotated[
        str | None, Query(pattern="^[0-9a-f]{32}$", description="next_cursor of the previous page.")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE, description="Page size.")] = 100,
) -> Response:
    rows = await run_in_threadpool(svc.page, operator, state=state.value if state else None, before=cursor, limit=limit)
    items = [msgspec.convert(row, schemas.DeclarantSummary, from_attributes=False) for row in rows]
    next_cursor = items[-1].id if len(items) == limit else None
    return json_response(schemas.DeclarantPage(items=items, next_cursor=next_cursor))


@router.get(
    f"/consignments/{CONSIGNMENT}",
    summary="Read a declaration with its status, versions, history, linked documents and results",
    responses=consignment_links(
        {
            200: {
                "description": "The consignment",
                "content": {"application/json": {"schema": schemas.ref(schemas.DeclarantView)}},
            },
            **problem_responses(400, 401, 404),
        },
        200,
    ),
    response_class=Response,
)
async def read_consignment(consignment_id: ConsignmentId, svc: Service, operator: Operator) -> Response:
    dossier = await run_in_threadpool(svc.dossier, operator, consignment_id)
    if dossier is None:
        raise NotFound(f"no consignment '{consignment_id}'")
    return json_response(declarant_view(dossier))


@router.post(
    f"/consignments/{CONSIGNMENT}/amendments",
    summary="Amend a declaration: stores a new version and assesses it again",
    status_code=201,
    openapi_extra=json_body(schemas.ref(Consignment)),
    responses=consignment_links({**_SINGLE, **problem_responses(400, 401, 404, 409, 413, 415, 422)}, 200, 201),
    response_class=Response,
)
async def amend_consignment(
    consignment_id: ConsignmentId, request: Request, svc: Service, operator: Operator
) -> Response:
    record = await _decode_one(request, svc, "consignment")
    result = await run_in_threadpool(svc.amend, operator, consignment_id, record)
    return _single_response(result, f"/v1/consignments/{result.id}")


@router.post(
    f"/consignments/{CONSIGNMENT}/cancellation",
    summary="Cancel a declaration that has not been released",
    openapi_extra=json_body(schemas.ref(schemas.CancelRequest)),
    responses=consignment_links(
        {
            200: {
                "description": "Cancelled",
                "content": {"application/json": {"schema": schemas.ref(schemas.DeclarantView)}},
            },
            **problem_responses(400, 401, 404, 409, 413, 415, 422),
        },
        200,
    ),
    response_class=Response,
)
async def cancel_consignment(
    consignment_id: ConsignmentId, request: Request, svc: Service, operator: Operator
) -> Response:
    cancel = await read_json(request, schemas.CancelRequest, max_bytes=4096, what="cancellation")
    await run_in_threadpool(svc.cancel, operator, consignment_id, cancel.reason)
    dossier = await run_in_threadpool(svc.dossier, operator, consignment_id)
    if dossier is None:  # pragma: no cover - cancel() already proved it exists and is ours
        raise NotFound(f"no consignment '{consignment_id}'")
    return json_response(declarant_view(dossier))


def _document_routes(kind: DocumentKind, plural: str, cls: type) -> None:
    async def submit_one(request: Request, svc: Service, operator: Operator) -> Response:
        record = await _decode_one(request, svc, kind)
        result = await committer(request).submit(kind, operator, record)
        return _single_response(result, None)

    async def submit_many(request: Request, svc: Service, operator: Operator) -> Response:
        return await _batch(request, svc, kind, lambda records: svc.submit_documents(kind, operator, records))

    router.add_api_route(
        f"/{plural}",
        submit_one,
        methods=["POST"],
        name=f"submit_{kind}",
        summary=f"Submit one {kind}",
        status_code=201,
        openapi_extra=json_body(schemas.ref(cls)),
        responses={**_SINGLE, **problem_responses(400, 401, 403, 409, 413, 415, 422)},
        response_class=Response,
    )
    router.add_api_route(
        f"/{plural}/batch",
        submit_many,
        methods=["POST"],
        name=f"submit_{kind}_batch",
        summary=f"Submit {plural} in bulk: NDJSON or a JSON array (up to 100,000)",
        openapi_extra=_batch_body(kind, cls),
        responses={**_BATCH, **problem_responses(400, 401, 413, 415, 422)},
        response_class=Response,
    )


_document_routes("order", "orders", Order)
_document_routes("payment", "payments", Payment)
_document_routes("waybill", "waybills", Waybill)
