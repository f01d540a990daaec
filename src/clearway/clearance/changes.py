"""The changes one pipeline call makes: history, results, audit events, assessments, risk results
and the notifications operators subscribed to, gathered while the batch is processed and written to
the store in a few batched calls, in the caller's transaction."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from clearway.audit.chain import AuditEvent
from clearway.clearance import notices
from clearway.clearance.assessment import AssessedConsignment, RevenueConfig, usage_keys
from clearway.clearance.decision import Decision
from clearway.clearance.lifecycle import HoldReason, State, Transition
from clearway.clearance.linking import LinkResult
from clearway.clearance.model import HistoryEntry, StepResult, StoredConsignment
from clearway.clearance.store import ClearanceStore
from clearway.revenue.model import Assessment, PriorUsage
from clearway.risk.lanes import RiskResult


@dataclass
class Changes:
    """What one pipeline call changes, written to the store at its end in a few batched calls."""

    history: list[HistoryEntry] = field(default_factory=list)
    results: list[StepResult] = field(default_factory=list)
    audit: list[AuditEvent] = field(default_factory=list)
    assessments: list[AssessedConsignment] = field(default_factory=list)
    risks: list[tuple[StoredConsignment, RiskResult, dt.datetime]] = field(default_factory=list)
    # What each buyer (by ledger key) already imported, read once per call and kept current.
    usage: dict[str, PriorUsage] = field(default_factory=dict)
    # What operators may be notified of, kept as references until flush: one lookup for the whole
    # batch then says which operators subscribe, and only their notices are built (the bulk path
    # pays a list append per consignment when nobody subscribes).
    steps: list[tuple[StoredConsignment, Transition, str]] = field(default_factory=list)
    decisions: list[tuple[StoredConsignment, Decision, LinkResult, Assessment | None, State, HoldReason | None]] = (
        field(default_factory=list)
    )
    # Every declaration that changed state (id -> operator, time): the answers to the standard
    # messages it came in follow its state, and their senders may have asked to be told.
    moved: dict[str, tuple[str, dt.datetime]] = field(default_factory=dict)
    received: set[str] = field(default_factory=set)

    def prefetch_usage(
        self, store: ClearanceStore, rows: Sequence[StoredConsignment], revenue: RevenueConfig | None, now: dt.datetime
    ) -> None:
        if revenue is None:
            return
        keys = usage_keys(revenue, [row.record for row in rows])
        if keys:
            self.usage.update(store.person_usage(keys, now, exclude=[row.id for row in rows]))

    def record(self, row: StoredConsignment, step: Transition) -> None:
        """A state change: into the history, and into the audit chain as codes (no free text)."""
        self.history.append(HistoryEntry(consignment_id=row.id, transition=step))
        if step.from_state is None:
            # Received in this very call: no kept message carries it yet (a message is kept after
            # its records), so its first states need no look-up, which the bulk path would pay for.
            self.received.add(row.id)
        elif row.id not in self.received:
            self.moved[row.id] = (row.operator_id, step.at)
        # Read before the row takes the new state: a hold restated with the same reason is no news.
        kind = notices.step_kind(step, row.status.hold_reason)
        if kind is not None:
            self.steps.append((row, step, kind))
        detail: dict[str, object] = {"to": step.to_state.value}
        if step.from_state is not None:
            detail["from"] = step.from_state.value
        if step.hold_reason is not None:
            detail["hold_reason"] = step.hold_reason.value
        if step.to_state is State.RECEIVED:
            # Binds the declaration's content to the chain: a stored version edited later no
            # longer matches the hash recorded here.
            detail["version"] = row.version
            detail["body_hash"] = row.body_hash
        self.audit.append(
            AuditEvent(at=step.at, actor=step.actor, action="consignment.state", subject=row.id, detail=detail)
        )

    def decided(self, row: StoredConsignment, decision: Decision, link_status: str) -> None:
        self.audit.append(
            AuditEvent(
                at=decision.decided_at,
                actor=f"engine:{decision.engine}",
                action="consignment.decision",
                subject=row.id,
                detail={
                    "version": row.version,
                    "link": link_status,
                    "lane": decision.lane,
                    "codes": [r.code for r in decision.reasons],
                    **({"irg_category": decision.irg_category} if decision.irg_category is not None else {}),
                },
            )
        )

    def notify_decided(
        self, row: StoredConsignment, decision: Decision, link: LinkResult, assessment: Assessment | None
    ) -> None:
        """The pipeline's decision, once the consignment has moved to where it leads."""
        self.decisions.append((row, decision, link, assessment, row.status.state, row.status.hold_reason))

    def _notices(self, store: ClearanceStore) -> list[notices.Notice]:
        operators = (
            {row.operator_id for row, _, _ in self.steps}
            | {d[0].operator_id for d in self.decisions}
            | {operator for operator, _ in self.moved.values()}
        )
        if not operators:
            return []
        subscribers = store.webhook_subscribers(operators)
        if not subscribers:
            return []
        # The decision first, then the state changes it led to: a receiver reads them in that order.
        found: list[notices.Notice] = []
        for row, decision, link, assessment, state, hold in self.decisions:
            if row.operator_id in subscribers:
                found += notices.for_decision(subscribers, row, decision, link, assessment, state, hold)
        for row, step, kind in self.steps:
            if row.operator_id in subscribers and (n := notices.for_step(subscribers, row, step, kind)) is not None:
                found.append(n)
        return found + self._answers_changed(store, subscribers)

    def _answers_changed(self, store: ClearanceStore, subscribers: notices.Subscribers) -> list[notices.Notice]:
        """``message.response_ready`` for each kept message whose declaration moved, to a sender
        that asked for it (looked up only for declarations of such senders)."""
        wanting = {op for op, subs in subscribers.items() if any(notices.RESPONSE_READY in t for _, t in subs)}
        moved = {cid: at for cid, (operator, at) in self.moved.items() if operator in wanting}
        if not moved:
            return []
        at = max(moved.values())  # the batch's latest change
        found = []
        for message_id, standard, operator_id in store.messages_answering(moved):
            if (n := notices.for_message(subscribers, operator_id, message_id, standard, at)) is not None:
                found.append(n)
        return found

    def flush(self, store: ClearanceStore) -> None:
        found = self._notices(store)
        if found:
            store.append_notices(found)
        store.append_history(self.history)
        store.append_results(self.results)
        store.append_audit(self.audit)
        if self.assessments:
            store.append_assessments(self.assessments)
        if self.risks:
            store.append_risk_results([(row.id, row.version, row.operator_id, at, r) for row, r, at in self.risks])
