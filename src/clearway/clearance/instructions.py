"""What a declarant must do (or know) now about one of its consignments, in fixed sentences.

One function for every place that tells an operator: its view of the consignment (api/views.py) and
the notifications sent to it (clearance/notices.py), so that the two cannot say different things.
Built from the state, the hold and the operator's own data; never from why customs chose it (no
lane, score, rule or random selection).
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

import msgspec

from clearway.clearance.decision import Decision
from clearway.clearance.lifecycle import HoldReason, State
from clearway.clearance.linking import LinkResult
from clearway.dataset.records import DocumentKind
from clearway.revenue.model import Assessment

RequestCode = Literal[
    "provide_documents",
    "correct_declaration",
    "answer_request_for_information",
    "provide_duty_information",
    "lodge_full_declaration",
    "present_goods",
    "do_not_load",
    "await_examination",
    "duties_and_taxes_due",
    "goods_seized",
    "return_goods",
]


class Instruction(msgspec.Struct, kw_only=True, omit_defaults=True, frozen=True):
    """Something the operator must do (or know) now, in a sentence, with the documents and deadline."""

    code: RequestCode
    message: str
    documents: list[DocumentKind] = []
    due_at: dt.datetime | None = None


# Decision reasons that concern the declarant's own data and say what to supply; every other code
# is a rule, a screening hit or the random selection, and stays with customs.
_DUTY_INFORMATION = "revenue_not_assessed"
NOTHING_DUE = frozenset({State.SEIZED, State.RETURNED, State.CANCELLED})

# What each hold and each state after an examination asks, whatever led to it.
_BY_HOLD = {
    HoldReason.INSPECTION: Instruction(
        code="present_goods", message="goods held for examination: present them to customs"
    ),
    HoldReason.DO_NOT_LOAD: Instruction(code="do_not_load", message="do not load the goods: customs will contact you"),
}
_BY_STATE = {
    State.INSPECTED: Instruction(
        code="await_examination", message="customs is examining the goods: wait for its decision"
    ),
    State.SEIZED: Instruction(
        code="goods_seized", message="customs has seized the goods and informs you of the decision and appeal"
    ),
    State.RETURNED: Instruction(code="return_goods", message="return the goods to the sender"),
}
ANSWER_REQUEST = Instruction(
    code="answer_request_for_information",
    message="answer the request for information: amend the declaration or send what customs asks for",
)


def duties_due(assessment: Assessment | None, state: State) -> Instruction | None:
    """The duties and taxes to pay, when known and above zero (an unknown total is not announced as
    due: provide_duty_information asks for what completes it)."""
    a = assessment
    if a is None or a.total is None or a.total <= 0 or state in NOTHING_DUE:
        return None
    return Instruction(
        code="duties_and_taxes_due",
        message=f"duties and taxes of {a.total} {a.currency}, collected by the {a.collection_model} "
        "(every line is explained in 'assessment')",
    )


def requested(
    state: State,
    hold: HoldReason | None,
    *,
    link: LinkResult | None = None,
    decision: Decision | None = None,
    assessment: Assessment | None = None,
    deadline: dt.datetime | None = None,
) -> list[Instruction]:
    """What the operator must do now, from the state, the hold and its own data."""
    asked: list[Instruction] = []
    open_case = state in (State.AWAITING_DOCUMENTS, State.HELD)
    if open_case and link is not None and link.missing:
        asked.append(
            Instruction(
                code="provide_documents",
                message=f"provide the documents: {', '.join(link.missing)}",
                documents=list(link.missing),
                due_at=deadline,
            )
        )
    if state is State.HELD and link is not None and link.reasons:
        asked.append(
            Instruction(
                code="correct_declaration",
                message="the declaration and its documents disagree (see 'link'): amend what is wrong in your data",
                documents=sorted({r.document for r in link.reasons}),
            )
        )
    if state is State.HELD and hold is HoldReason.REQUEST_FOR_INFORMATION:
        asked.append(ANSWER_REQUEST)
        for reason in decision.reasons if decision else []:
            if reason.code == _DUTY_INFORMATION:
                asked.append(Instruction(code="provide_duty_information", message=reason.message))
        if assessment is not None and assessment.irg_category == 4:
            why = "; ".join(w.message for w in assessment.warnings if w.code == "full_declaration_required")
            message = f"lodge a full customs declaration: {why}" if why else "lodge a full customs declaration"
            asked.append(Instruction(code="lodge_full_declaration", message=message))
    elif state is State.HELD and hold is not None and hold in _BY_HOLD:
        asked.append(_BY_HOLD[hold])
    elif state in _BY_STATE:
        asked.append(_BY_STATE[state])
    due = duties_due(assessment, state)
    if due is not None:
        asked.append(due)
    return asked


__all__ = ["NOTHING_DUE", "Instruction", "RequestCode", "duties_due", "requested"]
