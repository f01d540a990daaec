"""The assess step: what happens to a consignment once its documents are linked.

Risk and revenue plug in here in later work; until then the assessment is a pass-through that
releases matched consignments and holds those whose documents disagree, for a request for
information. Each decision carries its reasons and the basis it was made on.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

import msgspec

from clearway.clearance.lifecycle import HoldReason
from clearway.clearance.linking import LinkResult

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


PASS_THROUGH = "pass-through-1"
_BASIS_LINKING = "WCO E-Commerce FoS, Standard 1 (advance electronic data) and Standard 2 (risk management)"
_BASIS_DEADLINE = "documents not received within the deadline set for the flow"


def assess(link: LinkResult, *, now: dt.datetime) -> Decision:
    """Decide the lane of a consignment whose documents are complete (or whose wait expired)."""
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
            reasons=missing + disagreements,
            engine=PASS_THROUGH,
            decided_at=now,
        )
    return Decision(
        lane="green",
        hold_reason=None,
        reasons=[
            DecisionReason(
                code="documents_match",
                message="order, payment and waybill agree with the declaration; no risk engine is configured",
                basis=_BASIS_LINKING,
            )
        ],
        engine=PASS_THROUGH,
        decided_at=now,
    )
