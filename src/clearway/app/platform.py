"""The application service: runs the pure pipeline against the SQL store, one transaction a call.

The API, the CLI and the benchmarks all go through this one class, so that a declaration takes
the same path whether it came in a POST, an NDJSON batch or a Parquet file. Writes are serialised
by a lock: linking reads the documents and declarations already stored, and two concurrent
batches in one process must not each miss the other's half of a match. Across processes the
periodic sweep re-links whatever such a race left waiting.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import threading
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import sqlalchemy as sa

from clearway.app import metrics
from clearway.app.access.operators import AccessService
from clearway.app.alerts.service import AlertService
from clearway.app.classification import ClassificationService
from clearway.app.concurrency import batch, catch_up_after, looked_for, retry_conflicts
from clearway.app.dossier import ConsignmentDossier, read_dossier
from clearway.app.learning.service import LearningService
from clearway.app.messages import MessageService
from clearway.app.preloading import PreloadingService
from clearway.app.revenue import RevenueService
from clearway.app.risk.service import RiskService
from clearway.app.submissions import Submission, submit_together
from clearway.app.webhooks.service import WebhookService
from clearway.audit.chain import AuditEvent, Verification
from clearway.clearance import actions, pipeline
from clearway.clearance.catch_up import keys_stored, left_waiting
from clearway.clearance.lifecycle import HoldReason, State
from clearway.clearance.model import StoredConsignment, SubmissionResult
from clearway.dataset.records import Consignment, Document, DocumentKind
from clearway.gc_pause import paused_gc
from clearway.risk.lanes import RiskResult
from clearway.settings import Settings
from clearway.store.audit_log import SqlAuditLog
from clearway.store.engine import create_engine
from clearway.store.repository import SqlClearanceStore

_log = logging.getLogger(__name__)
SYSTEM = "system:pipeline"
T = TypeVar("T")


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Clearway:
    def __init__(self, settings: Settings, engine: sa.Engine | None = None) -> None:
        self.settings = settings
        self.engine = engine or create_engine(settings.database_url)
        self._write_lock = threading.Lock()

    @functools.cached_property
    def access(self) -> AccessService:
        """Operators, keys, people and sessions (created on first use: it loads the secret)."""
        return AccessService(self.engine, self.settings, write_lock=self._write_lock)

    @functools.cached_property
    def revenue(self) -> RevenueService:
        """Quotes, assessments, tariff and registries (created on first use: it loads the jurisdictions)."""
        return RevenueService(self.engine, self.settings, write_lock=self._write_lock)

    @functools.cached_property
    def risk(self) -> RiskService:
        """Rules, watchlists, outcomes and the pipeline's risk step (created on first use)."""
        return RiskService(self.engine, self.settings, self.revenue.catalogue, write_lock=self._write_lock)

    @functools.cached_property
    def learning(self) -> LearningService:
        """The targeting model: training from recorded outcomes, scheduled retraining, drift."""
        return LearningService(self.engine, self.settings, self.risk, write_lock=self._write_lock)

    @functools.cached_property
    def preloading(self) -> PreloadingService:
        """Pre-loading (PLACI) filings and their referrals."""
        return PreloadingService(self.engine, self.settings, self.risk, write_lock=self._write_lock)

    @functools.cached_property
    def messages(self) -> MessageService:
        """Standard messages (UPU, EU, China): kept as received, submitted through this pipeline."""
        return MessageService(self.engine, self.submit_mixed, self.preloading)

    @functools.cached_property
    def webhooks(self) -> WebhookService:
        """Operators' webhook subscriptions, their delivery log, and the deliverer."""
        return WebhookService(self.engine, self.settings, write_lock=self._write_lock)

    @functools.cached_property
    def classification(self) -> ClassificationService:
        """The HS classification assistant: suggestions, code checks, national lines."""
        return ClassificationService(self.engine, self.settings, self.revenue)

    @functools.cached_property
    def alerts(self) -> AlertService:
        """Customs-to-customs alerts; an import rebuilds the risk step if one is built (never loads one)."""
        return AlertService(self.engine, self.settings, lambda: vars(self).get("risk"), write_lock=self._write_lock)

    @property
    def config(self) -> pipeline.PipelineConfig:
        # Rebuilt per call (a few attribute reads) so that reference data reloaded after an
        # import or a rule change is what the next batch is assessed with.
        return pipeline.PipelineConfig(
            document_wait=self.settings.document_wait,
            revenue=self.revenue.config(),
            risk=self.risk.step() if self.settings.risk_enabled else None,
        )

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Clearway:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def submit_consignments(
        self,
        operator_id: str,
        records: Sequence[Consignment],
        *,
        actor: str | None = None,
        now: dt.datetime | None = None,
    ) -> list[SubmissionResult]:
        at, actor = now or utcnow(), actor or f"operator:{operator_id}"

        def attempt() -> list[SubmissionResult]:
            with batch(self.engine, self._write_lock, len(records)) as conn:
                store = SqlClearanceStore(conn)
                return pipeline.submit_consignments(
                    store, operator_id, records, now=at, actor=actor, config=self.config
                )

        done = metrics.measured("consignments", "consignment", lambda: retry_conflicts(attempt))
        waiting = left_waiting(done, records)
        catch_up_after(self.engine, self._write_lock, self.config, waiting, {}, now=at, actor=actor)
        return done

    def submit_documents(
        self,
        kind: DocumentKind,
        operator_id: str,
        records: Sequence[Document],
        *,
        actor: str | None = None,
        now: dt.datetime | None = None,
    ) -> list[SubmissionResult]:
        at, actor = now or utcnow(), actor or f"operator:{operator_id}"
        seen: set[str] = set()

        def attempt() -> list[SubmissionResult]:
            seen.clear()
            with batch(self.engine, self._write_lock, len(records)) as conn:
                store = SqlClearanceStore(conn)
                return pipeline.submit_documents(
                    store, kind, operator_id, records, now=at, actor=actor, config=self.config, seen=seen
                )

        done = metrics.measured("documents", kind, lambda: retry_conflicts(attempt))
        keys = {kind: keys_stored(kind, records, done)}
        catch_up_after(self.engine, self._write_lock, self.config, {}, keys, seen=seen, now=at, actor=actor)
        return done

    def submit_mixed(
        self,
        items: Sequence[Submission],
        *,
        now: dt.datetime | None = None,
        also: Callable[[sa.Connection, list[SubmissionResult]], None] | None = None,
    ) -> list[SubmissionResult]:
        """Submissions of any kinds and operators in one transaction, one result per item, in order.

        The HTTP intake groups concurrent single submissions through this (group commit): one
        transaction and one set of batched lookups instead of one of each per request. ``also``
        writes what belongs with the results in the same transaction (a message kept as received:
        app.messages), so that neither is stored without the other.
        """
        at = now or utcnow()

        seen: set[str] = set()

        def attempt() -> list[SubmissionResult]:
            seen.clear()
            with batch(self.engine, self._write_lock, len(items)) as conn:
                found = submit_together(SqlClearanceStore(conn), items, now=at, config=self.config, seen=seen)
                if also is not None:
                    also(conn, found)
            return found

        done = metrics.measured("mixed", [kind for kind, _, _ in items], lambda: retry_conflicts(attempt))
        waiting, keys = looked_for(items, done)
        catch_up_after(
            self.engine, self._write_lock, self.config, waiting, keys, seen=seen, now=at, actor="system:linking"
        )
        return done

    def amend(
        self, operator_id: str, consignment_id: str, record: Consignment, *, now: dt.datetime | None = None
    ) -> SubmissionResult:
        at, actor = now or utcnow(), f"operator:{operator_id}"
        done = self._in_turn(
            lambda store: actions.amend(
                store, operator_id, consignment_id, record, now=at, actor=actor, config=self.config
            )
        )
        waiting = left_waiting([done], {done.index: record})  # an amendment may wait for new documents
        catch_up_after(self.engine, self._write_lock, self.config, waiting, {}, now=at, actor=actor)
        return done

    def cancel(self, operator_id: str, consignment_id: str, reason: str, *, now: dt.datetime | None = None) -> None:
        at, actor = now or utcnow(), f"operator:{operator_id}"
        self._in_turn(
            lambda store: actions.cancel(store, operator_id, consignment_id, reason=reason, now=at, actor=actor)
        )

    def control(
        self,
        consignment_id: str,
        target: State,
        *,
        actor: str,
        reason: str,
        hold_reason: HoldReason | None = None,
        now: dt.datetime | None = None,
    ) -> None:
        """A customs control step (hold, inspect, release, seize, return); ``actor`` is the officer."""
        at = now or utcnow()
        self._in_turn(
            lambda store: actions.control(
                store, consignment_id, target, reason=reason, now=at, actor=actor, hold_reason=hold_reason
            )
        )

    def expire_overdue(self, *, now: dt.datetime | None = None) -> int:
        at = now or utcnow()
        return self._in_turn(lambda store: pipeline.expire_overdue(store, now=at, actor=SYSTEM, config=self.config))

    def _in_turn(self, work: Callable[[SqlClearanceStore], T]) -> T:
        """One transaction of ``work`` under the write lock, run again if PostgreSQL made it a deadlock's
        victim (two processes taking the same orders' locks in another order: app.concurrency)."""

        def attempt() -> T:
            with paused_gc(), self._write_lock, self.engine.begin() as conn:
                return work(SqlClearanceStore(conn))

        return retry_conflicts(attempt)

    def page(self, operator_id: str, *, state: str | None, before: str | None, limit: int) -> list[dict[str, Any]]:
        """One page of an operator's consignments, newest first."""
        with self.engine.connect() as conn:
            return SqlClearanceStore(conn).page_of(operator_id, state, before, limit)

    def audit_event(self, actor: str, action: str, subject: str, **detail: Any) -> None:
        """Append one event to the audit chain (codes and ids only, no personal data)."""
        event = AuditEvent(at=utcnow(), actor=actor, action=action, subject=subject, detail=detail)
        with self._write_lock, self.engine.begin() as conn:
            SqlAuditLog(conn).append([event])

    def record_personal_data_read(self, actor: str, consignment_id: str) -> None:
        """A person saw a consignment's personal data: that goes to the audit chain."""
        self.audit_event(actor, "personal_data.read", consignment_id)

    def verify_audit(self, page: int = 10_000) -> Verification:
        """Walk the whole audit chain in order and check every link, hash and the head."""
        with self.engine.connect() as conn:
            return SqlAuditLog(conn).verify(page)

    def dossier(self, operator_id: str | None, consignment_id: str) -> ConsignmentDossier | None:
        """The consignment with its versions, history, documents and latest results.

        ``operator_id`` limits the answer to that operator's own consignments (None: any).
        """
        # Customs read it: a model score the pipeline did not explain is explained now (never for
        # the declarant, who sees no targeting).
        customs = operator_id is None and self.settings.risk_enabled
        return read_dossier(
            self.engine, operator_id, consignment_id, explain=self._explain_on_read if customs else None
        )

    def _explain_on_read(self, row: StoredConsignment, result: RiskResult) -> RiskResult:
        # An explanation is a help, not the record: a declaration that no longer assesses cleanly
        # (reference data of its day gone, a rule since changed) is shown unexplained, never a 500.
        try:
            return self.risk.step().explained(row, result)
        except Exception:
            _log.exception("model score of %s not explained on read", row.id)
            return result
