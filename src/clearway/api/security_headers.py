"""Security headers on every HTTP response, as a pure ASGI middleware.

Every response gets ``X-Content-Type-Options: nosniff``, ``Referrer-Policy: no-referrer``,
``X-Frame-Options: DENY``, a minimal ``Permissions-Policy`` and a ``Content-Security-Policy``:

- HTML pages: the strict ``PAGE_CSP`` (same-origin scripts only, no plugins, no framing);
- the interactive API docs (``/docs``, ``/redoc``): ``DOCS_CSP``, see below;
- everything else (JSON, problem+json, NDJSON...): ``API_CSP``, which allows nothing, since such a
  response is never meant to be rendered, only ``frame-ancestors 'none'`` matters there.

API responses under ``/v1/`` also get ``Cache-Control: no-store``: they carry personal data that no
browser or intermediary cache may keep. ``Strict-Transport-Security`` is sent only when ``hsts=True``
(only behind TLS: a browser that sees it over plain HTTP ignores it, and on a development machine it
would pin ``localhost`` to HTTPS). A header the application already set is never overridden.

Decision on /docs: FastAPI's Swagger UI and ReDoc pages load their script and style from the
jsDelivr CDN and start Swagger UI with an inline script. Rather than break them, ``DOCS_CSP``
relaxes the policy for those two pages only, allowing that one CDN host (and inline script, which
the page has no user input to inject into); every other page keeps the strict policy. The residual
risk is the CDN serving altered code on our origin. Serving the assets from a Python package (for
example ``swagger-ui-bundle`` through ``get_swagger_ui_html(swagger_js_url=..., swagger_css_url=...)``)
or turning ``docs_url`` off in production removes it; then pass ``docs_csp=None`` here.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["API_CSP", "DOCS_CSP", "PAGE_CSP", "PERMISSIONS_POLICY", "SecurityHeaders"]

PAGE_CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
API_CSP = "default-src 'none'; frame-ancestors 'none'"
_CDN = "https://cdn.jsdelivr.net"
DOCS_CSP = (
    f"default-src 'self'; img-src 'self' data: https://fastapi.tiangolo.com; "
    f"style-src 'self' 'unsafe-inline' {_CDN} https://fonts.googleapis.com; "
    f"font-src 'self' https://fonts.gstatic.com; script-src 'self' 'unsafe-inline' {_CDN}; "
    f"worker-src 'self' blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    f"form-action 'self'; frame-ancestors 'none'"
)
# Powerful features no Clearway page uses, switched off for the page and anything it embeds.
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"

_CSP = b"content-security-policy"
_CONTENT_TYPE = b"content-type"
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
        docs_paths: tuple[str, ...] = ("/docs", "/redoc"),
        docs_csp: str | None = DOCS_CSP,
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
        self._docs_csp = (docs_csp or PAGE_CSP).encode()
        self.no_store_prefixes = no_store_prefixes
        self.docs_paths = docs_paths
        self._docs_prefixes = tuple(p.rstrip("/") + "/" for p in docs_paths)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": self._headers(path, message.get("headers") or ())}
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def _headers(self, path: str, existing: Iterable[Any]) -> list[Any]:
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
            if self._is_docs(path):
                csp = self._docs_csp
            elif content_type.lstrip()[:9].lower() == b"text/html":
                csp = self._page_csp
            else:
                csp = self._api_csp
            headers.append((_CSP, csp))
        if path.startswith(self.no_store_prefixes) and b"cache-control" not in present:
            headers.extend(self._no_store)
        return headers

    def _is_docs(self, path: str) -> bool:
        return path in self.docs_paths or path.startswith(self._docs_prefixes)
