"""Customs' API over consignments: officers act on them, analysts and statisticians read them.

Personal data follows the role (issue 3): an officer sees a consignment in full when it is in
customs' hands (held or inspected) or when the officer has acted on it, and every such read is
written to the audit chain; otherwise, and always for analysts and statisticians, buyers,
consignees and the like appear as keyed pseudonyms (the same person, the same pseudonym) and
names are removed from free-text reasons.
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from clearway.access.roles import Principal, Role
from clearway.api import schemas
from clearway.api.deps import Access, Service, read_json
from clearway.api.paths import CONSIGNMENT, ConsignmentId
from clearway.api.responses import json_response, problem_responses
from clearway.api.views import consignment_view, pseudonymised_view
from clearway.app.dossier import ConsignmentDossier
from clearway.clearance.errors import NotFound
from clearway.clearance.lifecycle import HoldReason, State
from clearway.dataset.records import Reason

router = APIRouter(prefix="/v1/customs", tags=["customs"])

READERS = Access(Role.OFFICER, Role.ANALYST, Role.STATISTICIAN)
OFFICERS = Access(Role.OFFICER)
_IN_CUSTOMS_HANDS = frozenset({State.HELD, State.INSPECTED})


class ControlRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    target: Literal["held", "inspected", "released", "seized", "returned"]
    reason: Reason
    hold_reason: HoldReason | None = None


def in_officers_work(dossier: ConsignmentDossier, principal: Principal) -> bool:
    """Whether an officer sees this consignment's personal data: in customs' hands, or acted on."""
    if dossier.consignment.status.state in _IN_CUSTOMS_HANDS:
        return True
    return any(entry["actor"] == principal.actor for entry in dossier.history)


@router.get(
    f"/consignments/{CONSIGNMENT}",
    summary="A consignment as customs sees it (personal data by role)",
    responses={
        200: {
            "description": "The consignment",
            "content": {"application/json": {"schema": schemas.ref(schemas.ConsignmentView)}},
        },
        **problem_responses(401, 403, 404),
    },
    response_class=Response,
)
async def read(
    consignment_id: ConsignmentId, svc: Service, principal: Annotated[Principal, Depends(READERS)]
) -> Response:
    dossier = await run_in_threadpool(svc.dossier, None, consignment_id)
    if dossier is None:
        raise NotFound(f"no consignment '{consignment_id}'")
    if principal.role is Role.OFFICER and in_officers_work(dossier, principal):
        await run_in_threadpool(svc.record_personal_data_read, principal.actor, consignment_id)
        return json_response(consignment_view(dossier))
    return json_response(pseudonymised_view(dossier, svc.access.pseudonym_key))


@router.post(
    f"/consignments/{CONSIGNMENT}/control",
    summary="A customs control step: hold, inspect, release, seize or return",
    openapi_extra={
        "requestBody": {"required": True, "content": {"application/json": {"schema": schemas.ref(ControlRequest)}}}
    },
    responses={
        200: {"description": "Done", "content": {"application/json": {"schema": schemas.ref(schemas.ConsignmentView)}}},
        **problem_responses(401, 403, 404, 409, 413, 415, 422),
    },
    response_class=Response,
)
async def control(
    consignment_id: ConsignmentId, request: Request, svc: Service, principal: Annotated[Principal, Depends(OFFICERS)]
) -> Response:
    step = await read_json(request, ControlRequest, max_bytes=4096, what="control step")
    await run_in_threadpool(
        lambda: svc.control(
            consignment_id, State(step.target), actor=principal.actor, reason=step.reason, hold_reason=step.hold_reason
        )
    )
    dossier = await run_in_threadpool(svc.dossier, None, consignment_id)
    if dossier is None:  # pragma: no cover - control() proved it exists
        raise NotFound(f"no consignment '{consignment_id}'")
    return json_response(consignment_view(dossier))
