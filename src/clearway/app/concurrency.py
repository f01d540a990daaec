"""What several processes writing one PostgreSQL database need around a submission's transaction:
a retry when another process stored the same record at the same moment (the unique index makes one
of the two wait, then refuses it), and a catch-up after the commit with what another process
committed meanwhile (clearance.catch_up: a declaration and its document in two workers at once)."""

from __future__ import annotations

import contextlib
import datetime as dt
import threading
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from typing import Any, TypeVar, cast

import sqlalchemy as sa

from clearway.clearance.catch_up import catch_up, left_waiting, link_keys, with_documents
from clearway.clearance.model import SubmissionResult
from clearway.clearance.pipeline import PipelineConfig
from clearway.clearance.stages import STAGES
from clearway.dataset.records import Consignment, DocumentKind
from clearway.gc_pause import paused_gc
from clearway.store.repository import SqlClearanceStore


@contextlib.contextmanager
def batch(engine: sa.Engine, write_lock: threading.Lock, records: int) -> Iterator[sa.Connection]:
    """One batch's transaction under the service's write lock, its commit timed as the pipeline's
    last stage (clearance.stages)."""
    with paused_gc(), write_lock:
        with engine.begin() as conn:
            yield conn
            committing = STAGES.clock()
        STAGES.add("commit", STAGES.clock() - committing, records)


T = TypeVar("T")
_TRIES = 3
# SQLSTATE of a unique violation (PostgreSQL); SQLite's one writer never meets another's row mid-way.
_UNIQUE_VIOLATION = "23505"


def retry_unique(attempt: Callable[[], T]) -> T:
    """Run a submission's transaction, again when a concurrent one stored one of its records first.

    Two processes given the same record (a producer's retry, a redelivery) both find no earlier
    one and both insert it; the unique index makes the second wait for the first and then refuses
    it, rolling back its whole batch. Run again, the batch finds the record stored and answers
    "duplicate" (or "conflict") for it, as if it had come second, and stores the rest.
    """
    for tries in range(1, _TRIES + 1):
        try:
            return attempt()
        except Exception as exc:
            # SQLAlchemy's IntegrityError wraps the driver's; a COPY (store.bulk) raises psycopg's own.
            if getattr(getattr(exc, "orig", exc), "sqlstate", None) != _UNIQUE_VIOLATION or tries == _TRIES:
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
    there already saw every earlier one: nothing to catch up with.
    """
    if engine.dialect.name == "sqlite" or not (waiting or any(keys.values())):
        return []
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
        if result.status == "accepted" and kind in _DOCUMENT_KINDS:
            document_kind = cast(DocumentKind, kind)
            keys.setdefault(document_kind, set()).update(link_keys(document_kind, record))
        elif isinstance(record, Consignment):
            waiting.update(left_waiting([result], {result.index: record}))
    return waiting, keys


_DOCUMENT_KINDS = frozenset({"order", "payment", "waybill"})
