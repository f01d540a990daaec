"""What several processes writing one PostgreSQL database need around a submission's transaction:
a retry when another process stored the same record at the same moment (the unique index makes one
of the two wait, then refuses it), and a catch-up after the commit with what another process
committed meanwhile (clearance.catch_up: a declaration and its document in two workers at once)."""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import threading
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from typing import Any, TypeVar, cast

import sqlalchemy as sa

from clearway.app import metrics
from clearway.clearance.catch_up import catch_up, left_waiting, link_keys, with_documents
from clearway.clearance.model import SubmissionResult
from clearway.clearance.pipeline import PipelineConfig
from clearway.clearance.stages import STAGES
from clearway.dataset.records import Consignment, DocumentKind
from clearway.gc_pause import paused_gc
from clearway.store.bulk import analyze_due, take_due
from clearway.store.repository import SqlClearanceStore


@contextlib.contextmanager
def batch(engine: sa.Engine, write_lock: threading.Lock, records: int) -> Iterator[sa.Connection]:
    """One batch's transaction under the service's write lock, its commit timed as the pipeline's
    last stage (clearance.stages)."""
    with paused_gc(), write_lock:
        with engine.begin() as conn:
            yield conn
            due = take_due(conn)
            committing = STAGES.clock()
        STAGES.add("commit", STAGES.clock() - committing, records)
    # After the commit and outside the write lock: the tables this batch grew by a tenth.
    analyze_due(engine, due)


T = TypeVar("T")
_TRIES = 3
# SQLSTATEs (PostgreSQL) after which a transaction is simply run again: a unique violation (another
# process stored the same record first), a deadlock or a serialization failure (PostgreSQL chose this
# transaction as the victim). SQLite's one writer meets none of them.
_AGAIN = frozenset({"23505", "40P01", "40001"})
_log = logging.getLogger(__name__)


def _sqlstate(exc: BaseException) -> str | None:
    # SQLAlchemy's errors wrap the driver's; a COPY (store.bulk) raises psycopg's own.
    return getattr(getattr(exc, "orig", exc), "sqlstate", None)


def retry_conflicts(attempt: Callable[[], T]) -> T:
    """Run a submission's transaction, again when a concurrent one stored one of its records first.

    Two processes given the same record (a producer's retry, a redelivery) both find no earlier
    one and both insert it; the unique index makes the second wait for the first and then refuses
    it, rolling back its whole batch. Run again, the batch finds the record stored and answers
    "duplicate" (or "conflict") for it, as if it had come second, and stores the rest. A
    transaction PostgreSQL chose as a deadlock's or a serialization failure's victim is run again too.
    """
    for tries in range(1, _TRIES + 1):
        try:
            with STAGES.once():  # an attempt rolled back and run again counts its records once
                return attempt()
        except Exception as exc:
            if _sqlstate(exc) not in _AGAIN or tries == _TRIES:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def catch_up_after(
    engine: sa.Engine,
    write_lock: threading.Lock,
    config: PipelineConfig,
    waiting: Mapping[str, Consignment],
    keys: Mapping[DocumentKind, Collection[str]],
    *,
    seen: Collection[str] = (),
    now: dt.datetime,
    actor: str,
) -> list[str]:
    """Link again, in a transaction of its own, what the committed batch could not see; the ids moved.

    SQLite has one writing process and the service's lock orders its transactions, so every batch
    there already saw every earlier one: nothing to catch up with. It never raises: the batch is
    committed and answered; a catch-up that fails (run again after a deadlock, then given up) is
    logged and counted, and its declarations are linked by the next look at them (a redelivery,
    whose duplicates catch up too, or the sweep at their deadline).
    """
    if engine.dialect.name == "sqlite" or not (waiting or any(keys.values())):
        return []
    try:
        return retry_conflicts(lambda: _catch_up(engine, write_lock, config, waiting, keys, seen, now, actor))
    except Exception:
        _log.exception("catching up after a committed batch failed; its declarations wait for the next look")
        metrics.ERRORS.labels("catch_up").inc()
        return []


def _catch_up(
    engine: sa.Engine,
    write_lock: threading.Lock,
    config: PipelineConfig,
    waiting: Mapping[str, Consignment],
    keys: Mapping[DocumentKind, Collection[str]],
    seen: Collection[str],
    now: dt.datetime,
    actor: str,
) -> list[str]:
    looked = len(waiting) + sum(len(k) for k in keys.values())
    with STAGES.stage("catch_up", looked):
        # The waiting declarations' keys are read first, outside the lock and any write: most
        # often no document is stored under them and there is nothing more to do.
        with engine.connect() as conn:
            candidates = with_documents(SqlClearanceStore(conn), waiting)
        if not candidates and not any(keys.values()):
            return []
        with paused_gc(), write_lock, engine.begin() as conn:
            store = SqlClearanceStore(conn)
            return catch_up(store, candidates, keys, seen=seen, now=now, actor=actor, config=config)


def looked_for(
    items: Sequence[tuple[str, str, Any]], results: Sequence[SubmissionResult]
) -> tuple[dict[str, Consignment], dict[DocumentKind, set[str]]]:
    """What a mixed batch (app.submissions) must look at again: the declarations it left waiting, and
    the link keys of the documents it stored, by kind."""
    keys: dict[DocumentKind, set[str]] = {}
    waiting: dict[str, Consignment] = {}
    for result in results:
        kind, _, record = items[result.index]
        if result.status in ("accepted", "duplicate") and kind in _DOCUMENT_KINDS:
            document_kind = cast(DocumentKind, kind)
            keys.setdefault(document_kind, set()).update(link_keys(document_kind, record))
        elif isinstance(record, Consignment):
            waiting.update(left_waiting([result], {result.index: record}))
    return waiting, keys


_DOCUMENT_KINDS = frozenset({"order", "payment", "waybill"})
