"""The assess step: what happens to a consignment once its documents are linked.

Risk plugs in here in later work. Today the decision releases matched consignments and holds those
whose documents disagree (a request for information), and takes in the revenue assessment: a
consignment of Immediate Release Guidelines category 4 (high value, restricted or excise goods)
needs a full declaration, so it is held for one, and so is a consignment whose duty could not be
computed (no tariff rate known); the assessment's warnings (a misused IOSS number, a missing rate)
become reasons the officer and the operator see. Each
decision carries its reasons and the basis it was made on.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Literal

import msgspec

from clearway.clearance.lifecycle import HoldReason
from clearway.clearance.linking import LinkResult
from clearway.revenue.model import Assessment
from clearway.risk.lanes import RiskResult

Lane = Literal["green", "yellow", "red", "do_not_load"]


class DecisionReason(msgspec.Struct, frozen=True, kw_only=True):
    code: str
    message: str
    basis: str


class Decision(msgspec.Struct, frozen=True, kw_only=True):
    lane: Lane
    hold_reason: HoldReason | None
    reasons: list[DecisionReason]
    engine: str
    decided_at: dt.datetime
    irg_category: int | None = None
    risk_score: int | None = None
    rule_versions: list[str] = msgspec.field(default_factory=list)  # name@version of every rule evaluated


PASS_THROUGH = "pass-through-1"
RISK_ENGINE = "risk-1"
_BASIS_LINKING = "WCO E-Commerce FoS, Standard 1 (advance electronic data) and Standard 2 (risk management)"
_BASIS_DEADLINE = "documents not received within the deadline set for the flow"
_BASIS_IRG = "WCO Immediate Release Guidelines (categories 1-4); WCO E-Commerce FoS, Standard 5 (revenue collection)"


def _known(amount: Decimal | None) -> str:
    return "unknown" if amount is None else f"{amount}"


def _revenue_reasons(revenue: Assessment | None, error: str | None) -> tuple[list[DecisionReason], bool]:
    """Reasons from the revenue assessment, and whether they call for a hold."""
    if error is not None:
        return [DecisionReason(code="revenue_not_assessed", message=error, basis=_BASIS_IRG)], True
    if revenue is None:
        return [], False
    summary = DecisionReason(
        code=f"irg_category_{revenue.irg_category}",
        message=(
            f"IRG category {revenue.irg_category}: duty {_known(revenue.duty)} + tax {_known(revenue.tax)} "
            f"+ fees {_known(revenue.fees)} = {_known(revenue.total)} {revenue.currency}, "
            f"collected by {revenue.collection_model}"
        ),
        basis=_BASIS_IRG,
    )
    warnings = [DecisionReason(code=w.code, message=w.message, basis=_BASIS_IRG) for w in revenue.warnings]
    # A duty that could not be computed is not released unpaid: the declarant is asked for the
    # rate (or customs loads the tariff), as for a full declaration.
    return [summary, *warnings], revenue.irg_category == 4 or not revenue.complete


_SEVERITY = {"green": 0, "yellow": 1, "red": 2, "do_not_load": 3}
_HOLD: dict[str, HoldReason | None] = {
    "green": None,
    "yellow": HoldReason.REQUEST_FOR_INFORMATION,
    "red": HoldReason.INSPECTION,
    "do_not_load": HoldReason.DO_NOT_LOAD,
}


def assess(
    link: LinkResult,
    *,
    now: dt.datetime,
    revenue: Assessment | None = None,
    revenue_error: str | None = None,
    risk: RiskResult | None = None,
) -> Decision:
    """Decide the lane of a consignment whose documents are complete (or whose wait expired).

    Each source proposes a lane — linking (yellow when documents are missing or disagree), revenue
    (yellow for a full declaration or an uncomputed duty), risk (its lane) — and the most severe
    wins; the reasons of all of them are kept, so the officer sees every why.
    """
    fiscal, fiscal_hold = _revenue_reasons(revenue, revenue_error)
    category = revenue.irg_category if revenue is not None else None
    disagreements = [
        DecisionReason(code=r.code, message=f"{r.document}: {r.message}", basis=_BASIS_LINKING) for r in link.reasons
    ]
    missing = [
        DecisionReason(
            code="documents_missing", message=f"no {kind} received before the deadline", basis=_BASIS_DEADLINE
        )
        for kind in link.missing
    ]
    lane: Lane = "green"
    # When the wait expired, the documents that did arrive may disagree too: the officer needs both.
    linking = missing + disagreements
    if linking or fiscal_hold:
        lane = "yellow"
    if not linking:
        engine_note = "" if risk is not None else "; no risk engine is configured"
        linking = [
            DecisionReason(
                code="documents_match",
                message=f"order, payment and waybill agree with the declaration{engine_note}",
                basis=_BASIS_LINKING,
            )
        ]
    risk_reasons: list[DecisionReason] = []
    if risk is not None:
        risk_reasons = [DecisionReason(code=r.code, message=r.message, basis=r.basis) for r in risk.reasons]
        if _SEVERITY[risk.lane] > _SEVERITY[lane]:
            lane = risk.lane
    return Decision(
        lane=lane,
        hold_reason=_HOLD[lane],
        reasons=linking + fiscal + risk_reasons,
        engine=RISK_ENGINE if risk is not None else PASS_THROUGH,
        decided_at=now,
        irg_category=category,
        risk_score=risk.score if risk is not None else None,
        rule_versions=risk.rule_versions if risk is not None else [],
    )
