"""People's sign-in to the pages: login form, session cookie, CSRF tokens, logout, and the page
where a signed-in person changes their own password."""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from clearway.access.passwords import weakness
from clearway.access.roles import PEOPLE_ROLES, Principal, Role
from clearway.api.deps import PUBLIC, SESSION_COOKIE, Access, Service, authenticate
from clearway.api.problems import ApiError
from clearway.app.access.operators import TooManyAttempts
from clearway.clearance.errors import InvalidRecord
from clearway.web.form_messages import ENGLISH, FormError, FormErrors, invalid, missing, say
from clearway.web.templating import templates

router = APIRouter(include_in_schema=False)

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
        request.state.principal = principal  # a refusal below is recorded under this person
        form = await request.form()
        sent = form.get("csrf")
        if not isinstance(sent, str) or not hmac.compare_digest(sent, expected):
            raise ApiError(403, "CSRF token missing or wrong", "reload the page and send the form again", "csrf")
        if principal.role not in self.roles:
            raise ApiError(403, "Forbidden", f"this action is not open to the role '{principal.role}'", "forbidden")
        return principal


PEOPLE_FORM = FormAccess(*PEOPLE_ROLES)


def _cookie_args(max_age: int | None = None) -> dict[str, object]:
    # Secure: browsers keep Secure cookies on http://localhost too, so this holds in development.
    return {"httponly": True, "secure": True, "samesite": "lax", "path": "/", "max_age": max_age}


def _login_errors(error: str | None, retry_after: int) -> FormErrors:
    """What a refused sign-in says. Which of the two was wrong is not said (nor whether the account
    exists), so the message sits on the first field, where the person starts again."""
    errors = FormErrors()
    if error == "invalid":
        errors.add("username", ENGLISH["sign_in.invalid"])
    elif error == "throttled":
        errors.add(None, ENGLISH["sign_in.throttled"].format(seconds=retry_after))
    elif error == "expired":
        errors.add(None, ENGLISH["sign_in.expired"])
    return errors


def _login_page(
    request: Request,
    error: str | None,
    status: int = 200,
    retry_after: int = 0,
    *,
    blank: FormErrors | None = None,
    username: str = "",
) -> Response:
    token = secrets.token_urlsafe(32)
    errors = blank if blank else _login_errors(error, retry_after)
    context = {"csrf": token, "errors": errors, "section": "login", "username": username}
    response = templates.TemplateResponse(request, "login.html", context, status_code=status)
    response.set_cookie(LOGIN_CSRF_COOKIE, token, **_cookie_args(600))  # type: ignore[arg-type]
    return response


def _address(request: Request) -> str | None:
    return request.client.host if request.client else None


@router.get("/login", response_class=HTMLResponse, dependencies=[Depends(PUBLIC)])
async def login_form(request: Request, error: str | None = None) -> Response:
    return _login_page(request, error if error in ("invalid", "expired") else None)


@router.post("/login", dependencies=[Depends(PUBLIC)])
async def login(
    request: Request,
    svc: Service,
    csrf: Annotated[str, Form(max_length=64)],
    # Blank fields arrive as "" (not a 422 of the framework's): the page names what is missing.
    username: Annotated[str, Form(max_length=64)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
) -> Response:
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not expected or not hmac.compare_digest(csrf, expected):
        return RedirectResponse("/login?error=expired", status_code=303)
    blank = FormErrors(
        FormError(field, missing("sign_in", field))
        for field, value in (("username", username), ("password", password))
        if not value
    )
    if blank:
        # Nothing to check yet, so nothing counts as an attempt: the person fills in what is missing.
        return _login_page(request, None, 422, blank=blank, username=username)
    result = await run_in_threadpool(lambda: svc.access.login(username, password, address=_address(request)))
    if result.outcome == "throttled":
        # The same answer for a real account and an unknown one: both are counted alike.
        response = _login_page(request, "throttled", 429, result.retry_after)
        response.headers["Retry-After"] = str(result.retry_after)
        return response
    if result.outcome != "ok" or result.token is None:
        return RedirectResponse("/login?error=invalid", status_code=303)
    response = RedirectResponse("/", status_code=303)
    response.set_cookie(SESSION_COOKIE, result.token, **_cookie_args(svc.settings.session_hours * 3600))  # type: ignore[arg-type]
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/")
    return response


@router.post("/logout", dependencies=[Depends(PUBLIC)])
async def logout(request: Request, svc: Service) -> Response:
    # The session's token is proof enough to end it; a forged cross-site logout only signs someone
    # out, so no CSRF check here (one that failed used to leave the session valid on the server).
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        await run_in_threadpool(svc.access.logout, token)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


def _password_page(
    request: Request,
    person: Principal,
    csrf: str,
    *,
    errors: FormErrors | None = None,
    ended: int | None = None,
    status: int = 200,
) -> Response:
    context = {"person": person, "csrf": csrf, "section": "account", "errors": errors or FormErrors(), "ended": ended}
    return templates.TemplateResponse(request, "password.html", context, status_code=status)


def _password_errors(username: str, current: str, new: str, repeat: str) -> FormErrors:
    """What the page can tell before asking the service: blanks, a weak password, a repetition that differs."""
    errors = FormErrors()
    for field, value in (("current_password", current), ("new_password", new), ("repeat_password", repeat)):
        if not value:
            errors.add(field, missing("password", field))
    # The service refuses the same weak passwords (and says so to the API); the page names the reason.
    if new and (code := weakness(new, username)) is not None:
        errors.add("new_password", say(f"password.{code}", "password", "new_password"))
    if new and repeat and new != repeat:
        errors.add("repeat_password", say("password.differ", "password", "repeat_password"))
    return errors


@router.get("/account/password", response_class=HTMLResponse)
async def password_form(request: Request, person: Person) -> Response:
    return _password_page(request, person, await session_csrf(request))


@router.post("/account/password")
async def change_password(
    request: Request,
    svc: Service,
    person: Annotated[Principal, Depends(PEOPLE_FORM)],
    current_password: Annotated[str, Form(max_length=1024)] = "",
    new_password: Annotated[str, Form(max_length=1024)] = "",
    repeat_password: Annotated[str, Form(max_length=1024)] = "",
) -> Response:
    csrf = await session_csrf(request)
    errors = _password_errors(person.id, current_password, new_password, repeat_password)
    if errors:
        return _password_page(request, person, csrf, errors=errors, status=422)
    token = request.cookies.get(SESSION_COOKIE, "")
    try:
        ended = await run_in_threadpool(
            lambda: svc.access.change_password(token, current_password, new_password, address=_address(request))
        )
    except InvalidRecord as exc:
        wrong = {e.pointer for e in exc.errors}
        if "/current_password" in wrong:
            errors.add("current_password", say("password.wrong", "password", "current_password"))
        if "/new_password" in wrong or not errors:
            errors.add("new_password", invalid("password", "new_password"))
        return _password_page(request, person, csrf, errors=errors, status=422)
    except TooManyAttempts as exc:
        errors.add(None, ENGLISH["password.throttled"].format(seconds=exc.retry_after))
        response = _password_page(request, person, csrf, errors=errors, status=429)
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    return _password_page(request, person, csrf, ended=ended)


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
