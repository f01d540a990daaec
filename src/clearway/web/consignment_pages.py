"""The consignment page: everything customs knows about one consignment, and the officer's actions.

What is shown follows the API's rules for personal data (api/customs.py): an officer sees a
consignment in full when it is in customs' hands or when the officer has acted on it, and that read
goes to the audit chain; otherwise, and always for analysts and statisticians, personal fields are
keyed pseudonyms. Every action (release, request information, inspect, seize, return, record an
outcome) goes through the same service calls as the API, so it is audited and moves the lifecycle.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Annotated, Any
from urllib.parse import quote

import msgspec
from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from clearway.access.roles import Principal, Role
from clearway.api.customs import in_officers_work
from clearway.api.deps import Service
from clearway.api.views import consignment_view, pseudonymised_view
from clearway.clearance.errors import ClearwayError, NotFound
from clearway.clearance.lifecycle import HoldReason, IllegalTransition, State, can_move
from clearway.risk.learning.features import DESCRIPTIONS
from clearway.risk_service import OUTCOMES
from clearway.service import ConsignmentDossier
from clearway.web.auth import CustomsPerson, FormAccess, session_csrf
from clearway.web.templating import templates

router = APIRouter(include_in_schema=False)
OFFICER_FORM = FormAccess(Role.OFFICER)
Officer = Annotated[Principal, Depends(OFFICER_FORM)]
# The officer's control steps, as the page offers them: (form value, label, target state, hold reason).
ACTIONS: tuple[tuple[str, str, State, HoldReason | None], ...] = (
    ("release", "Release", State.RELEASED, None),
    ("request_information", "Request information", State.HELD, HoldReason.REQUEST_FOR_INFORMATION),
    ("hold_for_inspection", "Hold for inspection", State.HELD, HoldReason.INSPECTION),
    ("inspect", "Start the inspection", State.INSPECTED, None),
    ("seize", "Seize", State.SEIZED, None),
    ("return", "Return to sender", State.RETURNED, None),
)
_BY_VALUE = {value: (target, hold) for value, _, target, hold in ACTIONS}


def _was_inspected(dossier: ConsignmentDossier) -> bool:
    return any(entry["to_state"] == State.INSPECTED for entry in dossier.history)


def _allowed(state: State) -> list[tuple[str, str]]:
    """The actions the lifecycle allows from this state (a held consignment is not held again)."""
    return [(value, label) for value, label, target, _ in ACTIONS if can_move(state, target)]


@router.get("/consignments/{consignment_id}", response_class=HTMLResponse)
async def consignment_page(
    consignment_id: str,
    request: Request,
    svc: Service,
    person: CustomsPerson,
    done: Annotated[str | None, Query(max_length=200)] = None,
    error: Annotated[str | None, Query(max_length=500)] = None,
) -> HTMLResponse:
    dossier = await run_in_threadpool(svc.dossier, None, consignment_id)
    if dossier is None:
        raise NotFound(f"no consignment '{consignment_id}'")
    full = person.role is Role.OFFICER and in_officers_work(dossier, person)
    if full:
        await run_in_threadpool(svc.record_personal_data_read, person.actor, consignment_id)
        view = consignment_view(dossier)
    else:
        view = pseudonymised_view(dossier, svc.access.pseudonym_key)
    data: dict[str, Any] = msgspec.to_builtins(view)
    state = dossier.consignment.status.state
    return templates.TemplateResponse(
        request,
        "consignment.html",
        {
            "person": person,
            "csrf": await session_csrf(request),
            "section": "queue",
            "c": data,
            "full": full,
            "actions": _allowed(State(state)) if person.role is Role.OFFICER else [],
            # The outcome of an inspection, once there was one (labels must come from inspections).
            "outcomes": OUTCOMES if person.role is Role.OFFICER and _was_inspected(dossier) else (),
            "descriptions": DESCRIPTIONS,
            "done": done,
            "error": error,
        },
    )


def _back(consignment_id: str, **message: str) -> RedirectResponse:
    query = "&".join(f"{k}={quote(v)}" for k, v in message.items())
    return RedirectResponse(f"/consignments/{quote(consignment_id)}?{query}", status_code=303)


@router.post("/consignments/{consignment_id}/action")
async def act(
    consignment_id: str,
    svc: Service,
    officer: Officer,
    action: Annotated[str, Form(max_length=32)],
    reason: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    if action not in _BY_VALUE:
        return _back(consignment_id, error=f"unknown action '{action}'")
    if not reason.strip():
        return _back(consignment_id, error="say why: the reason is kept in the history and the audit trail")
    target, hold = _BY_VALUE[action]
    try:
        await run_in_threadpool(
            lambda: svc.control(consignment_id, target, actor=officer.actor, reason=reason.strip(), hold_reason=hold)
        )
    except ClearwayError as exc:
        return _back(consignment_id, error=exc.detail)
    except (IllegalTransition, ValueError) as exc:
        return _back(consignment_id, error=str(exc))
    return _back(consignment_id, done=f"{action.replace('_', ' ')}: done")


@router.post("/consignments/{consignment_id}/outcome")
async def outcome(
    consignment_id: str,
    svc: Service,
    officer: Officer,
    result: Annotated[str, Form(max_length=24)],
    corrected_value: Annotated[str, Form(max_length=32)] = "",
    corrected_hs_code: Annotated[str, Form(max_length=10)] = "",
    note: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    value: Decimal | None = None
    if corrected_value.strip():
        try:
            value = Decimal(corrected_value.strip())
        except InvalidOperation:
            return _back(consignment_id, error=f"the corrected value '{corrected_value}' is not a number")
        if not value.is_finite() or value < 0:
            return _back(consignment_id, error="the corrected value must be 0 or more")
    code = corrected_hs_code.strip() or None
    if code is not None and not (code.isdigit() and 6 <= len(code) <= 10):
        return _back(consignment_id, error="the correct HS code has 6 to 10 digits")
    if result == "undervalued" and value is None:
        return _back(consignment_id, error="an undervaluation needs the corrected value")
    if result == "misclassified" and code is None:
        return _back(consignment_id, error="a misclassification needs the correct HS code")
    try:
        await run_in_threadpool(
            lambda: svc.risk.record_outcome(
                consignment_id,
                result,
                officer=officer.actor,
                note=note.strip(),
                corrected_value=value,
                corrected_hs_code=code,
            )
        )
    except ClearwayError as exc:
        details = "; ".join(e.detail for e in exc.errors) or exc.detail
        return _back(consignment_id, error=details)
    return _back(consignment_id, done=f"outcome recorded: {result}")
