"""Where a batch's time goes: seconds and records per named stage of the pipeline, per process.

The bulk pipeline is a sequence of stages over a batch: for declarations accept, link view, link,
risk, revenue, decide, store, record and commit; for documents accept, store, and finding the
declarations that wait for them. Each adds the wall time it took and the records it handled to
``STAGES``, so that a benchmark prints the next bottleneck (bench/bulk_pipeline.py) and operations
can read records per stage per second (the /metrics counters are ``STAGES``' totals). Only sums are
kept: a few dictionary additions a batch, and two clock readings a record for the stages that run
record by record (revenue, decide).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

# The stages in the order a declaration meets them; a report lists them in this order.
ORDER = (
    "decode",
    "accept",
    "link_view",
    "link",
    "risk",
    "revenue",
    "decide",
    "store",
    "record",
    "commit",
    "documents_accept",
    "documents_store",
    "find_waiting",
)


# The sums of the attempt in progress (``StageTimes.once``), held back until it ends.
_Pending = list[tuple[str, float, int, int]]


@dataclass(frozen=True, slots=True)
class StageTotal:
    """One stage's totals since the process started (or since ``reset``)."""

    seconds: float
    records: int
    batches: int


class StageTimes:
    """Per-stage sums of seconds, records and batches. Thread-safe: API workers share a process."""

    def __init__(self, clock: Callable[[], float] = time.perf_counter) -> None:
        self.clock = clock
        self._lock = threading.Lock()
        self._totals: dict[str, list[float]] = {}
        self._listeners: list[Callable[[str, float, int], None]] = []
        # Per thread (and per copied context): API threads and the batcher each have their attempt.
        self._pending: ContextVar[_Pending | None] = ContextVar(f"stage_pending_{id(self)}", default=None)

    def listen(self, listener: Callable[[str, float, int], None]) -> None:
        """Also tell ``listener`` of every batch through a stage (stage, seconds, records): the
        application's Prometheus counters, which several processes share (app.metrics)."""
        self._listeners.append(listener)

    def add(self, stage: str, seconds: float, records: int, batches: int = 1) -> None:
        pending = self._pending.get()
        if pending is not None:
            pending.append((stage, seconds, records, batches))
            return
        for listener in self._listeners:
            listener(stage, seconds, records)
        with self._lock:
            total = self._totals.get(stage)
            if total is None:
                self._totals[stage] = [seconds, records, batches]
            else:
                total[0] += seconds
                total[1] += records
                total[2] += batches

    @contextmanager
    def stage(self, stage: str, records: int) -> Iterator[None]:
        """Time the block as one batch of ``records`` through ``stage`` (also when it raises)."""
        started = self.clock()
        try:
            yield
        finally:
            self.add(stage, self.clock() - started, records)

    @contextmanager
    def once(self) -> Iterator[None]:
        """Count the block's records only if it completes: a transaction run again (a deadlock's
        victim, a race lost to another process: app.concurrency.retry_conflicts) would otherwise
        count its batch twice. A failed attempt's seconds still count (the time was spent), with
        no records and no batch."""
        pending: _Pending = []
        token = self._pending.set(pending)
        completed = False
        try:
            yield
            completed = True
        finally:
            self._pending.reset(token)
            for stage, seconds, records, batches in pending:
                if completed:
                    self.add(stage, seconds, records, batches)
                else:
                    self.add(stage, seconds, 0, 0)

    def snapshot(self) -> dict[str, StageTotal]:
        """The totals, stages in pipeline order (any other names after, alphabetically)."""
        with self._lock:
            items = {name: StageTotal(t[0], int(t[1]), int(t[2])) for name, t in self._totals.items()}
        known = [name for name in ORDER if name in items]
        rest = sorted(name for name in items if name not in ORDER)
        return {name: items[name] for name in known + rest}

    def reset(self) -> None:
        with self._lock:
            self._totals.clear()


def since(before: dict[str, StageTotal], after: dict[str, StageTotal]) -> dict[str, StageTotal]:
    """What each stage added between two snapshots (a benchmark's run, a worker's batch)."""
    zero = StageTotal(0.0, 0, 0)
    found = {}
    for name, total in after.items():
        earlier = before.get(name, zero)
        if total.batches != earlier.batches:
            found[name] = StageTotal(
                total.seconds - earlier.seconds, total.records - earlier.records, total.batches - earlier.batches
            )
    return found


# The process's totals: the pipeline adds to them, benchmarks and /metrics read them.
STAGES = StageTimes()
