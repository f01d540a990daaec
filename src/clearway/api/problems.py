"""RFC 9457 problem details: every error the API returns is application/problem+json.

Field errors travel in an ``errors`` extension member, each with a JSON pointer (RFC 6901) into the
request body and a sentence saying what is wrong.
"""

from __future__ import annotations

import logging
from typing import Any, Protocol

import msgspec
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.routing import Match

from clearway.app.logs import REQUEST_ID
from clearway.clearance.errors import ClearwayError, NotFound
from clearway.clearance.lifecycle import IllegalTransition
from clearway.dataset.errors import FieldError

log = logging.getLogger("clearway.api")

PROBLEM_JSON = "application/problem+json"
PROBLEM_BASE = "https://clearway.dev/problems/"


class Problem(msgspec.Struct, omit_defaults=True):
    type: str
    title: str
    status: int
    detail: str
    instance: str | None = None
    errors: list[FieldError] = []


def problem(
    status: int,
    title: str,
    detail: str,
    *,
    slug: str,
    errors: list[FieldError] | None = None,
    instance: str | None = None,
) -> Response:
    body = Problem(
        type=PROBLEM_BASE + slug,
        title=title,
        status=status,
        detail=detail,
        instance=instance,
        errors=errors or [],
    )
    return Response(msgspec.json.encode(body), status_code=status, media_type=PROBLEM_JSON)


class ApiError(Exception):
    """An HTTP-level refusal that is not a domain error (wrong content type, body too large...).

    ``denial`` is set on refused authentication and authorisation: the reason code under which the
    refusal goes to the audit chain (clearway.audit.denials.REASONS).
    """

    def __init__(
        self,
        status: int,
        title: str,
        detail: str,
        slug: str,
        errors: list[FieldError] | None = None,
        *,
        denial: str | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.title = title
        self.detail = detail
        self.slug = slug
        self.errors = errors or []
        self.denial = denial
        self.headers: dict[str, str] = {}


_DENIAL_BY_SLUG = {"csrf": "csrf", "forbidden": "role"}


class DenialRecorder(Protocol):
    """Where refused requests are recorded (api/security_events.py)."""

    async def denied(self, request: Request, reason: str, status: int) -> None: ...

    async def missing(self, request: Request) -> None: ...


def _loc_pointer(loc: tuple[Any, ...]) -> str:
    parts = (
        [str(p) for p in loc[1:]] if loc and loc[0] in ("body", "query", "path", "header") else [str(p) for p in loc]
    )
    return "/" + "/".join(parts) if parts else ""


def install(app: FastAPI, denials: DenialRecorder | None = None) -> None:
    """One handler table from exceptions to problems; refusals also go to ``denials``."""

    @app.exception_handler(ClearwayError)
    async def _domain(request: Request, exc: ClearwayError) -> Response:
        if denials is not None and isinstance(exc, NotFound):
            # An operator asking for a consignment that is not its own answers 404 like a missing
            # one; the recorder tells the two apart, for the audit chain only.
            await denials.missing(request)
        return problem(exc.status, exc.title, exc.detail, slug=exc.slug, errors=exc.errors, instance=request.url.path)

    @app.exception_handler(IllegalTransition)
    async def _transition(request: Request, exc: IllegalTransition) -> Response:
        return problem(409, "Conflict", str(exc), slug="illegal-transition", instance=request.url.path)

    @app.exception_handler(ApiError)
    async def _api(request: Request, exc: ApiError) -> Response:
        # Refusals raised without a reason code (the pages' forms) are recorded by their slug.
        denial = exc.denial or (_DENIAL_BY_SLUG.get(exc.slug) if exc.status == 403 else None)
        if denials is not None and denial is not None:
            await denials.denied(request, denial, exc.status)
        response = problem(
            exc.status, exc.title, exc.detail, slug=exc.slug, errors=exc.errors, instance=request.url.path
        )
        response.headers.update(exc.headers)
        return response

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        errors = [FieldError(_loc_pointer(tuple(e.get("loc", ()))), str(e.get("msg", "invalid"))) for e in exc.errors()]
        return problem(
            422,
            "Invalid request",
            "the request has invalid parameters",
            slug="invalid-request",
            errors=errors,
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        # A bug must still answer in the API's own format, and without internals in the body.
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        response = problem(500, "Internal error", "the server failed to handle this request", slug="internal-error")
        # This answer is sent from outside the middlewares: it names the request id itself, so that
        # whoever got the 500 can give the id that finds the traceback in the log (api/observe.py).
        request_id = REQUEST_ID.get()
        if request_id is not None:
            response.headers["X-Request-ID"] = request_id
        return response

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        title = {404: "Not found", 405: "Method not allowed"}.get(exc.status_code, "Error")
        response = problem(
            exc.status_code,
            title,
            str(exc.detail),
            slug=title.lower().replace(" ", "-"),
            instance=request.url.path,
        )
        response.headers.update(exc.headers or {})
        # RFC 9110 section 15.5.6: a 405 lists the methods the resource supports (none known: no header).
        if exc.status_code == 405 and (allowed := allowed_methods(app, request)):
            response.headers["Allow"] = allowed
        return response


_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def allowed_methods(app: FastAPI, request: Request) -> str:
    """Every method served at the request's path. Starlette's own Allow names only the first route
    that matched the path, and a path such as /v1/consignments has one route per method; FastAPI's
    included routers nest, so each method is asked of the router rather than read off the routes."""
    served = [
        method
        for method in _METHODS
        if any(route.matches({**request.scope, "method": method})[0] is Match.FULL for route in app.router.routes)
    ]
    return ", ".join(served)
