"""Standard messages over HTTP: `POST /v1/messages/{standard}` takes a message in its standard's own
format; `GET /v1/messages/{message_id}` gives what each record in it became, and `.../original` the
bytes exactly as received. An operator reads only its own messages; a customs officer reads any
(the original carries personal data, which analysts see only pseudonymised, so they are not admitted).
"""

from __future__ import annotations

import base64
import datetime as dt
from typing import Annotated

import msgspec
from fastapi import APIRouter, Depends, Path, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from clearway.access.roles import Principal, Role
from clearway.api import schemas
from clearway.api.deps import Access, Operator, Service, read_body
from clearway.api.paths import ConsignmentId
from clearway.api.problems import ApiError
from clearway.api.responses import json_response, problem_responses
from clearway.app.messages import RecordOutcome, StoredMessage
from clearway.app.platform import Clearway
from clearway.messages import xml_safe
from clearway.messages.model import Response as ResponseMessage
from clearway.messages.registry import adapter_for, adapters

router = APIRouter(prefix="/v1/messages", tags=["messages"])
# A consignment's answers, from every message that carried it (docs/messages.md, "Answers").
consignment_router = APIRouter(prefix="/v1/consignments", tags=["messages"])
READERS = Access(Role.OPERATOR, Role.OFFICER)
MESSAGE_ID = r"^[0-9a-f]{32}$"
# POST /v1/messages/{ref} names a standard, GET /v1/messages/{ref} a message: the URLs the issue
# and docs/messages.md give. OpenAPI allows one template per path, so both call the segment `ref`.
MessageId = Annotated[
    str, Path(alias="ref", pattern=MESSAGE_ID, description="The message's id, as its receipt answered it.")
]
StandardName = Annotated[
    str,
    Path(
        alias="ref", pattern=r"^[a-z0-9-]{1,32}$", description="The message standard (the enum lists those supported)"
    ),
]


class MessageReceipt(msgspec.Struct, kw_only=True):
    """A message kept as received, and what each record in it became (in the message's own terms)."""

    id: str
    standard: str
    message_type: str | None
    sha256: str
    size: int
    received_at: dt.datetime
    records: list[RecordOutcome]


class MessageView(MessageReceipt, kw_only=True):
    operator_id: str
    media_type: str
    # The bytes as received, base64 (null once retention cleared them); `/original` gives them raw.
    original_base64: str | None


class ResponseView(msgspec.Struct, kw_only=True):
    """One message the family answers with (a CEB622, a CUSRSP, an ICS2 IE3N03...), from what
    became of the records now."""

    message_id: str  # the kept message it answers
    message_type: str
    media_type: str
    body: str  # the message as text (XML, or an EDIFACT interchange in its ISO 8859-1 repertoire)


class ResponseList(msgspec.Struct, kw_only=True):
    items: list[ResponseView]


MESSAGE_SCHEMAS = [MessageReceipt, MessageView, ResponseList]
# What the families are sent as: XML documents, and UN/EDIFACT interchanges (RFC 1767). Any message
# may also come as application/octet-stream (the path names its standard): the body client
# generators can type, where they skip XML and EDIFACT ones (openapi-python-client 0.29 does).
MEDIA_TYPES = ("application/xml", "text/xml", "application/edifact")
OCTETS = "application/octet-stream"


def supported() -> list[str]:
    return sorted(adapters())


@router.post(
    "/{ref}",
    status_code=201,
    summary="Send a message in its standard's own format (UPU, EU, China): one result per record it carries",
    response_model=None,
    responses={
        201: {
            "description": "Kept, mapped and submitted: one result per record",
            "content": {"application/json": {"schema": schemas.ref(MessageReceipt)}},
            "headers": {"Location": {"description": "The message's address", "schema": {"type": "string"}}},
        },
        **problem_responses(404, 413, 415),
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "description": "One message, as its standard writes it (XML or UN/EDIFACT); see docs/messages.md.",
            "content": {
                OCTETS: {"schema": {"type": "string", "format": "binary"}},
                **{media: {"schema": {"type": "string"}} for media in MEDIA_TYPES},
            },
        }
    },
)
async def receive(request: Request, standard: StandardName, operator: Operator, svc: Service) -> Response:
    adapter = adapter_for(standard)
    if adapter is None:
        detail = f"no adapter for '{standard}': send one of {', '.join(supported()) or 'none yet'}"
        raise ApiError(404, "Unknown message standard", detail, "unknown-standard")
    # The path names the standard, and its adapter reads the bytes: any of the documented types is
    # taken for any standard (an EDIFACT interchange sent as XML is refused by its adapter, with where).
    limit = min(svc.settings.max_body_bytes, xml_safe.MAX_BYTES)
    body = await read_body(request, (*MEDIA_TYPES, OCTETS), limit)
    media_type = request.headers["content-type"].split(";", 1)[0].strip().lower()
    received = await run_in_threadpool(svc.messages.receive, standard, operator, body, media_type)
    receipt = MessageReceipt(
        id=received.id,
        standard=received.standard,
        message_type=received.message_type,
        sha256=received.sha256,
        size=received.size,
        received_at=received.received_at,
        records=received.records,
    )
    return json_response(receipt, 201, headers={"Location": f"/v1/messages/{received.id}"})


def _message(svc: Clearway, message_id: str, principal: Principal) -> StoredMessage:
    found = svc.messages.read(message_id)
    # Another operator's message is not there for the caller: the same 404 as an unknown id.
    if found is None or (principal.role == Role.OPERATOR and found.operator_id != principal.id):
        raise ApiError(404, "Not found", f"no message {message_id}", "not-found")
    return found


@router.get(
    "/{ref}",
    summary="A message: what each record in it became, and its original bytes",
    response_model=None,
    responses={
        200: {"description": "The message", "content": {"application/json": {"schema": schemas.ref(MessageView)}}},
        **problem_responses(404),
    },
)
async def read(message_id: MessageId, svc: Service, principal: Annotated[Principal, Depends(READERS)]) -> Response:
    found = await run_in_threadpool(_message, svc, message_id, principal)
    view = MessageView(
        id=found.id,
        standard=found.standard,
        message_type=found.message_type,
        sha256=found.sha256,
        size=found.size,
        received_at=found.received_at,
        records=found.records,
        operator_id=found.operator_id,
        media_type=found.media_type,
        original_base64=None if found.body is None else base64.b64encode(found.body).decode(),
    )
    if principal.role == Role.OFFICER:
        svc.audit_event(f"person:{principal.id}", "messages.original_read", message_id)
    return json_response(view)


@router.get(
    "/{ref}/original",
    summary="A message's bytes exactly as received, with the media type it was sent as",
    response_model=None,
    responses={
        200: {"description": "The original", "content": {"application/xml": {"schema": {"type": "string"}}}},
        **problem_responses(404, 410),
    },
)
async def original(message_id: MessageId, svc: Service, principal: Annotated[Principal, Depends(READERS)]) -> Response:
    found = await run_in_threadpool(_message, svc, message_id, principal)
    if found.body is None:
        raise ApiError(410, "Gone", "retention has cleared this message's bytes; its hash remains", "retention-cleared")
    if principal.role == Role.OFFICER:
        svc.audit_event(f"person:{principal.id}", "messages.original_read", message_id)
    return Response(found.body, media_type=found.media_type, headers={"X-Content-SHA256": found.sha256})


@router.get(
    "/{ref}/responses",
    summary="The answers the message's standard expects (China's receipts...), from what became of its records now",
    response_model=None,
    responses={
        200: {"description": "The answers", "content": {"application/json": {"schema": schemas.ref(ResponseList)}}},
        **problem_responses(404),
    },
)
async def responses(message_id: MessageId, svc: Service, principal: Annotated[Principal, Depends(READERS)]) -> Response:
    await run_in_threadpool(_message, svc, message_id, principal)
    found = await run_in_threadpool(svc.messages.responses, message_id)
    return json_response(ResponseList(items=[_view(message_id, r) for r in found or []]))


def _view(message_id: str, answer: ResponseMessage) -> ResponseView:
    return ResponseView(
        message_id=message_id, message_type=answer.message_type, media_type=answer.media_type, body=answer.text
    )


@consignment_router.get(
    "/{consignment_id}/responses",
    summary="Every answer to the standard messages that carried one of the caller's consignments, oldest first",
    response_model=None,
    responses={
        200: {"description": "The answers", "content": {"application/json": {"schema": schemas.ref(ResponseList)}}},
        **problem_responses(404),
    },
)
async def consignment_responses(consignment_id: ConsignmentId, svc: Service, operator: Operator) -> Response:
    # Only the caller's own messages are read: another operator's consignment is "not found".
    found = await run_in_threadpool(svc.messages.responses_for, consignment_id, operator)
    if found is None:
        detail = f"no message of yours carried consignment {consignment_id}"
        raise ApiError(404, "Not found", detail, "not-found")
    return json_response(ResponseList(items=[_view(message_id, r) for message_id, r in found]))
