"""Refused requests on the audit chain, and the administrators' view of them.

``SecurityEvents`` is what the problem handlers (api/problems.py) tell about every refused
authentication or authorisation: a bad API key, token or session, a role a route does not admit,
a missing CSRF token, an operator asking for a consignment that is not its own (which it is
answered 404, like a missing one). Each goes to the audit chain as ``security.denied``, at most
CLEARWAY_SECURITY_EVENTS_PER_MINUTE per client address and reason, the rest counted into one
``security.suppressed`` entry (clearway.audit.denials). A failed write is logged, never turned
into a 500: the caller is refused all the same.

``GET /v1/admin/security-events`` reads them back, for administrators only.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable, Sequence
from typing import Annotated, Any, Literal

import msgspec
import sqlalchemy as sa
from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from clearway.access.roles import Role
from clearway.api.access_log import client_address, method_of, route_template
from clearway.api.deps import Admin, Service, caller
from clearway.api.responses import json_response, ok, problem_responses
from clearway.app.platform import Clearway
from clearway.audit.chain import AuditEntry
from clearway.audit.denials import ANONYMOUS, DENIED, Denial, DenialThrottle, Suppressed
from clearway.store.security_log import consignment_owner, security_entries, subscription_owner

log = logging.getLogger("clearway.security")
WINDOW_SECONDS = 60.0


class SecurityEvents:
    """Records refused requests, throttled (one instance per application, used from its event loop)."""

    def __init__(self, svc: Clearway, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.svc = svc
        self.throttle = DenialThrottle(per_key=max(1, per_minute), window_seconds=WINDOW_SECONDS)
        self.clock = clock

    async def denied(self, request: Request, reason: str, status: int) -> None:
        principal = caller(request)
        scope = request.scope
        denial = Denial(
            reason=reason,
            status=status,
            address=client_address(scope),
            method=method_of(scope),
            route=route_template(scope),
            actor=principal.actor if principal is not None else ANONYMOUS,
        )
        now = self.clock()
        admitted = self.throttle.admit(denial.address, reason, now)
        await self._write([denial] if admitted else [], self.throttle.due(now))

    async def missing(self, request: Request) -> None:
        """A 404 on an operator's consignment or webhook route: another operator's, or none at all."""
        principal = caller(request)
        if principal is None or principal.role is not Role.OPERATOR:
            return
        consignment_id = request.path_params.get("consignment_id")
        webhook_id = request.path_params.get("webhook_id")
        if isinstance(consignment_id, str):
            owner = await run_in_threadpool(self._owner, consignment_owner, consignment_id)
        elif isinstance(webhook_id, str):
            owner = await run_in_threadpool(self._owner, subscription_owner, webhook_id)
        else:
            return
        if owner == principal.id:
            return  # its own, missing something else (a delivery, a document): not a refusal
        await self.denied(request, "not_found" if owner is None else "other_operator", 404)

    async def flush(self, *, everything: bool = False) -> None:
        """Write the summaries that are due (all of them at shutdown)."""
        summaries = self.throttle.drain() if everything else self.throttle.due(self.clock())
        await self._write([], summaries)

    def _owner(self, lookup: Callable[[sa.Connection, str], str | None], key: str) -> str | None:
        with self.svc.engine.connect() as conn:
            return lookup(conn, key)

    async def _write(self, denials: Sequence[Denial], summaries: Sequence[Suppressed]) -> None:
        if not denials and not summaries:
            return
        at = dt.datetime.now(dt.UTC)
        events = [d.event(at) for d in denials] + [s.event(at) for s in summaries]

        def append() -> None:
            for event in events:
                self.svc.audit_event(event.actor, event.action, event.subject, **event.detail)

        try:
            await run_in_threadpool(append)
        except Exception:  # the refusal stands; only its record is lost, and the log says so
            log.exception("could not record %d security events", len(events))


def recorder(request: Request) -> SecurityEvents:
    """The application's recorder (created in api/app.py)."""
    events: SecurityEvents = request.app.state.security_events
    return events


# --- the administrators' view -----------------------------------------------------------------

router = APIRouter(prefix="/v1/admin", tags=["administration"])


class SecurityEventView(msgspec.Struct, kw_only=True, omit_defaults=True):
    """A refused request (``security.denied``), or a count of those not recorded one by one in a
    window (``security.suppressed``). Codes and identifiers only: no credential, no query string."""

    seq: int
    at: dt.datetime
    action: Literal["security.denied", "security.suppressed"]
    actor: str
    reason: str
    address: str
    method: str | None = None
    route: str | None = None
    status: int | None = None
    suppressed: int | None = None
    window_seconds: int | None = None


class SecurityEventPage(msgspec.Struct, kw_only=True):
    items: list[SecurityEventView]
    # Pass as ``after`` for the next page; null when this page is the last.
    next_after: int | None


SECURITY_SCHEMAS: list[Any] = [SecurityEventView, SecurityEventPage]


def _utc(since: dt.datetime) -> dt.datetime:
    """``since`` in UTC (UTC if it has no zone); the first or last representable time when it falls
    outside them (year 1 at +05:00, say)."""
    aware = since if since.tzinfo is not None else since.replace(tzinfo=dt.UTC)
    try:
        return aware.astimezone(dt.UTC)
    except OverflowError:
        edge = dt.datetime.min if aware.year == 1 else dt.datetime.max
        return edge.replace(tzinfo=dt.UTC)


def _view(entry: AuditEntry) -> SecurityEventView:
    d = entry.detail
    return SecurityEventView(
        seq=entry.seq,
        at=entry.at,
        action="security.denied" if entry.action == DENIED else "security.suppressed",
        actor=entry.actor,
        reason=str(d.get("reason", "")),
        address=str(d.get("address", "")),
        method=d.get("method"),
        route=d.get("route"),
        status=d.get("status"),
        suppressed=d.get("suppressed"),
        window_seconds=d.get("window_seconds"),
    )


@router.get(
    "/security-events",
    summary="Refused requests: bad credentials, wrong roles, missing CSRF tokens, other operators' data",
    responses={**ok(SecurityEventPage, "Security events, oldest first"), **problem_responses(422)},
    response_class=Response,
)
async def list_security_events(
    svc: Service,
    admin: Admin,
    since: Annotated[
        dt.datetime | None, Query(description="Only events from this time on (UTC without a zone)")
    ] = None,
    after: Annotated[int, Query(ge=0, le=2**53, description="Only events after this sequence number")] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> Response:
    start = None if since is None else _utc(since)

    def read() -> list[AuditEntry]:
        with svc.engine.connect() as conn:
            return security_entries(conn, since=start, after=after, limit=limit)

    entries = await run_in_threadpool(read)
    items = [_view(e) for e in entries]
    next_after = items[-1].seq if len(items) == limit else None
    return json_response(SecurityEventPage(items=items, next_after=next_after))
