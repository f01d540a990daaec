"""Request dependencies shared by the routers: the service, the calling operator, body reading."""

from __future__ import annotations

import functools
import hmac
from typing import Annotated, TypeVar

import msgspec
from fastapi import Depends, Request

from clearway.access import credentials
from clearway.access.roles import Principal, Role
from clearway.api.problems import ApiError
from clearway.app.access.operators import AccessService
from clearway.app.platform import Clearway
from clearway.clearance.errors import InvalidRecord
from clearway.dataset.decode import RecordDecoder

# Dependencies are async so that FastAPI calls them inline: sync ones each cost a thread-pool hop,
# which on the single-submission path was a quarter of the server's time.

SESSION_COOKIE = "cw_session"
CSRF_HEADER = "X-CSRF-Token"
_UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})


async def service(request: Request) -> Clearway:
    svc: Clearway = request.app.state.clearway
    return svc


class Access:
    """A route's access rule, declared on every route: the roles it admits, or public.

    Deny by default: a route without an Access dependency fails the route-enumeration test, and a
    caller without a valid credential for one of the roles gets 401 or 403. Machines present an
    API key or an OAuth2 access token as a Bearer credential; people present their session
    cookie, and for anything but a read also the session's CSRF token.
    """

    def __init__(self, *roles: Role, public: bool = False) -> None:
        if public == bool(roles):
            raise ValueError("a route is either public or admits some roles")
        self.roles = frozenset(roles)
        self.public = public

    def __repr__(self) -> str:
        return "Access(public)" if self.public else f"Access({', '.join(sorted(self.roles))})"

    async def __call__(self, request: Request) -> Principal | None:
        if self.public:
            return None
        principal = await authenticate(request)
        if principal.role not in self.roles:
            detail = f"this route is not open to the role '{principal.role}'"
            raise ApiError(403, "Forbidden", detail, "forbidden", denial="role")
        return principal


def _unauthenticated(detail: str, denial: str) -> ApiError:
    error = ApiError(401, "Not authenticated", detail, "unauthenticated", denial=denial)
    error.headers = {"WWW-Authenticate": 'Bearer realm="clearway"'}
    return error


def caller(request: Request) -> Principal | None:
    """The principal ``authenticate`` found for this request, if it got that far."""
    principal: Principal | None = getattr(request.state, "principal", None)
    return principal


async def authenticate(request: Request) -> Principal:
    """The caller, from its Bearer credential or its session; also kept on ``request.state`` so that
    a refusal later in the request (a role, a CSRF token, another operator's data) names it."""
    access: AccessService = request.app.state.clearway.access
    authorization = request.headers.get("authorization")
    if authorization is not None:
        scheme, _, credential = authorization.partition(" ")
        if scheme.lower() != "bearer" or not credential:
            raise _unauthenticated("use 'Authorization: Bearer <API key or access token>'", "bad_scheme")
        if credential.startswith(credentials.PREFIX):
            principal, denial = access.authenticate_key(credential), "bad_key"
        else:
            principal, denial = access.authenticate_token(credential), "bad_token"
        if principal is None:
            detail = "the API key or access token is not valid (unknown, expired, revoked or suspended)"
            raise _unauthenticated(detail, denial)
        request.state.principal = principal
        return principal
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        found = access.session(token)
        if found is None:
            raise _unauthenticated("the session has expired; log in again", "bad_session")
        principal, csrf = found
        request.state.principal = principal
        if request.method in _UNSAFE and not hmac.compare_digest(request.headers.get(CSRF_HEADER, ""), csrf):
            detail = f"send the session's {CSRF_HEADER} header"
            raise ApiError(403, "CSRF token missing or wrong", detail, "csrf", denial="csrf")
        return principal
    raise _unauthenticated("send an API key or access token as 'Authorization: Bearer ...'", "no_credential")


OPERATORS = Access(Role.OPERATOR)
ADMINS = Access(Role.ADMIN)
PUBLIC = Access(public=True)


async def _operator_id(principal: Annotated[Principal, Depends(OPERATORS)]) -> str:
    return principal.id


Service = Annotated[Clearway, Depends(service)]
# The calling operator's id: every operator route reads and writes only that operator's data.
Operator = Annotated[str, Depends(_operator_id)]
Admin = Annotated[Principal, Depends(ADMINS)]


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
    too_large = ApiError(
        413, "Request body too large", f"this endpoint takes at most {max_bytes:,} bytes", "body-too-large"
    )
    # Refused before reading when the declared length says so, and while reading otherwise (a chunked
    # body declares none): the route's limit, not only the application's, bounds what is buffered.
    declared_length = request.headers.get("content-length", "")
    if declared_length.isascii() and declared_length.isdigit() and int(declared_length) > max_bytes:
        raise too_large
    chunks: list[bytes] = []
    seen = 0
    async for chunk in request.stream():
        seen += len(chunk)
        if seen > max_bytes:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)


_T = TypeVar("_T", bound=msgspec.Struct)


@functools.lru_cache(maxsize=64)
def _decoder(cls: type[_T]) -> RecordDecoder[_T]:
    return RecordDecoder(cls)


async def read_json(request: Request, cls: type[_T], *, max_bytes: int, what: str) -> _T:
    """A JSON body decoded strictly into ``cls``; every failing field is reported with its pointer."""
    body = await read_body(request, ("application/json",), max_bytes)
    decoder: RecordDecoder[_T] = _decoder(cls)
    record, errors = decoder.decode(body)
    if record is None:
        raise InvalidRecord(f"the {what} has invalid fields", errors)
    return record
