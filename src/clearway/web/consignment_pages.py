"""The consignment page: everything customs knows about one consignment, and the officer's actions.

What is shown follows the API's rules for personal data (api/customs.py): an officer sees a
consignment in full when it is in customs' hands or when the officer has acted on it, and that read
goes to the audit chain; otherwise, and always for analysts and statisticians, personal fields are
keyed pseudonyms. Every action (release, request information, inspect, seize, return, record an
outcome) goes through the same service calls as the API, so it is audited and moves the lifecycle.

After an action the page is shown again with a message named by a code in its query (``?done=inspect``,
``?error=reason-missing``): the page shows only the fixed sentence of a known code, never text from
the query, so that a link cannot make the page say what its sender likes.
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
from clearway.app.classification_views import check_declared
from clearway.app.dossier import ConsignmentDossier
from clearway.app.risk.service import OUTCOMES
from clearway.clearance.errors import ClearwayError, Conflict, InvalidRecord, NotFound
from clearway.clearance.lifecycle import HoldReason, IllegalTransition, State, can_move
from clearway.risk.learning.features import DESCRIPTIONS
from clearway.web.auth import CustomsPerson, FormAccess, session_csrf
from clearway.web.form_messages import ENGLISH, FormError, FormErrors, invalid, missing, say
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

# The page's refusals, by the code its query names: which of the two forms (control, outcome) says it,
# on which control, in which words (web/form_messages.py); None: the form as a whole.
_REFUSALS: dict[str, tuple[str, str | None, str]] = {
    "unknown-action": ("control", "action", "invalid"),
    "reason-missing": ("control", "reason", "missing"),
    "not-allowed": ("control", "action", "control.not_allowed"),
    "not-found": ("control", None, "control.not_found"),
    "failed": ("control", None, "control.failed"),
    "value-not-number": ("outcome", "corrected_value", "invalid"),
    "value-negative": ("outcome", "corrected_value", "invalid"),
    "hs-code": ("outcome", "corrected_hs_code", "invalid"),
    "value-needed": ("outcome", "corrected_value", "outcome.value_needed"),
    "hs-code-needed": ("outcome", "corrected_hs_code", "outcome.hs_code_needed"),
    "outcome-invalid": ("outcome", "result", "invalid"),
    "outcome-not-allowed": ("outcome", "result", "outcome.not_allowed"),
    "outcome-failed": ("outcome", None, "control.failed"),
}


def _refusal(form: str, field: str | None, key: str) -> FormError:
    if field is None:
        return FormError(None, ENGLISH[key])
    if key == "invalid":
        return FormError(field, invalid(form, field))
    if key == "missing":
        return FormError(field, missing(form, field))
    return FormError(field, say(key, form, field))


ERRORS: dict[str, FormError] = {code: _refusal(*refusal) for code, refusal in _REFUSALS.items()}
FORM_OF: dict[str, str] = {code: refusal[0] for code, refusal in _REFUSALS.items()}
DONE: dict[str, str] = {
    **{value: f"{value.replace('_', ' ')}: done" for value in _BY_VALUE},
    **{f"outcome-{outcome}": f"outcome recorded: {outcome}" for outcome in OUTCOMES},
}


def _error_code(exc: Exception, form: str = "control") -> str:
    """The page's code for a refusal of the service (its own text may name anything)."""
    if isinstance(exc, NotFound):
        return "not-found"
    if isinstance(exc, Conflict | IllegalTransition | ValueError):
        return "not-allowed" if form == "control" else "outcome-not-allowed"
    if isinstance(exc, InvalidRecord):
        return "outcome-invalid"
    return "failed" if form == "control" else "outcome-failed"


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
    done: Annotated[str | None, Query(max_length=500)] = None,
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
    # The standard messages the declaration and its documents came in (their originals carry
    # personal data: linked only where the page shows it in full, and each read is audited).
    carried = [consignment_id, *(d.id for d in dossier.documents.values())]
    received_as = await run_in_threadpool(svc.messages.kept_for, carried)
    # Partners' alerts in force now, also those imported after the consignment was assessed.
    alerts = await run_in_threadpool(svc.alerts.matches, dossier.consignment.record)
    # What each item's description supports beside its declared code (the HS assistant), as the
    # rule hs_code_does_not_match_description reads it; None when no HS model is loaded.
    lines = [(i.line, i.description, i.hs_code) for i in dossier.consignment.record.items]
    hs_checks = await run_in_threadpool(check_declared, svc.classification, lines)
    return templates.TemplateResponse(
        request,
        "consignment.html",
        {
            "person": person,
            "csrf": await session_csrf(request),
            "section": "queue",
            "c": data,
            "full": full,
            "received_as": received_as,
            "actions": _allowed(State(state)) if person.role is Role.OFFICER else [],
            # The outcome of an inspection, once there was one (labels must come from inspections).
            "outcomes": OUTCOMES if person.role is Role.OFFICER and _was_inspected(dossier) else (),
            "descriptions": DESCRIPTIONS,
            "partner_alerts": alerts,
            "hs_checks": hs_checks,
            # Fixed sentences for known codes; anything else in the query is not shown.
            "done": DONE.get(done or ""),
            "control_errors": _errors_of("control", error),
            "outcome_errors": _errors_of("outcome", error),
        },
    )


def _errors_of(form: str, code: str | None) -> FormErrors:
    """The message of a known refusal code, for the form it belongs to."""
    return FormErrors([ERRORS[code]] if code in ERRORS and FORM_OF[code] == form else [])


def _back(consignment_id: str, *, done: str | None = None, error: str | None = None) -> RedirectResponse:
    """Back to the page, with the code of its message (a key of DONE or ERRORS)."""
    query = f"done={quote(done)}" if done is not None else f"error={quote(error or 'failed')}"
    return RedirectResponse(f"/consignments/{quote(consignment_id)}?{query}", status_code=303)


@router.post("/consignments/{consignment_id}/action")
async def act(
    consignment_id: str,
    svc: Service,
    officer: Officer,
    action: Annotated[str, Form(max_length=32)],
    reason: Annotated[str, Form(max_length=500, pattern=r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$")] = "",
) -> Response:
    if action not in _BY_VALUE:
        return _back(consignment_id, error="unknown-action")
    if not reason.strip():
        return _back(consignment_id, error="reason-missing")
    target, hold = _BY_VALUE[action]
    try:
        await run_in_threadpool(
            lambda: svc.control(consignment_id, target, actor=officer.actor, reason=reason.strip(), hold_reason=hold)
        )
    except (ClearwayError, IllegalTransition, ValueError) as exc:
        return _back(consignment_id, error=_error_code(exc))
    return _back(consignment_id, done=action)


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
            return _back(consignment_id, error="value-not-number")
        if not value.is_finite() or value < 0:
            return _back(consignment_id, error="value-negative")
    code = corrected_hs_code.strip() or None
    if code is not None and not (code.isdigit() and 6 <= len(code) <= 10):
        return _back(consignment_id, error="hs-code")
    if result == "undervalued" and value is None:
        return _back(consignment_id, error="value-needed")
    if result == "misclassified" and code is None:
        return _back(consignment_id, error="hs-code-needed")
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
        return _back(consignment_id, error=_error_code(exc, "outcome"))
    return _back(consignment_id, done=f"outcome-{result}")
