"""The access log: one line per HTTP request on the ``clearway.access`` logger, as a pure ASGI middleware.

A line reads ``client=203.0.113.7 actor=operator:op-1 method=GET route=/v1/consignments/{consignment_id}
status=200 ms=3.1``. It names the route's template, never the path itself nor its query string:
paths and queries carry tracking numbers, consignment ids and, on public pages, whatever a visitor
typed, which is personal data a log must not collect. The client is the connection's peer, or the
address a trusted proxy gave (CLEARWAY_TRUSTED_PROXIES); the actor is whoever the request's
credential proved, else ``-``.

``clearway serve`` turns the logger on (uvicorn's own access log, which prints query strings, is off);
under another server, configure the ``clearway.access`` logger at INFO.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["ACCESS_LOG", "AccessLog", "client_address", "method_of", "route_template"]

ACCESS_LOG = logging.getLogger("clearway.access")
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def route_template(scope: Scope) -> str:
    """The template of the route that answered (``/v1/consignments/{consignment_id}``), else ``-``."""
    # path_format: the template without convertors ({consignment_id}, not {consignment_id:consignment_id}).
    path = getattr(scope.get("route"), "path_format", None)
    return path if isinstance(path, str) and path else "-"


def client_address(scope: Scope) -> str:
    client = scope.get("client")
    return str(client[0])[:64] if client else "unknown"


def method_of(scope: Scope) -> str:
    """The request's method, or ``OTHER`` for one no route knows (a caller can send any token)."""
    method = str(scope.get("method", ""))
    return method if method in _METHODS else "OTHER"


def _actor(scope: Scope) -> str:
    state: Any = scope.get("state") or {}
    principal = state.get("principal") if isinstance(state, dict) else None
    actor = getattr(principal, "actor", None)
    return actor if isinstance(actor, str) else "-"


class AccessLog:
    """Log every HTTP request once its response has started (or failed), with its duration."""

    def __init__(
        self, app: ASGIApp, logger: logging.Logger = ACCESS_LOG, clock: Callable[[], float] = time.perf_counter
    ) -> None:
        self.app = app
        self.logger = logger
        self.clock = clock

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.logger.isEnabledFor(logging.INFO):
            await self.app(scope, receive, send)
            return
        started = self.clock()
        status = 500  # what the server answers when the application fails before responding

        async def send_noting_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_noting_status)
        finally:
            client, actor, method, route = client_address(scope), _actor(scope), method_of(scope), route_template(scope)
            ms = round((self.clock() - started) * 1000, 1)
            self.logger.info(
                "client=%s actor=%s method=%s route=%s status=%d ms=%.1f",
                client,
                actor,
                method,
                route,
                status,
                ms,
                # The same as fields of their own, for JSON lines (CLEARWAY_LOG_FORMAT=json).
                extra={"client": client, "actor": actor, "method": method, "route": route, "status": status, "ms": ms},
            )
