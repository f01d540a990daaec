"""Security headers: on every response, per kind of content, never overriding the application's own."""

from __future__ import annotations

from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from starlette.testclient import TestClient

from clearway.api.app import create_app
from clearway.api.security_headers import API_CSP, DOCS_CSP, PAGE_CSP, SecurityHeaders
from clearway.service import Clearway

COMMON = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
}


async def api(request: Request) -> JSONResponse:
    return JSONResponse({"name": "Anna Schmidt"})


async def page(request: Request) -> HTMLResponse:
    return HTMLResponse("<!doctype html><title>x</title>")


async def own_headers(request: Request) -> Response:
    return PlainTextResponse(
        "x",
        headers={
            "Cache-Control": "max-age=60",
            "X-Frame-Options": "SAMEORIGIN",
            "Content-Security-Policy": "default-src 'self'",
        },
    )


async def boom(request: Request) -> Response:
    return Response(status_code=404, media_type="application/problem+json")


def tiny(**options: Any) -> TestClient:
    routes = [
        Route("/v1/consignments", api),
        Route("/v1/own", own_headers),
        Route("/v1/missing", boom),
        Route("/", page),
        Route("/docs", page),
        Route("/docs/oauth2-redirect", page),
        Route("/docsearch", page),
        Route("/openapi.json", api),
    ]
    return TestClient(SecurityHeaders(Starlette(routes=routes), **options))


def test_api_responses_get_the_common_headers_a_closed_csp_and_no_store() -> None:
    with tiny() as client:
        r = client.get("/v1/consignments")
    assert r.status_code == 200 and r.json() == {"name": "Anna Schmidt"}
    assert {k: r.headers[k] for k in COMMON} == COMMON
    assert r.headers["content-security-policy"] == API_CSP
    assert "frame-ancestors 'none'" in API_CSP
    assert r.headers["cache-control"] == "no-store"
    assert r.headers["permissions-policy"].startswith("camera=()")
    assert "strict-transport-security" not in r.headers


def test_errors_get_them_too() -> None:
    with tiny() as client:
        for r in (client.get("/v1/missing"), client.get("/v1/no-such-route"), client.get("/nowhere")):
            assert r.status_code == 404
            assert {k: r.headers[k] for k in COMMON} == COMMON


def test_html_pages_get_the_strict_page_policy_and_may_be_cached() -> None:
    with tiny() as client:
        r = client.get("/")
    assert r.headers["content-security-policy"] == PAGE_CSP
    assert "script-src 'self';" in PAGE_CSP and "object-src 'none'" in PAGE_CSP
    assert "cache-control" not in r.headers
    assert {k: r.headers[k] for k in COMMON} == COMMON


def test_the_docs_pages_alone_get_the_docs_policy() -> None:
    with tiny() as client:
        assert client.get("/docs").headers["content-security-policy"] == DOCS_CSP
        assert client.get("/docs/oauth2-redirect").headers["content-security-policy"] == DOCS_CSP
        assert client.get("/docsearch").headers["content-security-policy"] == PAGE_CSP
        assert client.get("/openapi.json").headers["content-security-policy"] == API_CSP
    assert "frame-ancestors 'none'" in DOCS_CSP and "object-src 'none'" in DOCS_CSP


def test_the_docs_policy_can_be_the_strict_one() -> None:
    with tiny(docs_csp=None) as client:
        assert client.get("/docs").headers["content-security-policy"] == PAGE_CSP


def test_headers_the_app_set_are_kept() -> None:
    with tiny() as client:
        r = client.get("/v1/own")
    assert r.headers["cache-control"] == "max-age=60"
    assert r.headers["x-frame-options"] == "SAMEORIGIN"
    assert r.headers["content-security-policy"] == "default-src 'self'"
    assert r.headers.get_list("x-frame-options") == ["SAMEORIGIN"]
    assert r.headers["x-content-type-options"] == "nosniff"


def test_hsts_only_when_asked() -> None:
    with tiny(hsts=True) as client:
        r = client.get("/")
    assert r.headers["strict-transport-security"] == "max-age=31536000; includeSubDomains"
    with tiny(hsts=True, hsts_max_age=300) as client:
        assert client.get("/").headers["strict-transport-security"] == "max-age=300; includeSubDomains"


def test_each_header_is_sent_once() -> None:
    with tiny(hsts=True) as client:
        r = client.get("/v1/consignments")
    names = [name.lower() for name, _ in r.headers.multi_items()]
    assert len(names) == len(set(names))


def test_the_real_app_wrapped(service: Clearway) -> None:
    app = SecurityHeaders(create_app(service.settings, service, sweep=False))
    with TestClient(app) as client:
        health = client.get("/v1/health")
        index = client.get("/")
        docs = client.get("/docs")
        unauthenticated = client.get("/v1/consignments")
    assert health.status_code == 200 and health.headers["cache-control"] == "no-store"
    assert index.status_code == 200 and index.headers["content-security-policy"] == PAGE_CSP
    # The landing page needs nothing the strict policy forbids: no script, only its inline style.
    assert "<script" not in index.text and "<style>" in index.text
    assert docs.headers["content-security-policy"] == DOCS_CSP and "cdn.jsdelivr.net" in docs.text
    assert unauthenticated.status_code in (400, 401)
    assert unauthenticated.headers["cache-control"] == "no-store"
    assert unauthenticated.headers["content-security-policy"] == API_CSP
