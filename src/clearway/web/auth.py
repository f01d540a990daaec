"""People's sign-in to the pages: login form, session cookie, CSRF tokens, logout."""

from __future__ import annotations

import hmac
import secrets
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool

from clearway.access.roles import PEOPLE_ROLES, Principal, Role
from clearway.api.deps import PUBLIC, SESSION_COOKIE, Access, Service, authenticate
from clearway.api.problems import ApiError

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=Path(__file__).with_name("templates"))

LOGIN_CSRF_COOKIE = "cw_login_csrf"


class LoginRequired(Exception):
    """Raised by page dependencies; answered with a redirect to the login form."""


class PageAccess(Access):
    """Access for pages: a missing or expired session sends the browser to the login form."""

    async def __call__(self, request: Request) -> Principal | None:
        if self.public:
            return None
        try:
            return await super().__call__(request)
        except ApiError as exc:
            if exc.status == 401:
                raise LoginRequired from exc
            raise


PEOPLE = PageAccess(*PEOPLE_ROLES)
Person = Annotated[Principal, Depends(PEOPLE)]
# Consignments are customs' business, as in the API (api/customs.py): not administrators'.
CUSTOMS = PageAccess(Role.OFFICER, Role.ANALYST, Role.STATISTICIAN)
CustomsPerson = Annotated[Principal, Depends(CUSTOMS)]


class FormAccess(Access):
    """Access for a page's form post: the session cookie, and the session's CSRF token sent as the
    form's ``csrf`` field (a plain HTML form cannot send the header the API asks for)."""

    async def __call__(self, request: Request) -> Principal | None:
        token = request.cookies.get(SESSION_COOKIE)
        if not token:
            raise LoginRequired
        found = await run_in_threadpool(request.app.state.clearway.access.session, token)
        if found is None:
            raise LoginRequired
        principal: Principal = found[0]
        expected: str = found[1]
        form = await request.form()
        sent = form.get("csrf")
        if not isinstance(sent, str) or not hmac.compare_digest(sent, expected):
            raise ApiError(403, "CSRF token missing or wrong", "reload the page and send the form again", "csrf")
        if principal.role not in self.roles:
            raise ApiError(403, "Forbidden", f"this action is not open to the role '{principal.role}'", "forbidden")
        return principal


def _cookie_args(max_age: int | None = None) -> dict[str, object]:
    # Secure: browsers keep Secure cookies on http://localhost too, so this holds in development.
    return {"httponly": True, "secure": True, "samesite": "lax", "path": "/", "max_age": max_age}


@router.get("/login", response_class=HTMLResponse, dependencies=[Depends(PUBLIC)])
async def login_form(request: Request, error: str | None = None) -> Response:
    token = secrets.token_urlsafe(32)
    response = templates.TemplateResponse(request, "login.html", {"csrf": token, "error": error}, status_code=200)
    response.set_cookie(LOGIN_CSRF_COOKIE, token, **_cookie_args(600))  # type: ignore[arg-type]
    return response


@router.post("/login", dependencies=[Depends(PUBLIC)])
async def login(
    request: Request,
    svc: Service,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=1024)],
    csrf: Annotated[str, Form(max_length=64)],
) -> Response:
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not expected or not hmac.compare_digest(csrf, expected):
        return RedirectResponse("/login?error=expired", status_code=303)
    outcome, token = await run_in_threadpool(svc.access.login, username, password)
    if outcome != "ok" or token is None:
        reason = "locked" if outcome == "locked" else "invalid"
        return RedirectResponse(f"/login?error={reason}", status_code=303)
    response = RedirectResponse("/", status_code=303)
    response.set_cookie(SESSION_COOKIE, token, **_cookie_args(svc.settings.session_hours * 3600))  # type: ignore[arg-type]
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/")
    return response


@router.post("/logout", dependencies=[Depends(PUBLIC)])
async def logout(request: Request, svc: Service, csrf: Annotated[str, Form(max_length=64)]) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        found = await run_in_threadpool(svc.access.session, token)
        if found is not None and hmac.compare_digest(csrf, found[1]):
            await run_in_threadpool(svc.access.logout, token)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


async def session_csrf(request: Request) -> str:
    """The CSRF token of the current session, for forms on pages."""
    token = request.cookies.get(SESSION_COOKIE, "")
    found = request.app.state.clearway.access.session(token) if token else None
    return str(found[1]) if found else ""


__all__ = [
    "CUSTOMS",
    "PEOPLE",
    "CustomsPerson",
    "FormAccess",
    "LoginRequired",
    "PageAccess",
    "Person",
    "authenticate",
    "router",
    "session_csrf",
]
