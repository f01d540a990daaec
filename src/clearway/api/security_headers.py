"""Security headers on every HTTP response, as a pure ASGI middleware.

Every response gets ``X-Content-Type-Options: nosniff``, ``Referrer-Policy: no-referrer``,
``X-Frame-Options: DENY``, a minimal ``Permissions-Policy`` and a ``Content-Security-Policy``:

- HTML pages, the interactive API docs (``/docs``) included: the strict ``PAGE_CSP`` (same-origin
  scripts only, no inline script, no plugins, no framing). The docs page serves Swagger UI from the
  application's own static files and starts it with a script file, so it needs nothing more;
- everything else (JSON, problem+json, NDJSON...): ``API_CSP``, which allows nothing, since such a
  response is never meant to be rendered, only ``frame-ancestors 'none'`` matters there.

``Cache-Control: no-store`` goes on every API response under ``/v1/``, and on every response to a
request that carries a credential (an ``Authorization`` header or the session cookie) or that sets
a cookie: such responses carry personal data or a session that no browser history, back button or
shared cache may keep. Static assets (``/static/``) are the same for everyone and stay cacheable.
``Strict-Transport-Security`` is sent only when ``hsts=True`` (only behind TLS: a browser that sees
it over plain HTTP ignores it, and on a development machine it would pin ``localhost`` to HTTPS).
A header the application already set is never overridden.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["API_CSP", "PAGE_CSP", "PERMISSIONS_POLICY", "SESSION_COOKIE", "SecurityHeaders"]

PAGE_CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
API_CSP = "default-src 'none'; frame-ancestors 'none'"
# Powerful features no Clearway page uses, switched off for the page and anything it embeds.
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"

_CSP = b"content-security-policy"
_CONTENT_TYPE = b"content-type"
_CACHE_CONTROL = b"cache-control"
_SET_COOKIE = b"set-cookie"
_AUTHORIZATION = b"authorization"
_COOKIE = b"cookie"
# The people's session cookie (api/deps.py names it too; this module imports nothing of the app's).
SESSION_COOKIE = "cw_session"
_Headers = tuple[tuple[bytes, bytes], ...]


def _encode(pairs: Iterable[tuple[str, str]]) -> _Headers:
    return tuple((name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in pairs)


class SecurityHeaders:
    """Add the security headers above to every HTTP response the wrapped application sends."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        hsts: bool = False,
        hsts_max_age: int = 31_536_000,
        no_store_prefixes: tuple[str, ...] = ("/v1/",),
        cacheable_prefixes: tuple[str, ...] = ("/static/",),
    ) -> None:
        self.app = app
        common = [
            ("X-Content-Type-Options", "nosniff"),
            ("Referrer-Policy", "no-referrer"),
            ("X-Frame-Options", "DENY"),
            ("Permissions-Policy", PERMISSIONS_POLICY),
        ]
        if hsts:
            common.append(("Strict-Transport-Security", f"max-age={hsts_max_age}; includeSubDomains"))
        self._common = _encode(common)
        self._no_store = _encode([("Cache-Control", "no-store")])
        self._page_csp = PAGE_CSP.encode()
        self._api_csp = API_CSP.encode()
        self._session = (SESSION_COOKIE + "=").encode()
        self.no_store_prefixes = no_store_prefixes
        self.cacheable_prefixes = cacheable_prefixes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        private = self._private_request(path, scope["headers"])

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": self._headers(path, private, message.get("headers") or ())}
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def _private_request(self, path: str, headers: Iterable[tuple[bytes, bytes]]) -> bool:
        """Whether the answer must not be stored: an API path, or a request with a credential."""
        if path.startswith(self.cacheable_prefixes):
            return False
        if path.startswith(self.no_store_prefixes):
            return True
        return any(name == _AUTHORIZATION or (name == _COOKIE and self._session in value) for name, value in headers)

    def _headers(self, path: str, private: bool, existing: Iterable[Any]) -> list[Any]:
        headers = list(existing)
        present: set[bytes] = set()
        content_type = b""
        for raw_name, value in headers:
            name = raw_name.lower()
            present.add(name)
            if name == _CONTENT_TYPE:
                content_type = value
        for pair in self._common:
            if pair[0] not in present:
                headers.append(pair)
        if _CSP not in present:
            html = content_type.lstrip()[:9].lower() == b"text/html"
            headers.append((_CSP, self._page_csp if html else self._api_csp))
        # A response that sets a cookie (a session, the login form's CSRF cookie) is private too.
        private = private or (_SET_COOKIE in present and not path.startswith(self.cacheable_prefixes))
        if private and _CACHE_CONTROL not in present:
            headers.extend(self._no_store)
        return headers
