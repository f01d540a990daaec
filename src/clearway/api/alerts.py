"""Customs-to-customs alerts over HTTP (docs/alerts.md).

Analysts (and administrators) import a partner's signed envelope and export ours for a partner;
officers, analysts and administrators list the imported alerts; administrators keep our signing
key and the partner register. An envelope is read as raw bytes, because it is verified and kept
exactly as received.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import msgspec
from fastapi import APIRouter, Depends, Path, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from clearway.access.roles import Principal, Role
from clearway.api import schemas
from clearway.api.deps import Access, Admin, Service, read_body, read_json
from clearway.api.responses import json_body, json_response, ok, problem_responses
from clearway.app.alerts.service import DEFAULT_VALIDITY_DAYS, MAX_VALIDITY_DAYS
from clearway.risk.partner_alerts import FINDINGS, MAX_ENVELOPE_BYTES, AdminCode, Envelope, Finding, KeyId

router = APIRouter(tags=["alerts"])
ANALYSTS = Access(Role.ANALYST, Role.ADMIN)
READERS = Access(Role.OFFICER, Role.ANALYST, Role.ADMIN)
_CODE = "^[A-Z0-9][A-Z0-9-]{1,15}$"
PartnerCode = Annotated[str, Path(pattern=_CODE, description="The partner administration's code, e.g. NL.")]
Base64Key = Annotated[str, msgspec.Meta(min_length=40, max_length=64, examples=["base64 of 32 bytes"])]


class ImportResult(msgspec.Struct, kw_only=True):
    """An envelope verified and kept: how many alerts it held and how many were new."""

    envelope_id: str
    partner: str
    alerts: int
    new: int


class ImportedAlert(msgspec.Struct, kw_only=True):
    """An alert a partner sent (its sellers' pseudonyms are not shown: they mean nothing to a reader)."""

    partner_code: str
    alert_id: str
    finding: Finding
    hs_code: str
    origin: str
    issued_at: dt.datetime
    expires_at: dt.datetime


class ImportedAlertList(msgspec.Struct, kw_only=True):
    items: list[ImportedAlert]


class SigningKey(msgspec.Struct, kw_only=True):
    """Our public key, to give to partners with its fingerprint (read it to them to confirm it)."""

    key_id: str
    issuer: str
    public_key: str
    fingerprint: str
    created_at: dt.datetime


class SigningKeyRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A new signing key for our administration, named by its code; the key before it is retired."""

    issuer: AdminCode


class PartnerRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A partner administration: its name, the id and public key its envelopes are signed with, and
    the pseudonymisation key agreed with it (left out: one is generated and answered once)."""

    name: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    key_id: KeyId
    public_key: Base64Key
    shared_key: Base64Key | None = None


class PartnerView(msgspec.Struct, kw_only=True, omit_defaults=True):
    """A partner as registered; never its shared key, except ``shared_key`` once, when generated."""

    code: str
    name: str
    key_id: str
    public_key: str
    fingerprint: str
    created_at: dt.datetime
    updated_at: dt.datetime
    shared_key: str | None = None


class PartnerList(msgspec.Struct, kw_only=True):
    items: list[PartnerView]


ALERT_SCHEMAS: list[Any] = [
    Envelope,
    ImportResult,
    ImportedAlert,
    ImportedAlertList,
    SigningKey,
    SigningKeyRequest,
    PartnerRequest,
    PartnerView,
    PartnerList,
]


@router.post(
    "/v1/alerts/import",
    summary="Import a partner administration's signed envelope of alerts (refused whole if any check fails)",
    openapi_extra=json_body(schemas.ref(Envelope)),
    responses={**ok(ImportResult, "Verified and kept"), **problem_responses(413, 415, 422)},
    response_class=Response,
)
async def import_alerts(request: Request, svc: Service, principal: Annotated[Principal, Depends(ANALYSTS)]) -> Response:
    data = await read_body(request, ("application/json",), MAX_ENVELOPE_BYTES)
    result = await run_in_threadpool(lambda: svc.alerts.import_envelope(data, actor=principal.actor))
    return json_response(ImportResult(**result))


@router.get(
    "/v1/alerts/export",
    summary="Our signed envelope of alerts for one partner: consignments found non-compliant, seized or refused",
    responses={**ok(Envelope, "The signed envelope"), **problem_responses(404, 409, 422)},
    response_class=Response,
)
async def export_alerts(
    svc: Service,
    principal: Annotated[Principal, Depends(ANALYSTS)],
    partner: Annotated[str, Query(pattern=_CODE, description="The partner it is for (its shared key).")],
    since: Annotated[dt.datetime, Query(description="Findings from this time (ISO 8601 with a zone).")],
    until: Annotated[dt.datetime | None, Query(description="Findings before this time (default: now).")] = None,
    valid_days: Annotated[
        int, Query(ge=1, le=MAX_VALIDITY_DAYS, description="How long the partner should act on each alert.")
    ] = DEFAULT_VALIDITY_DAYS,
) -> Response:
    start, end = _aware(since), None if until is None else _aware(until)
    data = await run_in_threadpool(
        lambda: svc.alerts.export(partner, start, end, actor=principal.actor, valid_days=valid_days)
    )
    return Response(data, media_type="application/json")


def _aware(at: dt.datetime) -> dt.datetime:
    # A time without a zone is read as UTC (the envelope's times are UTC).
    return at if at.tzinfo is not None else at.replace(tzinfo=dt.UTC)


@router.get(
    "/v1/alerts",
    summary="Alerts imported from partners, newest first",
    responses={**ok(ImportedAlertList, "The alerts"), **problem_responses(422)},
    response_class=Response,
)
async def list_alerts(
    svc: Service,
    _: Annotated[Principal, Depends(READERS)],
    partner: Annotated[str | None, Query(pattern=_CODE, description="Only this partner's.")] = None,
    limit: Annotated[int, Query(ge=1, le=500, description="At most this many.")] = 100,
) -> Response:
    rows = await run_in_threadpool(lambda: svc.alerts.alerts(partner, limit))
    return json_response(ImportedAlertList(items=[msgspec.convert(r, ImportedAlert) for r in rows]))


@router.get(
    "/v1/admin/alerts/key",
    summary="Our signing key's public half, to give to partners",
    responses={**ok(SigningKey, "Our key"), **problem_responses(404)},
    response_class=Response,
)
async def read_key(svc: Service, _: Admin) -> Response:
    return json_response(msgspec.convert(await run_in_threadpool(svc.alerts.our_key), SigningKey))


@router.post(
    "/v1/admin/alerts/key",
    status_code=201,
    summary="Create our signing key (the one before it is retired: give partners the new public key)",
    openapi_extra=json_body(schemas.ref(SigningKeyRequest)),
    responses={**ok(SigningKey, "Created", 201), **problem_responses(413, 415, 422)},
    response_class=Response,
)
async def create_key(request: Request, svc: Service, admin: Admin) -> Response:
    body = await read_json(request, SigningKeyRequest, max_bytes=1024, what="key request")
    view = await run_in_threadpool(lambda: svc.alerts.create_key(body.issuer, actor=admin.actor))
    return json_response(msgspec.convert(view, SigningKey), status=201)


@router.get(
    "/v1/admin/alerts/partners",
    summary="The partner administrations alerts are exchanged with",
    responses={**ok(PartnerList, "The partners")},
    response_class=Response,
)
async def list_partners(svc: Service, _: Admin) -> Response:
    rows = await run_in_threadpool(svc.alerts.partners)
    return json_response(PartnerList(items=[msgspec.convert(r, PartnerView) for r in rows]))


@router.put(
    "/v1/admin/alerts/partners/{code}",
    summary="Register a partner administration, or replace its keys",
    openapi_extra=json_body(schemas.ref(PartnerRequest)),
    responses={**ok(PartnerView, "Registered"), **problem_responses(413, 415, 422)},
    response_class=Response,
)
async def put_partner(code: PartnerCode, request: Request, svc: Service, admin: Admin) -> Response:
    body = await read_json(request, PartnerRequest, max_bytes=4096, what="partner")
    view, generated = await run_in_threadpool(
        lambda: svc.alerts.add_partner(
            code, body.name, body.key_id, body.public_key, body.shared_key, actor=admin.actor
        )
    )
    return json_response(msgspec.convert({**view, "shared_key": generated}, PartnerView))


__all__ = ["ALERT_SCHEMAS", "FINDINGS", "router"]
