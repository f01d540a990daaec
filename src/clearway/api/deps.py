"""Request dependencies shared by the routers: the service, the calling operator, body reading."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import Depends, Header, Request

from clearway.api.problems import ApiError
from clearway.service import Clearway

# Dependencies are async so that FastAPI calls them inline: sync ones each cost a thread-pool hop,
# which on the single-submission path was a quarter of the server's time.
OPERATOR_HEADER = "X-Clearway-Operator"
_OPERATOR_ID = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")


async def service(request: Request) -> Clearway:
    svc: Clearway = request.app.state.clearway
    return svc


async def operator_id(
    x_clearway_operator: Annotated[
        str | None,
        Header(
            alias=OPERATOR_HEADER,
            description="The submitting operator's id (identifies; credentials come later).",
        ),
    ] = None,
) -> str:
    if x_clearway_operator is None:
        raise ApiError(401, "Operator not identified", f"send the {OPERATOR_HEADER} header", "operator-missing")
    if not _OPERATOR_ID.match(x_clearway_operator):
        raise ApiError(
            400,
            "Invalid operator id",
            "operator ids are 2-63 lower-case letters, digits and hyphens",
            "operator-invalid",
        )
    return x_clearway_operator


Service = Annotated[Clearway, Depends(service)]
Operator = Annotated[str, Depends(operator_id)]


async def read_body(request: Request, media_types: tuple[str, ...], max_bytes: int) -> bytes:
    """The raw body, after checking its declared type (no content sniffing) and its size."""
    declared = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if declared not in media_types:
        raise ApiError(
            415,
            "Unsupported media type",
            f"send the body as {' or '.join(media_types)}, not {declared or 'an undeclared type'}",
            "unsupported-media-type",
        )
    body = await request.body()
    if len(body) > max_bytes:
        raise ApiError(
            413,
            "Request body too large",
            f"this endpoint takes at most {max_bytes:,} bytes",
            "body-too-large",
        )
    return body
