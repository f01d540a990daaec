"""Administrators' API: onboard and suspend operators, issue, rotate and revoke their keys,
create, disable and enable people, reset their passwords and end their sessions; and a person's
own password change (``/v1/me``). Every call is a credential event in the audit chain (see
access_service and people_access)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

import msgspec
from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from clearway.access.passwords import MIN_LENGTH
from clearway.access.roles import PEOPLE_ROLES, OperatorKind, Principal, Role
from clearway.api import schemas
from clearway.api.deps import SESSION_COOKIE, Access, Admin, Service, read_json
from clearway.api.problems import ApiError
from clearway.api.responses import json_body, json_response, ok, problem_responses
from clearway.app.access.operators import TooManyAttempts
from clearway.dataset.records import EMAIL_PATTERN, CountryCode, Eori, Name

_admin = APIRouter(prefix="/v1/admin", tags=["administration"])
_me = APIRouter(prefix="/v1/me", tags=["people"])

OperatorId = Annotated[str, msgspec.Meta(pattern=r"^[a-z0-9][a-z0-9-]{1,62}$(?!\n)")]


Password = Annotated[str, msgspec.Meta(min_length=1, max_length=1024)]
# A new password: the length the server asks for is in the document; its other rules (distinct
# characters, not a common password nor the username) are checked by the server and named in its 422.
NewPassword = Annotated[str, msgspec.Meta(min_length=MIN_LENGTH, max_length=1024)]


class OperatorRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    id: OperatorId
    name: Name
    kind: Literal["marketplace", "seller", "courier", "postal_operator", "payment_provider", "broker"]
    country: CountryCode
    contact_email: Annotated[str, msgspec.Meta(min_length=3, max_length=254, pattern=EMAIL_PATTERN)]
    eori: Eori | None = None
    tax_scheme_id: Annotated[str, msgspec.Meta(max_length=35)] | None = None


class OperatorView(msgspec.Struct, kw_only=True, omit_defaults=True):
    id: str
    name: str
    kind: OperatorKind
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
    username: Annotated[str, msgspec.Meta(pattern=r"^[a-z0-9][a-z0-9._-]{1,62}$(?!\n)")]
    display_name: Name
    role: Literal["officer", "analyst", "statistician", "admin"]
    password: NewPassword


class PersonView(msgspec.Struct, kw_only=True):
    username: str
    display_name: str
    role: Literal["officer", "analyst", "statistician", "admin"]
    disabled: bool
    created_at: dt.datetime


class PasswordReset(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A new password set by an administrator: all the person's sessions end."""

    password: NewPassword


class PasswordChange(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A signed-in person's own change: the current password, then the new one."""

    current_password: Password
    new_password: NewPassword


class SessionsEnded(msgspec.Struct, kw_only=True):
    sessions_ended: int


# Lists are objects with their items rather than bare arrays, so that paging (a next_cursor) or a
# total can be added later without breaking a client; the lists are short today (operators are
# onboarded one by one, keys rotate out), so each is answered whole.
class OperatorList(msgspec.Struct, kw_only=True):
    """Every operator, by id."""

    items: list[OperatorView]


class KeyList(msgspec.Struct, kw_only=True):
    """An operator's keys, oldest first, revoked and expired ones included; never their secrets."""

    items: list[KeyView]


class PersonList(msgspec.Struct, kw_only=True):
    """Every person, by username, never their passwords."""

    items: list[PersonView]


ADMIN_SCHEMAS: list[Any] = [
    OperatorRequest,
    OperatorView,
    KeyRequest,
    IssuedKeyView,
    KeyView,
    PersonRequest,
    PersonView,
    PasswordReset,
    PasswordChange,
    SessionsEnded,
    OperatorList,
    KeyList,
    PersonList,
]


# What a route with a JSON body can also answer: too large, not JSON, invalid fields.
_BODY = (413, 415, 422)


def _ok(schema: type, description: str, *codes: int, status: int = 200) -> dict[int | str, dict[str, Any]]:
    """A JSON answer of ``schema`` and the problems the route can give (401 and 403 always)."""
    return {**ok(schema, description, status), **problem_responses(*codes)}


async def _decode(request: Request, cls: type[Any]) -> Any:
    return await read_json(request, cls, max_bytes=64 * 1024, what="request")


def _operator_view(row: dict[str, Any]) -> OperatorView:
    return msgspec.convert(row, OperatorView, from_attributes=False)


@_admin.post(
    "/operators",
    status_code=201,
    summary="Onboard an operator",
    openapi_extra=json_body(schemas.ref(OperatorRequest)),
    responses=_ok(OperatorView, "Onboarded", 409, *_BODY, status=201),
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


@_admin.get(
    "/operators",
    summary="List operators",
    responses={**ok(OperatorList, "Operators"), **problem_responses()},
    response_class=Response,
)
async def list_operators(svc: Service, admin: Admin) -> Response:
    rows = await run_in_threadpool(svc.access.operators)
    return json_response(OperatorList(items=[_operator_view(r) for r in rows]))


async def _set_status(svc: Any, operator_id: str, status: Literal["active", "suspended"], actor: str) -> Response:
    await run_in_threadpool(lambda: svc.access.set_status(operator_id, status, actor=actor))
    return json_response(_operator_view(await run_in_threadpool(svc.access.operator, operator_id)))


@_admin.post(
    "/operators/{operator_id}/suspension",
    summary="Suspend an operator: its keys and tokens stop working",
    responses=_ok(OperatorView, "Suspended", 404),
    response_class=Response,
)
async def suspend_operator(operator_id: str, svc: Service, admin: Admin) -> Response:
    return await _set_status(svc, operator_id, "suspended", admin.actor)


@_admin.post(
    "/operators/{operator_id}/activation",
    summary="Lift an operator's suspension",
    responses=_ok(OperatorView, "Active", 404),
    response_class=Response,
)
async def activate_operator(operator_id: str, svc: Service, admin: Admin) -> Response:
    return await _set_status(svc, operator_id, "active", admin.actor)


@_admin.post(
    "/operators/{operator_id}/keys",
    status_code=201,
    summary="Issue an API key (shown once)",
    openapi_extra=json_body(schemas.ref(KeyRequest)),
    responses=_ok(IssuedKeyView, "Issued", 404, *_BODY, status=201),
    response_class=Response,
)
async def issue_key(operator_id: str, request: Request, svc: Service, admin: Admin) -> Response:
    body: KeyRequest = await _decode(request, KeyRequest)
    issued, expires = await run_in_threadpool(
        lambda: svc.access.issue_key(operator_id, actor=admin.actor, valid_days=body.valid_days)
    )
    view = IssuedKeyView(key_id=issued.key_id, operator_id=operator_id, api_key=issued.plaintext, expires_at=expires)
    return json_response(view, 201)


@_admin.get(
    "/operators/{operator_id}/keys",
    summary="An operator's keys (never their secrets)",
    responses={**ok(KeyList, "Keys"), **problem_responses(404)},
    response_class=Response,
)
async def list_keys(operator_id: str, svc: Service, admin: Admin) -> Response:
    await run_in_threadpool(svc.access.operator, operator_id)
    rows = await run_in_threadpool(svc.access.keys, operator_id)
    return json_response(KeyList(items=[msgspec.convert(r, KeyView, from_attributes=False) for r in rows]))


@_admin.post(
    "/keys/{key_id}/rotation",
    status_code=201,
    summary="Replace a key: issue a new one, revoke this one",
    responses=_ok(IssuedKeyView, "Issued", 404, status=201),
    response_class=Response,
)
async def rotate_key(key_id: str, svc: Service, admin: Admin) -> Response:
    issued, expires = await run_in_threadpool(lambda: svc.access.rotate_key(key_id, actor=admin.actor))
    operator_id = (await run_in_threadpool(svc.access.key_owner, issued.key_id)) or ""
    return json_response(
        IssuedKeyView(key_id=issued.key_id, operator_id=operator_id, api_key=issued.plaintext, expires_at=expires), 201
    )


@_admin.post(
    "/keys/{key_id}/revocation",
    status_code=204,
    summary="Revoke a key",
    responses={204: {"description": "Revoked"}, **problem_responses(404)},
    response_class=Response,
)
async def revoke_key(key_id: str, svc: Service, admin: Admin) -> Response:
    await run_in_threadpool(lambda: svc.access.revoke_key(key_id, actor=admin.actor))
    return Response(status_code=204)


@_admin.post(
    "/people",
    status_code=201,
    summary="Create an officer, analyst, statistician or administrator",
    openapi_extra=json_body(schemas.ref(PersonRequest)),
    responses={
        201: {
            "description": "Created: the person as listed (never the password)",
            "content": {"application/json": {"schema": schemas.ref(PersonView)}},
        },
        **problem_responses(409, *_BODY),
    },
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
    row = await run_in_threadpool(svc.access.person, body.username)
    return json_response(msgspec.convert(row, PersonView, from_attributes=False), status=201)


@_admin.get(
    "/people",
    summary="List people (never their passwords)",
    responses={**ok(PersonList, "People"), **problem_responses()},
    response_class=Response,
)
async def list_people(svc: Service, admin: Admin) -> Response:
    rows = await run_in_threadpool(svc.access.people)
    return json_response(PersonList(items=[msgspec.convert(r, PersonView, from_attributes=False) for r in rows]))


async def _set_disabled(svc: Any, username: str, disabled: bool, actor: str) -> Response:
    await run_in_threadpool(lambda: svc.access.set_disabled(username, disabled, actor=actor))
    row = await run_in_threadpool(svc.access.person, username)
    return json_response(msgspec.convert(row, PersonView, from_attributes=False))


@_admin.post(
    "/people/{username}/disable",
    summary="Disable a person: sign-in is refused and their sessions end at once",
    responses=_ok(PersonView, "Disabled", 404, 409),
    response_class=Response,
)
async def disable_person(username: str, svc: Service, admin: Admin) -> Response:
    return await _set_disabled(svc, username, True, admin.actor)


@_admin.post(
    "/people/{username}/enable",
    summary="Enable a disabled person again",
    responses=_ok(PersonView, "Enabled", 404),
    response_class=Response,
)
async def enable_person(username: str, svc: Service, admin: Admin) -> Response:
    return await _set_disabled(svc, username, False, admin.actor)


@_admin.post(
    "/people/{username}/password",
    summary="Reset a person's password: all their sessions end",
    openapi_extra=json_body(schemas.ref(PasswordReset)),
    responses=_ok(SessionsEnded, "Reset", 404, *_BODY),
    response_class=Response,
)
async def reset_password(username: str, request: Request, svc: Service, admin: Admin) -> Response:
    body: PasswordReset = await _decode(request, PasswordReset)
    ended = await run_in_threadpool(lambda: svc.access.reset_password(username, body.password, actor=admin.actor))
    return json_response(SessionsEnded(sessions_ended=ended))


@_admin.delete(
    "/people/{username}/sessions",
    summary="End all of a person's sessions",
    responses=_ok(SessionsEnded, "Ended", 404),
    response_class=Response,
)
async def end_sessions(username: str, svc: Service, admin: Admin) -> Response:
    ended = await run_in_threadpool(lambda: svc.access.end_sessions(username, actor=admin.actor))
    return json_response(SessionsEnded(sessions_ended=ended))


Person = Annotated[Principal, Depends(Access(*PEOPLE_ROLES))]


@_me.post(
    "/password",
    summary="Change your own password (current and new): your other sessions end",
    openapi_extra=json_body(schemas.ref(PasswordChange)),
    responses={**ok(SessionsEnded, "Changed"), **problem_responses(404, *_BODY)},
    response_class=Response,
)
async def change_own_password(request: Request, svc: Service, person: Person) -> Response:
    body: PasswordChange = await _decode(request, PasswordChange)
    token = request.cookies.get(SESSION_COOKIE, "")
    address = request.client.host if request.client else None
    try:
        ended = await run_in_threadpool(
            lambda: svc.access.change_password(token, body.current_password, body.new_password, address=address)
        )
    except TooManyAttempts as exc:
        error = ApiError(429, exc.title, exc.detail, exc.slug)
        error.headers = {"Retry-After": str(exc.retry_after)}
        raise error from exc
    return json_response(SessionsEnded(sessions_ended=ended))


# One router for the application to include: the administration and the person's own routes.
router = APIRouter()
router.include_router(_admin)
router.include_router(_me)
