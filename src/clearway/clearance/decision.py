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
from typing import Literal

import msgspec

from clearway.clearance.lifecycle import HoldReason
from clearway.clearance.linking import LinkResult
from clearway.revenue.model import Assessment

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


PASS_THROUGH = "pass-through-1"
_BASIS_LINKING = "WCO E-Commerce FoS, Standard 1 (advance electronic data) and Standard 2 (risk management)"
_BASIS_DEADLINE = "documents not received within the deadline set for the flow"
_BASIS_IRG = "WCO Immediate Release Guidelines (categories 1-4); WCO E-Commerce FoS, Standard 5 (revenue collection)"


def _revenue_reasons(revenue: Assessment | None, error: str | None) -> tuple[list[DecisionReason], bool]:
    """Reasons from the revenue assessment, and whether they call for a hold."""
    if error is not None:
        return [DecisionReason(code="revenue_not_assessed", message=error, basis=_BASIS_IRG)], True
    if revenue is None:
        return [], False
    summary = DecisionReason(
        code=f"irg_category_{revenue.irg_category}",
        message=(
            f"IRG category {revenue.irg_category}: duty {revenue.duty} + tax {revenue.tax} + fees {revenue.fees} = "
            f"{revenue.total} {revenue.currency}, collected by {revenue.collection_model}"
        ),
        basis=_BASIS_IRG,
    )
    warnings = [DecisionReason(code=w.code, message=w.message, basis=_BASIS_IRG) for w in revenue.warnings]
    # A duty that could not be computed is not released unpaid: the declarant is asked for the
    # rate (or customs loads the tariff), as for a full declaration.
    return [summary, *warnings], revenue.irg_category == 4 or not revenue.complete


def assess(
    link: LinkResult,
    *,
    now: dt.datetime,
    revenue: Assessment | None = None,
    revenue_error: str | None = None,
) -> Decision:
    """Decide the lane of a consignment whose documents are complete (or whose wait expired)."""
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
    # When the wait expired, the documents that did arrive may disagree too: the officer needs both.
    if missing or disagreements:
        return Decision(
            lane="yellow",
            hold_reason=HoldReason.REQUEST_FOR_INFORMATION,
            reasons=missing + disagreements + fiscal,
            engine=PASS_THROUGH,
            decided_at=now,
            irg_category=category,
        )
    if fiscal_hold:
        return Decision(
            lane="yellow",
            hold_reason=HoldReason.REQUEST_FOR_INFORMATION,
            reasons=fiscal,
            engine=PASS_THROUGH,
            decided_at=now,
            irg_category=category,
        )
    return Decision(
        lane="green",
        hold_reason=None,
        reasons=[
            DecisionReason(
                code="documents_match",
                message="order, payment and waybill agree with the declaration; no risk engine is configured",
                basis=_BASIS_LINKING,
            ),
            *fiscal,
        ],
        engine=PASS_THROUGH,
        decided_at=now,
        irg_category=category,
    )
