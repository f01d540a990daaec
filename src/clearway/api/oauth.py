"""OAuth2 client credentials (RFC 6749 section 4.4): an API key's id and secret buy a short-lived
access token, so that the long-lived secret travels once rather than on every request."""

from __future__ import annotations

import base64
import binascii
from typing import Any

import msgspec
from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from clearway.access import credentials
from clearway.api.deps import PUBLIC, Service
from clearway.api.security_events import recorder

router = APIRouter(prefix="/v1/oauth", tags=["authentication"])


class TokenResponse(msgspec.Struct, kw_only=True):
    access_token: str
    token_type: str
    expires_in: int


class TokenError(msgspec.Struct, kw_only=True):
    error: str
    error_description: str


def _error(status: int, error: str, description: str) -> Response:
    headers = {"Cache-Control": "no-store"}
    if status == 401:
        headers["WWW-Authenticate"] = 'Basic realm="clearway"'
    body = msgspec.json.encode(TokenError(error=error, error_description=description))
    return Response(body, status_code=status, media_type="application/json", headers=headers)


def _basic(header: str | None) -> tuple[str, str] | None:
    if not header or not header.lower().startswith("basic "):
        return None
    try:
        decoded = base64.b64decode(header[6:], validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    client_id, sep, secret = decoded.partition(":")
    return (client_id, secret) if sep else None


_FORM = "application/x-www-form-urlencoded"
_OPENAPI: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            _FORM: {
                "schema": {
                    "type": "object",
                    "required": ["grant_type"],
                    "properties": {
                        "grant_type": {"type": "string", "enum": ["client_credentials"]},
                        "client_id": {"type": "string", "description": "The API key's id (12 hex digits)"},
                        "client_secret": {"type": "string", "description": "The API key's secret part"},
                    },
                }
            }
        },
    }
}
_TOKEN = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/TokenResponse"}}}}
_ERROR = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/TokenError"}}}}


@router.post(
    "/token",
    summary="Exchange an API key's id and secret for an access token",
    dependencies=[Depends(PUBLIC)],
    openapi_extra=_OPENAPI,
    responses={
        200: {"description": "An access token", **_TOKEN},
        400: {"description": "Malformed request", **_ERROR},
        401: {"description": "Unknown, expired, revoked or suspended client", **_ERROR},
    },
    response_class=Response,
)
async def token(request: Request, svc: Service) -> Response:
    if request.headers.get("content-type", "").split(";")[0].strip().lower() != _FORM:
        return _error(400, "invalid_request", f"send the request as {_FORM}")
    form = await request.form()
    if form.get("grant_type") != "client_credentials":
        return _error(400, "unsupported_grant_type", "only client_credentials is supported")
    pair = _basic(request.headers.get("authorization"))
    if pair is None:
        client_id, secret = form.get("client_id"), form.get("client_secret")
        if not isinstance(client_id, str) or not isinstance(secret, str):
            await recorder(request).denied(request, "no_credential", 401)
            return _error(401, "invalid_client", "give client_id and client_secret, or HTTP Basic credentials")
        pair = (client_id, secret)
    client_id, secret = pair
    # Accept the whole API key as the secret too, as clients tend to paste it.
    parsed = credentials.parse_key(secret)
    if parsed is not None and parsed[0] == client_id:
        secret = parsed[1]
    access_token = await run_in_threadpool(svc.access.token, client_id, secret)
    if access_token is None:
        await recorder(request).denied(request, "bad_client", 401)
        return _error(401, "invalid_client", "unknown, expired, revoked or suspended client")
    lifetime = svc.settings.token_minutes * 60
    body = TokenResponse(access_token=access_token, token_type="Bearer", expires_in=lifetime)  # noqa: S106 (a scheme name)
    return Response(msgspec.json.encode(body), media_type="application/json", headers={"Cache-Control": "no-store"})
