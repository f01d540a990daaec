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
    410: "Gone: kept no longer (retention)",
    415: "Wrong content type",
    422: "Invalid fields; each error has a JSON pointer",
    503: "Not available now (a model or data it needs is not loaded); the detail says what to do",
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


CONSIGNMENT_PATH = "/v1/consignments/{consignment_id}"
# What a caller can do next with a consignment's id, as OpenAPI links: a client (or the stateful
# fuzzer, tests/api/test_fuzz_openapi.py) follows them from any answer that names a consignment.
_CONSIGNMENT_OPERATIONS = {
    "ReadConsignment": ("get", CONSIGNMENT_PATH, "Read the consignment back"),
    "AmendConsignment": ("post", f"{CONSIGNMENT_PATH}/amendments", "Send a new version of it"),
    "CancelConsignment": ("post", f"{CONSIGNMENT_PATH}/cancellation", "Cancel it"),
    "RefundReturn": ("post", f"{CONSIGNMENT_PATH}/return-refund", "Refund its tax once returned"),
}


def _operation_ref(method: str, path: str) -> str:
    # A JSON pointer into this document (RFC 6901 escapes), so the link does not depend on the
    # operationIds FastAPI derives from function names.
    return "#/paths/" + path.replace("~", "~0").replace("/", "~1") + "/" + method


def consignment_links(
    responses: dict[int | str, dict[str, Any]], *statuses: int, id_at: str = "/id"
) -> dict[int | str, dict[str, Any]]:
    """``responses`` with links, on the ``statuses`` whose body names a consignment at ``id_at``, to
    every operation on that consignment."""
    links = {
        name: {
            "operationRef": _operation_ref(method, path),
            "parameters": {"consignment_id": f"$response.body#{id_at}"},
            "description": description,
        }
        for name, (method, path, description) in _CONSIGNMENT_OPERATIONS.items()
    }
    return {status: {**entry, "links": links} if status in statuses else entry for status, entry in responses.items()}
