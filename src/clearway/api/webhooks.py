"""Signed notifications over HTTP: an operator subscribes its endpoints, rotates their secrets, reads
the delivery log and asks for a redelivery (docs/webhooks.md).

Operators only, each with its own subscriptions: another operator's is answered 404 like a missing
one, never 403, so that a subscription's existence is not disclosed.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

import msgspec
from fastapi import APIRouter, Path, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from clearway.api import schemas
from clearway.api.deps import Operator, Service, read_json
from clearway.api.responses import json_body, json_response, ok, problem_responses
from clearway.app.webhooks.addresses import MAX_URL
from clearway.clearance.notices import EVENT_TYPES, EventType

router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"])

_ID = "^[0-9a-f]{32}$"
WebhookId = Annotated[str, Path(pattern=_ID, description="The subscription's id, as its creation answered it.")]
DeliveryId = Annotated[str, Path(pattern=_ID, description="The delivery's id, as the delivery log gives it.")]
DeliveryState = Literal["pending", "delivered", "failed", "cancelled"]
MAX_PAGE = 200


class WebhookRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A subscription: where to send which events. The URL is https, to a public address."""

    url: Annotated[
        str,
        msgspec.Meta(
            min_length=1,
            max_length=MAX_URL,
            examples=["https://hooks.example.com/clearway"],
            extra_json_schema={"format": "uri"},
        ),
    ]
    event_types: Annotated[list[EventType], msgspec.Meta(min_length=1, max_length=len(EVENT_TYPES))]
    description: Annotated[str, msgspec.Meta(max_length=200)] = ""


class Webhook(msgspec.Struct, kw_only=True, omit_defaults=True):
    """A subscription as its operator reads it (never its secret)."""

    id: str
    url: str
    event_types: list[EventType]
    description: str = ""
    created_at: dt.datetime
    secret_rotated_at: dt.datetime | None = None
    # Until when the secret a rotation replaced still signs, beside the new one.
    previous_secret_valid_until: dt.datetime | None = None


class WebhookCreated(Webhook, kw_only=True, omit_defaults=True):
    """The new subscription with its signing secret: shown this once, keep it."""

    secret: str


class WebhookList(msgspec.Struct, kw_only=True):
    items: list[Webhook]


class WebhookSecret(msgspec.Struct, kw_only=True):
    """A new signing secret (shown this once); the previous one signs beside it until the time given."""

    secret: str
    previous_secret_valid_until: dt.datetime


class DeliveryAttempt(msgspec.Struct, kw_only=True, omit_defaults=True):
    """One try: the receiver's HTTP status, or why there was none (no connection, no answer in time)."""

    at: dt.datetime
    status_code: int | None = None
    error: str | None = None
    duration_ms: int


class Delivery(msgspec.Struct, kw_only=True, omit_defaults=True):
    """One event sent to one subscription, with every try."""

    id: str
    # The webhook-id header it is sent with: the same on every try and redelivery, to deduplicate by.
    message_id: str
    event_type: EventType
    # What the event is about: a consignment id.
    subject: str
    created_at: dt.datetime
    # pending: to be sent (or tried again at next_attempt_at); delivered: a 2xx answer; failed: every
    # try refused or unanswered; cancelled: the subscription was deleted first.
    state: DeliveryState
    next_attempt_at: dt.datetime | None = None
    delivered_at: dt.datetime | None = None
    attempts: list[DeliveryAttempt]


class DeliveryPage(msgspec.Struct, kw_only=True):
    """A page of deliveries, newest first; pass ``next_cursor`` as ``cursor`` for the next one."""

    items: list[Delivery]
    next_cursor: str | None


WEBHOOK_SCHEMAS: list[Any] = [
    WebhookRequest,
    Webhook,
    WebhookCreated,
    WebhookList,
    WebhookSecret,
    Delivery,
    DeliveryPage,
]


def _webhook(view: dict[str, Any]) -> Webhook:
    return msgspec.convert(view, Webhook)


def _delivery(row: dict[str, Any]) -> Delivery:
    pending = row["state"] == "pending"
    return Delivery(
        id=row["id"],
        message_id=f"msg_{row['event_id']}",
        event_type=row["type"],
        subject=row["subject"],
        created_at=row["created_at"],
        state=row["state"],
        next_attempt_at=row["next_attempt_at"] if pending else None,
        delivered_at=row["delivered_at"],
        attempts=[msgspec.convert(t, DeliveryAttempt) for t in row["tries"]],
    )


@router.post(
    "",
    status_code=201,
    summary="Subscribe an endpoint to events: the answer holds its signing secret, shown this once",
    openapi_extra=json_body(schemas.ref(WebhookRequest)),
    responses={**ok(WebhookCreated, "Subscribed", 201), **problem_responses(409, 413, 415, 422)},
    response_class=Response,
)
async def subscribe(request: Request, svc: Service, operator_id: Operator) -> Response:
    body = await read_json(request, WebhookRequest, max_bytes=8192, what="subscription")
    view, secret = await run_in_threadpool(
        lambda: svc.webhooks.subscribe(operator_id, body.url, body.event_types, description=body.description)
    )
    created = msgspec.convert(view | {"secret": secret}, WebhookCreated)
    return json_response(created, status=201)


@router.get(
    "",
    summary="The caller's subscriptions",
    responses={**ok(WebhookList, "The subscriptions")},
    response_class=Response,
)
async def list_webhooks(svc: Service, operator_id: Operator) -> Response:
    views = await run_in_threadpool(svc.webhooks.subscriptions, operator_id)
    return json_response(WebhookList(items=[_webhook(v) for v in views]))


@router.get(
    "/{webhook_id}",
    summary="One of the caller's subscriptions",
    responses={**ok(Webhook, "The subscription"), **problem_responses(404, 422)},
    response_class=Response,
)
async def read(webhook_id: WebhookId, svc: Service, operator_id: Operator) -> Response:
    return json_response(_webhook(await run_in_threadpool(svc.webhooks.read, operator_id, webhook_id)))


@router.delete(
    "/{webhook_id}",
    status_code=204,
    summary="End a subscription: what it still had to deliver is cancelled",
    responses={204: {"description": "Deleted"}, **problem_responses(404, 422)},
    response_class=Response,
)
async def delete(webhook_id: WebhookId, svc: Service, operator_id: Operator) -> Response:
    await run_in_threadpool(svc.webhooks.delete, operator_id, webhook_id)
    return Response(status_code=204)


@router.post(
    "/{webhook_id}/secret",
    summary="Rotate the signing secret: the new one is shown this once; the old one also signs for 24 hours",
    responses={**ok(WebhookSecret, "Rotated"), **problem_responses(404, 422)},
    response_class=Response,
)
async def rotate_secret(webhook_id: WebhookId, svc: Service, operator_id: Operator) -> Response:
    secret, until = await run_in_threadpool(svc.webhooks.rotate_secret, operator_id, webhook_id)
    return json_response(WebhookSecret(secret=secret, previous_secret_valid_until=until))


@router.get(
    "/{webhook_id}/deliveries",
    summary="The delivery log: each event sent, its state, next try and every try's status, newest first",
    responses={**ok(DeliveryPage, "One page"), **problem_responses(404, 422)},
    response_class=Response,
)
async def deliveries(
    webhook_id: WebhookId,
    svc: Service,
    operator_id: Operator,
    state: Annotated[DeliveryState | None, Query(description="Only deliveries in this state.")] = None,
    cursor: Annotated[str | None, Query(pattern=_ID, description="next_cursor of the previous page.")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE, description="Page size.")] = 50,
) -> Response:
    rows = await run_in_threadpool(
        lambda: svc.webhooks.deliveries(operator_id, webhook_id, state=state, before=cursor, limit=limit)
    )
    items = [_delivery(r) for r in rows]
    return json_response(DeliveryPage(items=items, next_cursor=items[-1].id if len(items) == limit else None))


@router.post(
    "/{webhook_id}/deliveries/{delivery_id}/redelivery",
    status_code=202,
    summary="Send a delivered or failed delivery again (same webhook-id), behind what is already waiting",
    responses={**ok(Delivery, "Queued again", 202), **problem_responses(404, 409, 422)},
    response_class=Response,
)
async def redeliver(webhook_id: WebhookId, delivery_id: DeliveryId, svc: Service, operator_id: Operator) -> Response:
    row = await run_in_threadpool(svc.webhooks.redeliver, operator_id, webhook_id, delivery_id)
    return json_response(_delivery(row), status=202)
