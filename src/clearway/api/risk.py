"""Risk over HTTP: the rule catalogue with per-rule statistics, rule changes by analysts (versioned
and audited, no deploy), inspection outcomes recorded by officers, and trust tiers set by
administrators."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

import msgspec
from fastapi import APIRouter, Depends, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from clearway.access.roles import Principal, Role
from clearway.api import rule_schema, schemas
from clearway.api.deps import Access, Admin, Service, read_json
from clearway.api.paths import CONSIGNMENT, ConsignmentId
from clearway.api.problems import ApiError
from clearway.api.responses import json_body, json_response, ok, problem_responses
from clearway.clearance.errors import InvalidRecord
from clearway.dataset.errors import FieldError
from clearway.dataset.records import VISIBLE_TEXT, Amount, HsCode
from clearway.dataset.validate import decimal_errors
from clearway.risk.learning.features import Kind as FeatureKind
from clearway.risk.quality import CODES as QUALITY_CODES
from clearway.risk.rules.model import MAX_SCORE, Status

router = APIRouter(tags=["risk"])

READERS = Access(Role.OFFICER, Role.ANALYST, Role.STATISTICIAN, Role.ADMIN)
ANALYSTS = Access(Role.ANALYST, Role.ADMIN)
OFFICERS = Access(Role.OFFICER)
RuleName = Annotated[str, msgspec.Meta(pattern=r"^[a-z][a-z0-9_]{2,79}$(?!\n)")]


# What an inspection can find: one closed set for the request and the answer (app/risk/outcomes.py).
OutcomeKind = Literal["compliant", "undervalued", "misclassified", "prohibited", "counterfeit", "other"]


class RuleStatistics(msgspec.Struct, kw_only=True):
    name: str
    version: int
    status: Status
    description: str
    legal_basis: str
    weight: int
    outcome: dict[str, str] | None
    jurisdictions: list[str]
    valid_from: dt.date | None
    valid_to: dt.date | None
    when: Any
    changed_by: str
    changed_at: dt.datetime
    reason: str
    hits: int
    inspections: int
    findings: int
    hit_rate: float | None


class RuleCatalogue(msgspec.Struct, kw_only=True):
    rules: list[RuleStatistics]


# The rule as the pack format writes it (docs/rules.md): its keys, their types and the grammar of
# ``when`` (api/rule_schema.py) are documented; the rules between keys and a value's kind per field
# are the rule compiler's, whose 422 names the part at fault.
_RULE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["description", "jurisdictions", "valid_from", "when", "legal_basis"],
    "additionalProperties": False,
    "properties": {
        "name": {"type": "string", "description": "Ignored: the path names the rule"},
        "version": {"type": "integer", "description": "Ignored: the server numbers the versions"},
        "description": {
            "type": "string",
            "minLength": 2,
            "description": "One sentence: a capital letter first, a full stop at the end",
        },
        "jurisdictions": {
            "type": "array",
            "items": {"type": "string", "pattern": r"^([A-Z]{2,3}|\*)$"},
            "minItems": 1,
            "description": 'Jurisdiction codes, or ["*"] for all',
        },
        "valid_from": {"type": "string", "format": "date"},
        "valid_to": {"type": "string", "format": "date"},
        "when": {"$ref": f"#/components/schemas/{rule_schema.NAME}"},
        "legal_basis": {"type": "string", "minLength": 1},
        "weight": {"type": "integer", "minimum": 0, "maximum": MAX_SCORE},
        "outcome": {"type": "object", "description": "An action and a lane (docs/rules.md, Outcomes)"},
        "status": {"enum": ["active", "retired"]},
    },
}


class RuleChange(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A new version of a rule, in the pack format of docs/rules.md (dates as YYYY-MM-DD)."""

    rule: Annotated[dict[str, Any], msgspec.Meta(extra_json_schema=_RULE_SCHEMA)]
    reason: Annotated[str, msgspec.Meta(min_length=3, max_length=500, pattern=VISIBLE_TEXT)]


class Retirement(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    reason: Annotated[str, msgspec.Meta(min_length=3, max_length=500, pattern=VISIBLE_TEXT)]


class RuleVersion(msgspec.Struct, kw_only=True):
    name: str
    version: int


class Outcome(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """What an inspection found. Undervalued: give the corrected value; misclassified: the HS code."""

    outcome: OutcomeKind
    # A note may run over several lines; a NUL never (PostgreSQL refuses it in text).
    note: Annotated[str, msgspec.Meta(max_length=1000, pattern=r"^[^\x00]*$")] = ""
    corrected_value: Amount | None = None
    corrected_hs_code: HsCode | None = None


class Recorded(msgspec.Struct, kw_only=True):
    consignment_id: str
    outcome: OutcomeKind


class TrustTier(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    party: Literal["operator", "seller"]
    key: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    tier: Literal["aeo", "trusted", "standard", "new"]


class RetrainRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Retrain the targeting model from the recorded outcomes. ``force`` (administrators only)
    installs the new model even when the quality gate would keep the one in use."""

    force: bool = False


class RetrainDecision(msgspec.Struct, kw_only=True):
    """The quality gate's decision (docs/learning.md): installed or kept, why, and both models'
    Precision, Revenue and AUC at 5 % of a recent time-split hold-out."""

    decision: Literal["installed", "kept"]
    reason: str
    candidate_version: str
    current_version: str | None
    candidate: dict[str, float | None] | None
    current: dict[str, float | None] | None
    holdout: dict[str, Any]
    tolerance: float
    share_inspected: int
    forced: bool
    model_in_use: str


class RuleVersionView(msgspec.Struct, kw_only=True):
    """One stored version of a rule: its body in the pack format of docs/rules.md, and who changed
    it, when and why."""

    version: int
    status: str
    body: dict[str, Any]
    changed_by: str
    changed_at: dt.datetime
    reason: str


class RuleHistory(msgspec.Struct, kw_only=True):
    name: str
    versions: list[RuleVersionView]


# One row of the quality report: an operator's declarations of one period, their mean score, and
# the share (0 to 1) of them with each finding, one field per finding code (risk.quality.CODES).
QualityRow = msgspec.defstruct(
    "QualityRow",
    [
        ("operator_id", str),
        ("period_start", dt.datetime),
        ("records", int),
        ("mean_quality_score", float | None),
        *((f"share_{code}", float | None) for code in QUALITY_CODES),
        # The declarations of the period an inspection found misclassified, with the correct HS code
        # recorded (the HS classifier learns from them: docs/risk.md), and their share of ``records``.
        ("hs_codes_corrected", int),
        ("share_hs_codes_corrected", float | None),
    ],
    kw_only=True,
)


class QualityReport(msgspec.Struct, kw_only=True):
    """Data quality per operator and period, oldest period first within each operator."""

    days: int
    period: Literal["1d", "1w", "1mo"]
    rows: list[QualityRow]  # type: ignore[valid-type]


class TrainingWindow(msgspec.Struct, kw_only=True, rename={"start": "from", "end": "to"}):
    start: dt.datetime
    end: dt.datetime


class FeatureView(msgspec.Struct, kw_only=True):
    name: str
    description: str
    kind: FeatureKind


class ValidationMetrics(msgspec.Struct, kw_only=True):
    """The model's metrics on its validation rows: AUC (null with one class only) and precision,
    recall and revenue share at 1, 2, 5 and 10 % inspected (keys are the percentages)."""

    auc: float | None
    precision: dict[str, float]
    recall: dict[str, float]
    revenue: dict[str, float]
    validation_rows: int


class Thresholds(msgspec.Struct, kw_only=True):
    red_at: float
    yellow_at: float


class RetrainingRecord(msgspec.Struct, kw_only=True):
    """The latest retraining decision, as the audit chain records it, with when and by whom."""

    decision: Literal["installed", "kept"]
    reason: str
    candidate_version: str
    current_version: str | None
    candidate: dict[str, float | None] | None
    current: dict[str, float | None] | None
    holdout: dict[str, Any]
    tolerance: float
    share_inspected: int
    forced: bool
    at: dt.datetime
    actor: str


class ModelSummary(msgspec.Struct, kw_only=True):
    """The targeting model in use (docs/learning.md): its manifest's version, training window, data
    hash and signature, features, validation metrics and training configuration; the lanes'
    thresholds on its score; the retraining schedule and the latest retraining decision."""

    version: str
    created_at: dt.datetime
    training_window: TrainingWindow
    rows: int
    findings: int
    data_hash: str
    signature: str
    features: list[FeatureView]
    validation: ValidationMetrics
    config: dict[str, int | float]
    thresholds: Thresholds
    retrain_hours: int
    last_retraining: RetrainingRecord | None


class Psi(msgspec.Struct, kw_only=True):
    psi: float
    reading: Literal["stable", "moderate shift", "shift: retrain"]


class ShiftedFeature(msgspec.Struct, kw_only=True):
    feature: str
    psi: float
    reading: Literal["stable", "moderate shift", "shift: retrain"]


class DriftReport(msgspec.Struct, kw_only=True):
    """Population stability (PSI) of recent consignments against the model's training window: of
    the score (null when no consignment arrived in the period), of each feature, and the five most
    shifted features."""

    model: str
    consignments: int
    score: Psi | None
    features: dict[str, float]
    most_shifted: list[ShiftedFeature] = []


RISK_SCHEMAS = [
    RuleCatalogue,
    RuleChange,
    Retirement,
    RuleVersion,
    Outcome,
    Recorded,
    TrustTier,
    RetrainRequest,
    RetrainDecision,
    RuleHistory,
    QualityReport,
    ModelSummary,
    DriftReport,
]


def _as(cls: Any, value: Any) -> Any:
    """``value`` (the service's plain data) as the documented response type: what is sent is then
    exactly what the document says, and a field that changes shape fails here, not in a client."""
    return msgspec.convert(value, cls, from_attributes=False, strict=False)


@router.get(
    "/v1/risk/rules",
    summary="The rule catalogue: every rule's current version with hits, inspections, findings and hit rate",
    responses={**ok(RuleCatalogue, "The catalogue"), **problem_responses()},
    response_class=Response,
)
async def catalogue(svc: Service, _: Annotated[Principal, Depends(READERS)]) -> Response:
    rows = await run_in_threadpool(svc.risk.catalogue_rows)
    return json_response({"rules": rows})


@router.get(
    "/v1/risk/rules/{name}",
    summary="Every version of one rule: who changed it, when and why",
    responses={**ok(RuleHistory, "The versions, oldest first"), **problem_responses(404)},
    response_class=Response,
)
async def history(name: str, svc: Service, _: Annotated[Principal, Depends(READERS)]) -> Response:
    versions = await run_in_threadpool(svc.risk.history, name)
    return json_response(RuleHistory(name=name, versions=_as(list[RuleVersionView], versions)))


@router.put(
    "/v1/risk/rules/{name}",
    summary="Add a rule or a new version of it (analysts; versioned and audited, effective at once)",
    openapi_extra=json_body(schemas.ref(RuleChange)),
    responses={**ok(RuleVersion, "Stored"), **problem_responses(413, 415, 422)},
    response_class=Response,
)
async def change(
    name: RuleName, request: Request, svc: Service, principal: Annotated[Principal, Depends(ANALYSTS)]
) -> Response:
    body = await read_json(request, RuleChange, max_bytes=64 * 1024, what="rule change")
    raw = {**body.rule, "name": name}
    version = await run_in_threadpool(lambda: svc.risk.change_rule(raw, actor=principal.actor, reason=body.reason))
    return json_response(RuleVersion(name=name, version=version))


@router.post(
    "/v1/risk/rules/{name}/retirement",
    summary="Retire a rule (a new, retired version; the history stays)",
    openapi_extra=json_body(schemas.ref(Retirement)),
    responses={**ok(RuleVersion, "Retired"), **problem_responses(404, 409, 413, 415, 422)},
    response_class=Response,
)
async def retire(
    name: RuleName, request: Request, svc: Service, principal: Annotated[Principal, Depends(ANALYSTS)]
) -> Response:
    body = await read_json(request, Retirement, max_bytes=4096, what="retirement")
    version = await run_in_threadpool(lambda: svc.risk.retire_rule(name, actor=principal.actor, reason=body.reason))
    return json_response(RuleVersion(name=name, version=version))


@router.post(
    f"/v1/customs/consignments/{CONSIGNMENT}/outcome",
    summary="Record what an inspection found (labels for learning; feeds the per-rule statistics)",
    description=(
        "Once per inspection, and only for a consignment an officer has started to inspect: otherwise 409 "
        "(a label no inspection found would mislead the model and the rules' hit rates)."
    ),
    openapi_extra=json_body(schemas.ref(Outcome)),
    responses={**ok(Recorded, "Recorded"), **problem_responses(404, 409, 413, 415, 422)},
    response_class=Response,
)
async def outcome(
    consignment_id: ConsignmentId, request: Request, svc: Service, principal: Annotated[Principal, Depends(OFFICERS)]
) -> Response:
    body = await read_json(request, Outcome, max_bytes=8192, what="inspection outcome")
    # The bounds the document gives an amount (0 or more, below 10^12, at most 6 decimal places):
    # a corrected value becomes a training label, so a wrong one would teach the model.
    errors: list[FieldError] = []
    decimal_errors(errors, "", "corrected_value", body.corrected_value)
    if errors:
        raise InvalidRecord("the inspection outcome has invalid fields", errors)
    await run_in_threadpool(
        lambda: svc.risk.record_outcome(
            consignment_id,
            body.outcome,
            officer=principal.actor,
            note=body.note,
            corrected_value=body.corrected_value,
            corrected_hs_code=body.corrected_hs_code,
        )
    )
    return json_response(Recorded(consignment_id=consignment_id, outcome=body.outcome))


@router.put(
    "/v1/admin/trust",
    summary="Set the trust tier of an operator or a seller (AEO, trusted, standard, new)",
    openapi_extra=json_body(schemas.ref(TrustTier)),
    responses={**ok(TrustTier, "Set"), **problem_responses(413, 415, 422)},
    response_class=Response,
)
async def trust(request: Request, svc: Service, principal: Admin) -> Response:
    body = await read_json(request, TrustTier, max_bytes=4096, what="trust tier")
    key = body.key.lower() if body.party == "seller" else body.key
    await run_in_threadpool(lambda: svc.risk.set_trust(body.party, key, body.tier, actor=principal.actor))
    return json_response(body)


QUALITY_READERS = Access(Role.OPERATOR, Role.OFFICER, Role.ANALYST, Role.STATISTICIAN, Role.ADMIN)


@router.get(
    "/v1/risk/quality",
    summary="Data quality per operator and day: declarations, mean score, share of each finding",
    responses={**ok(QualityReport, "The report"), **problem_responses(422)},
    response_class=Response,
)
async def quality(
    svc: Service,
    principal: Annotated[Principal, Depends(QUALITY_READERS)],
    days: Annotated[int, Query(ge=1, le=366, description="How many days back.")] = 30,
    period: Annotated[Literal["1d", "1w", "1mo"], Query(description="Length of a period.")] = "1d",
) -> Response:
    # An operator sees its own declarations' quality; customs sees every operator's.
    operator = principal.id if principal.role is Role.OPERATOR else None
    rows = await run_in_threadpool(lambda: svc.risk.quality_report(days=days, operator_id=operator, period=period))
    return json_response(QualityReport(days=days, period=period, rows=_as(list[QualityRow], rows)))  # type: ignore[valid-type]


@router.get(
    "/v1/risk/model",
    summary="The targeting model in use: version, training window, data hash, validation metrics, thresholds",
    responses={**ok(ModelSummary, "The model's manifest summary"), **problem_responses(404)},
    response_class=Response,
)
async def model(svc: Service, _: Annotated[Principal, Depends(READERS)]) -> Response:
    return json_response(_as(ModelSummary, await run_in_threadpool(svc.learning.summary)))


@router.post(
    "/v1/risk/model/retraining",
    summary="Retrain the targeting model from the recorded outcomes now, through the quality gate (analysts)",
    openapi_extra=json_body(schemas.ref(RetrainRequest)),
    responses={**ok(RetrainDecision, "The gate's decision"), **problem_responses(403, 409, 413, 415, 422)},
    response_class=Response,
)
async def retrain(request: Request, svc: Service, principal: Annotated[Principal, Depends(ANALYSTS)]) -> Response:
    body = await read_json(request, RetrainRequest, max_bytes=1024, what="retraining request")
    if body.force and principal.role is not Role.ADMIN:
        # Bypassing the gate replaces a better model with a worse one: an administrator's decision.
        raise ApiError(
            403,
            "Forbidden",
            "only an administrator may force a model past the quality gate",
            "forbidden",
            denial="role",
        )
    done = await run_in_threadpool(lambda: svc.learning.retrain_now(actor=principal.actor, force=body.force))
    return json_response(RetrainDecision(**done.decision.to_json(), model_in_use=done.model.version))


@router.get(
    "/v1/risk/model/drift",
    summary="Population stability of the last days' consignments against the model's training window",
    responses={**ok(DriftReport, "PSI of the score and of each feature"), **problem_responses(404, 422)},
    response_class=Response,
)
async def drift(
    svc: Service,
    _: Annotated[Principal, Depends(ANALYSTS)],
    days: Annotated[int, Query(ge=1, le=90)] = 7,
) -> Response:
    return json_response(_as(DriftReport, await run_in_threadpool(svc.learning.drift, days)))
