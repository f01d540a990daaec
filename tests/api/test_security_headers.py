"""Security headers: on every response, per kind of content, never overriding the application's own."""

from __future__ import annotations

import re
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from starlette.testclient import TestClient

from clearway.access.roles import Role
from clearway.api.app import create_app
from clearway.api.security_headers import API_CSP, PAGE_CSP, SecurityHeaders
from clearway.app.platform import Clearway
from tests.api.test_denials_recorded import sign_in

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


async def sets_cookie(request: Request) -> Response:
    response = HTMLResponse("<!doctype html><title>login</title>")
    response.set_cookie("cw_login_csrf", "x")
    return response


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
        Route("/login", sets_cookie),
        Route("/static/clearway.css", page),
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


def test_the_docs_pages_get_the_strict_page_policy_too() -> None:
    with tiny() as client:
        assert client.get("/docs").headers["content-security-policy"] == PAGE_CSP
        assert client.get("/docs/oauth2-redirect").headers["content-security-policy"] == PAGE_CSP
        assert client.get("/openapi.json").headers["content-security-policy"] == API_CSP
    assert "'unsafe-inline'" not in PAGE_CSP.split("script-src", 1)[1].split(";", 1)[0]


@pytest.mark.parametrize(
    "credential",
    [{"Cookie": "cw_session=abc"}, {"Cookie": "theme=dark; cw_session=abc"}, {"Authorization": "Bearer x"}],
)
def test_a_page_asked_for_with_a_credential_is_never_stored(credential: dict[str, str]) -> None:
    with tiny() as client:
        r = client.get("/", headers=credential)
        asset = client.get("/static/clearway.css", headers=credential)
    assert r.headers["cache-control"] == "no-store"
    assert "cache-control" not in asset.headers  # the same for everyone


def test_a_response_that_sets_a_cookie_is_never_stored() -> None:
    with tiny() as client:
        assert client.get("/login").headers["cache-control"] == "no-store"
        assert "cache-control" not in client.get("/", headers={"Cookie": "theme=dark"}).headers


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


def test_every_page_behind_a_session_is_never_stored(service: Clearway) -> None:
    with TestClient(create_app(service.settings, service, sweep=False), base_url="https://testserver") as client:
        assert client.get("/login").headers["cache-control"] == "no-store"  # sets the login CSRF cookie
        sign_in(client, service, "olga", Role.OFFICER)
        for path in ("/", "/dashboard", "/queue", "/risk/rules", "/operators"):
            r = client.get(path)
            assert r.status_code == 200 and r.headers["content-type"].startswith("text/html"), path
            assert r.headers["cache-control"] == "no-store", path
        assert "cache-control" not in client.get("/static/clearway.css").headers


def test_the_real_app_wrapped(service: Clearway) -> None:
    app = SecurityHeaders(create_app(service.settings, service, sweep=False))
    with TestClient(app) as client:
        health = client.get("/v1/health")
        index = client.get("/")
        docs = client.get("/docs")
        unauthenticated = client.get("/v1/consignments")
    assert health.status_code == 200 and health.headers["cache-control"] == "no-store"
    assert index.status_code == 200 and index.headers["content-security-policy"] == PAGE_CSP
    # The landing page (the sign-in form, on the shared layout) needs nothing the strict policy
    # forbids: its scripts are the app's own files, none inline.
    scripts = re.findall(r"<script[^>]*>", index.text)
    assert scripts and all(re.fullmatch(r'<script src="/static/[\w./-]+\.js" defer>', tag) for tag in scripts), scripts
    # Swagger UI from the app's own static files, started by a script file: the strict policy holds.
    assert docs.headers["content-security-policy"] == PAGE_CSP and "https://" not in docs.text
    assert '<script src="/static/vendor/swagger-ui-bundle.js">' in docs.text and "<script>" not in docs.text
    assert unauthenticated.status_code in (400, 401)
    assert unauthenticated.headers["cache-control"] == "no-store"
    assert unauthenticated.headers["content-security-policy"] == API_CSP
