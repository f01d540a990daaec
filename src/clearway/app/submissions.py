"""Submissions of any kinds and operators in one transaction, one result per item, in order.

The HTTP intake groups concurrent single submissions through this (group commit), and a standard
message submits its records through it, with the message kept in the same transaction. Besides new
records, a message may change or withdraw a declaration its sender filed before (China's appType 2
and 3): those go through the same amendment and cancellation as the API's, with the same controls.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, cast

from clearway.audit.chain import AuditEvent
from clearway.clearance import actions, pipeline
from clearway.clearance.model import SubmissionResult
from clearway.clearance.store import ClearanceStore
from clearway.dataset.records import DocumentKind

# (kind, operator id, record): kind is "consignment", "order", "payment" or "waybill" for a new
# record; "consignment.change" or "consignment.delete" for a declaration filed before.
Submission = tuple[str, str, Any]
NEW = frozenset({"consignment", "order", "payment", "waybill"})
CHANGES: dict[str, actions.Change] = {"consignment.change": "change", "consignment.delete": "delete"}


class _AuditLast:
    """The store, with the audit entries of every group kept back and appended once, last.

    Appending takes the audit chain's head for update (store.audit_log): on PostgreSQL every other
    writing transaction waits for it until this one commits. Appended as each group finishes, the
    head would be held from the first group to the commit, and several processes' batches (Kafka
    workers, API processes) would run one after the other; appended last, it is held for the commit.
    Same entries, same order, same transaction.
    """

    def __init__(self, store: ClearanceStore) -> None:
        self.store = store
        self.events: list[AuditEvent] = []

    def append_audit(self, events: Sequence[AuditEvent]) -> None:
        self.events.extend(events)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)


def submit_together(
    store: ClearanceStore,
    items: Sequence[Submission],
    *,
    now: dt.datetime,
    config: pipeline.PipelineConfig,
    seen: set[str] | None = None,
) -> list[SubmissionResult]:
    deferred = _AuditLast(store)
    results = _submit_groups(cast(ClearanceStore, deferred), items, now=now, config=config, seen=seen)
    store.append_audit(deferred.events)
    return results


def _submit_groups(
    store: ClearanceStore,
    items: Sequence[Submission],
    *,
    now: dt.datetime,
    config: pipeline.PipelineConfig,
    seen: set[str] | None,
) -> list[SubmissionResult]:
    groups: dict[tuple[str, str], list[int]] = {}
    for index, (kind, operator_id, _) in enumerate(items):
        if kind not in NEW and kind not in CHANGES:
            raise ValueError(f"unknown kind of submission '{kind}'")
        groups.setdefault((kind, operator_id), []).append(index)
    results: list[SubmissionResult | None] = [None] * len(items)
    # New records first, by kind and sender (batched lookups); then the changes, one by one, so that
    # a change in the same batch as its declaration finds it.
    for (kind, operator_id), indexes in sorted(groups.items(), key=lambda group: group[0][0] in CHANGES):
        records = [items[i][2] for i in indexes]
        actor = f"operator:{operator_id}"
        if kind in CHANGES:
            outcome = [
                actions.change_by_reference(
                    store, operator_id, CHANGES[kind], record, now=now, actor=actor, config=config
                )
                for record in records
            ]
        elif kind == "consignment":
            outcome = pipeline.submit_consignments(store, operator_id, records, now=now, actor=actor, config=config)
        else:
            kind_of = cast(DocumentKind, kind)
            outcome = pipeline.submit_documents(
                store, kind_of, operator_id, records, now=now, actor=actor, config=config, seen=seen
            )
        for i, result in zip(indexes, outcome, strict=True):
            result.index = i
            results[i] = result
    return [r for r in results if r is not None]
