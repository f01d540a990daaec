"""Response helpers shared by the routers: JSON bodies and their OpenAPI descriptions."""

from __future__ import annotations

from typing import Any

import msgspec
from starlette.responses import Response

from clearway.api import schemas
from clearway.api.problems import PROBLEM_JSON, Problem

_ENCODER = msgspec.json.Encoder(decimal_format="string")

_PROBLEM_TEXT = {
    400: "Malformed request",
    401: "Not authenticated",
    403: "Not open to the caller's role",
    404: "Not found (or not yours)",
    409: "Conflict: the reference was used for a different message, or the state forbids it",
    413: "Body or batch too large",
    415: "Wrong content type",
    422: "Invalid fields; each error has a JSON pointer",
}


def json_response(value: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(_ENCODER.encode(value), status_code=status, media_type="application/json", headers=headers)


def problem_responses(*codes: int, public: bool = False) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the problem+json answers a route can give."""
    # Every route but a public one needs a credential, and a valid one may still belong to another role.
    every = sorted(set(codes) if public else {401, 403, *codes})
    return {
        c: {"description": _PROBLEM_TEXT[c], "content": {PROBLEM_JSON: {"schema": schemas.ref(Problem)}}} for c in every
    }


def ok(schema: type, description: str, status: int = 200) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI entry for a JSON answer of ``schema``."""
    return {status: {"description": description, "content": {"application/json": {"schema": schemas.ref(schema)}}}}


def json_body(request_schema: dict[str, Any], media: str = "application/json") -> dict[str, Any]:
    """``openapi_extra`` declaring a route's request body (routes read raw bodies themselves)."""
    return {"requestBody": {"required": True, "content": {media: {"schema": request_schema}}}}
