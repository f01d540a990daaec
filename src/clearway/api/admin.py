"""Administrators' API: onboard and suspend operators, issue, rotate and revoke their keys,
create people. Every call is a credential event in the audit chain (see access_service)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

import msgspec
from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from clearway.access.roles import Role
from clearway.api import schemas
from clearway.api.deps import Admin, Service, read_json
from clearway.api.responses import json_body, json_response, ok, problem_responses
from clearway.dataset.records import CountryCode, Name

router = APIRouter(prefix="/v1/admin", tags=["administration"])

OperatorId = Annotated[str, msgspec.Meta(pattern=r"^[a-z0-9][a-z0-9-]{1,62}$")]


class OperatorRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    id: OperatorId
    name: Name
    kind: Literal["marketplace", "seller", "courier", "postal_operator", "payment_provider", "broker"]
    country: CountryCode
    contact_email: Annotated[str, msgspec.Meta(min_length=3, max_length=254, pattern=r"^[^@\s]+@[^@\s]+$")]
    eori: Annotated[str, msgspec.Meta(max_length=17)] | None = None
    tax_scheme_id: Annotated[str, msgspec.Meta(max_length=35)] | None = None


class OperatorView(msgspec.Struct, kw_only=True, omit_defaults=True):
    id: str
    name: str
    kind: str
    country: str
    contact_email: str
    status: Literal["active", "suspended"]
    created_at: dt.datetime
    eori: str | None = None
    tax_scheme_id: str | None = None


class KeyRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    valid_days: Annotated[int, msgspec.Meta(ge=1, le=730)] | None = None


class IssuedKeyView(msgspec.Struct, kw_only=True):
    """A new API key. ``api_key`` is shown this once; only its hash is kept."""

    key_id: str
    operator_id: str
    api_key: str
    expires_at: dt.datetime


class KeyView(msgspec.Struct, kw_only=True, omit_defaults=True):
    key_id: str
    operator_id: str
    created_at: dt.datetime
    expires_at: dt.datetime
    revoked_at: dt.datetime | None = None


class PersonRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    username: Annotated[str, msgspec.Meta(pattern=r"^[a-z0-9][a-z0-9._-]{1,62}$")]
    display_name: Name
    role: Literal["officer", "analyst", "statistician", "admin"]
    password: Annotated[str, msgspec.Meta(min_length=1, max_length=1024)]


ADMIN_SCHEMAS: list[Any] = [OperatorRequest, OperatorView, KeyRequest, IssuedKeyView, KeyView, PersonRequest]


def _ok(schema: type, description: str, status: int = 200) -> dict[int | str, dict[str, Any]]:
    return {**ok(schema, description, status), **problem_responses(404, 409, 415, 422)}


async def _decode(request: Request, cls: type[Any]) -> Any:
    return await read_json(request, cls, max_bytes=64 * 1024, what="request")


def _operator_view(row: dict[str, Any]) -> OperatorView:
    return msgspec.convert(row, OperatorView, from_attributes=False)


@router.post(
    "/operators",
    status_code=201,
    summary="Onboard an operator",
    openapi_extra=json_body(schemas.ref(OperatorRequest)),
    responses=_ok(OperatorView, "Onboarded", 201),
    response_class=Response,
)
async def onboard_operator(request: Request, svc: Service, admin: Admin) -> Response:
    body: OperatorRequest = await _decode(request, OperatorRequest)
    row = await run_in_threadpool(
        lambda: svc.access.onboard(
            operator_id=body.id,
            name=body.name,
            kind=body.kind,
            country=body.country,
            contact_email=body.contact_email,
            eori=body.eori,
            tax_scheme_id=body.tax_scheme_id,
            actor=admin.actor,
        )
    )
    return json_response(_operator_view(row), 201)


@router.get("/operators", summary="List operators", responses=_ok(OperatorView, "Operators"), response_class=Response)
async def list_operators(svc: Service, admin: Admin) -> Response:
    rows = await run_in_threadpool(svc.access.operators)
    return json_response([_operator_view(r) for r in rows])


async def _set_status(svc: Any, operator_id: str, status: Literal["active", "suspended"], actor: str) -> Response:
    await run_in_threadpool(lambda: svc.access.set_status(operator_id, status, actor=actor))
    return json_response(_operator_view(await run_in_threadpool(svc.access.operator, operator_id)))


@router.post(
    "/operators/{operator_id}/suspension",
    summary="Suspend an operator: its keys and tokens stop working",
    responses=_ok(OperatorView, "Suspended"),
    response_class=Response,
)
async def suspend_operator(operator_id: str, svc: Service, admin: Admin) -> Response:
    return await _set_status(svc, operator_id, "suspended", admin.actor)


@router.post(
    "/operators/{operator_id}/activation",
    summary="Lift an operator's suspension",
    responses=_ok(OperatorView, "Active"),
    response_class=Response,
)
async def activate_operator(operator_id: str, svc: Service, admin: Admin) -> Response:
    return await _set_status(svc, operator_id, "active", admin.actor)


@router.post(
    "/operators/{operator_id}/keys",
    status_code=201,
    summary="Issue an API key (shown once)",
    openapi_extra=json_body(schemas.ref(KeyRequest)),
    responses=_ok(IssuedKeyView, "Issued", 201),
    response_class=Response,
)
async def issue_key(operator_id: str, request: Request, svc: Service, admin: Admin) -> Response:
    body: KeyRequest = await _decode(request, KeyRequest)
    issued, expires = await run_in_threadpool(
        lambda: svc.access.issue_key(operator_id, actor=admin.actor, valid_days=body.valid_days)
    )
    view = IssuedKeyView(key_id=issued.key_id, operator_id=operator_id, api_key=issued.plaintext, expires_at=expires)
    return json_response(view, 201)


@router.get(
    "/operators/{operator_id}/keys",
    summary="An operator's keys (never their secrets)",
    responses=_ok(KeyView, "Keys"),
    response_class=Response,
)
async def list_keys(operator_id: str, svc: Service, admin: Admin) -> Response:
    await run_in_threadpool(svc.access.operator, operator_id)
    rows = await run_in_threadpool(svc.access.keys, operator_id)
    return json_response([msgspec.convert(r, KeyView, from_attributes=False) for r in rows])


@router.post(
    "/keys/{key_id}/rotation",
    status_code=201,
    summary="Replace a key: issue a new one, revoke this one",
    responses=_ok(IssuedKeyView, "Issued", 201),
    response_class=Response,
)
async def rotate_key(key_id: str, svc: Service, admin: Admin) -> Response:
    issued, expires = await run_in_threadpool(lambda: svc.access.rotate_key(key_id, actor=admin.actor))
    operator_id = (await run_in_threadpool(svc.access.key_owner, issued.key_id)) or ""
    return json_response(
        IssuedKeyView(key_id=issued.key_id, operator_id=operator_id, api_key=issued.plaintext, expires_at=expires), 201
    )


@router.post(
    "/keys/{key_id}/revocation",
    status_code=204,
    summary="Revoke a key",
    responses={204: {"description": "Revoked"}, **problem_responses(404, 409, 415, 422)},
    response_class=Response,
)
async def revoke_key(key_id: str, svc: Service, admin: Admin) -> Response:
    await run_in_threadpool(lambda: svc.access.revoke_key(key_id, actor=admin.actor))
    return Response(status_code=204)


@router.post(
    "/people",
    status_code=201,
    summary="Create an officer, analyst, statistician or administrator",
    openapi_extra=json_body(schemas.ref(PersonRequest)),
    responses={201: {"description": "Created"}, **problem_responses(404, 409, 415, 422)},
    response_class=Response,
)
async def create_person(request: Request, svc: Service, admin: Admin) -> Response:
    body: PersonRequest = await _decode(request, PersonRequest)
    await run_in_threadpool(
        lambda: svc.access.create_person(
            username=body.username,
            display_name=body.display_name,
            role=Role(body.role),
            password=body.password,
            actor=admin.actor,
        )
    )
    return Response(status_code=201)
