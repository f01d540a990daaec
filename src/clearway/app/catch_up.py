"""After a submission commits on PostgreSQL, catch up with what another process committed at the same
moment (clearance.catch_up: a declaration and its document in two workers at once)."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Collection, Mapping, Sequence
from typing import Any, cast

import sqlalchemy as sa

from clearway.clearance.catch_up import catch_up, left_waiting, link_keys
from clearway.clearance.model import SubmissionResult
from clearway.clearance.pipeline import PipelineConfig
from clearway.clearance.stages import STAGES
from clearway.dataset.records import DocumentKind
from clearway.gc_pause import paused_gc
from clearway.store.repository import SqlClearanceStore


def catch_up_after(
    engine: sa.Engine,
    write_lock: threading.Lock | threading.RLock,
    config: PipelineConfig,
    waiting: Collection[str],
    keys: Mapping[DocumentKind, Collection[str]],
    *,
    now: dt.datetime,
    actor: str,
) -> list[str]:
    """Link again, in a transaction of its own, what the committed batch could not see; the ids moved.

    SQLite has one writing process and the service's lock orders its transactions, so every batch
    there already saw every earlier one: nothing to catch up with.
    """
    looked = len(waiting) + sum(len(k) for k in keys.values())
    if engine.dialect.name == "sqlite" or not looked:
        return []
    with paused_gc(), write_lock, engine.begin() as conn, STAGES.stage("catch_up", looked):
        return catch_up(SqlClearanceStore(conn), waiting, keys, now=now, actor=actor, config=config)


def looked_for(
    items: Sequence[tuple[str, str, Any]], results: Sequence[SubmissionResult]
) -> tuple[list[str], dict[DocumentKind, set[str]]]:
    """What a mixed batch (app.submissions) must look at again: the declarations it left waiting, and
    the link keys of the documents it stored, by kind."""
    keys: dict[DocumentKind, set[str]] = {}
    for result in results:
        kind, _, record = items[result.index]
        if result.status == "accepted" and kind in _DOCUMENT_KINDS:
            document_kind = cast(DocumentKind, kind)
            keys.setdefault(document_kind, set()).update(link_keys(document_kind, record))
    return left_waiting(results), keys


_DOCUMENT_KINDS = frozenset({"order", "payment", "waybill"})
