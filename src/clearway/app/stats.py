"""The statistics service: the facts frame kept in memory, refreshed incrementally, and the queries.

A query answers from the cached facts frame (clearway.stats), so a dashboard over a million
consignments answers in milliseconds rather than re-reading the store. The frame is refreshed
when it is older than ``stats_refresh_seconds``: only the consignments changed since the last
refresh (a later ``updated_at``, or a newly recorded inspection outcome) are read again and merged.

Change times come from the data, not the clock: the next refresh reads from the latest change the
frame already holds, less ``OVERLAP``, so that a transaction which committed late with an earlier
stamp is still picked up. A consignment inserted with an older stamp, or a deleted one, shows up
as a count that differs from the store's, and that triggers a full reload. An existing row changed
with a stamp older than the overlap (clock skew across servers) is only seen by a full refresh.

Each process keeps its own frame (the API's workers, a CLI run); ``stats_of`` gives the one of a
``Clearway`` service.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass

import polars as pl
import sqlalchemy as sa

from clearway.app.platform import Clearway
from clearway.settings import Settings
from clearway.stats import export, load, queries
from clearway.stats.facts import empty_facts, merge
from clearway.stats.kpis import kpis
from clearway.stats.model import Dimension, Metric, Period, StatsBreakdown, StatsKpis, StatsSeries
from clearway.stats.queries import Window

log = logging.getLogger("clearway.stats")

# How far before the latest change already read the next refresh reads again.
OVERLAP = dt.timedelta(minutes=5)
# Changed consignments above which one full load is cheaper than reading them by id.
FULL_ABOVE = 200_000


@dataclass(frozen=True)
class Refresh:
    """What a refresh did: a full load or an incremental one, how many consignments it read."""

    full: bool
    read: int
    rows: int
    seconds: float


class StatsService:
    def __init__(self, engine: sa.Engine, settings: Settings, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.engine = engine
        self.settings = settings
        self._clock = clock
        self._lock = threading.Lock()
        self._facts: pl.DataFrame | None = None
        self._watermark: dt.datetime | None = None
        self._loaded_at = 0.0

    # -- the cached frame ----------------------------------------------------------------------

    def facts(self) -> pl.DataFrame:
        """The facts frame, refreshed first when it is older than the setting allows."""
        current = self._facts
        if current is None or self._stale():
            with self._lock:
                # Another thread may have refreshed while this one waited for the lock.
                if self._facts is None or self._stale():
                    self._refresh_locked(full=False)
            current = self._facts
        return current if current is not None else empty_facts()

    def _stale(self) -> bool:
        return self._clock() - self._loaded_at >= self.settings.stats_refresh_seconds

    def refresh(self, *, full: bool = False) -> Refresh:
        """Bring the frame up to date now: incrementally, or from scratch with ``full``."""
        with self._lock:
            return self._refresh_locked(full=full)

    def _refresh_locked(self, *, full: bool) -> Refresh:
        started = time.perf_counter()
        # The watermark never runs ahead of the clock: rows stamped in the future (a replayed
        # simulation) would otherwise hide every real change made before their stamps.
        now = dt.datetime.now(dt.UTC)
        with self.engine.connect() as conn:
            read = None if full else self._incremental(conn, now)
            if read is None:
                self._facts, mark = load.read_facts(conn)
                self._watermark = min(mark, now) if mark is not None else None
                read, full = self._facts.height, True
        self._loaded_at = self._clock()
        rows = self._facts.height if self._facts is not None else 0
        done = Refresh(full=full, read=read, rows=rows, seconds=time.perf_counter() - started)
        log.debug("stats refresh: %s", done)
        return done

    def _incremental(self, conn: sa.Connection, now: dt.datetime) -> int | None:
        """Merge the consignments changed since the last refresh; None when a full load is needed."""
        if self._facts is None or self._watermark is None:
            return None
        changed = load.changed_since(conn, self._watermark - OVERLAP)
        if len(changed) > FULL_ABOVE:
            return None
        fresh, mark = load.read_facts(conn, changed)
        facts = merge(self._facts, fresh, changed)
        if facts.height != load.consignment_count(conn):
            return None
        self._facts = facts
        if mark is not None:
            self._watermark = min(max(self._watermark, mark), now)
        return len(changed)

    # -- queries (the API, the CLI and the dashboard call these) ---------------------------------

    def kpis(self, window: Window) -> StatsKpis:
        return kpis(self.facts(), window)

    def series(
        self, window: Window, *, metric: Metric, period: Period, by: Dimension | None = None, top: int = 8
    ) -> StatsSeries:
        return queries.series(self.facts(), window=window, metric=metric, period=period, by=by, top=top)

    def breakdown(self, window: Window, *, by: Dimension, top: int = 20) -> StatsBreakdown:
        return queries.breakdown(self.facts(), window=window, by=by, top=top)

    def export(self, window: Window, fmt: export.ExportFormat) -> tuple[bytes, int]:
        """The facts of the window as CSV or Parquet, and how many consignments they are."""
        frame = export.export_frame(self.facts(), window)
        return export.export_bytes(frame, fmt), frame.height

    def extent(self) -> tuple[dt.date, dt.date] | None:
        """The first and last receipt dates held (None when the store holds no consignment)."""
        return queries.extent(self.facts())


_services: weakref.WeakKeyDictionary[Clearway, StatsService] = weakref.WeakKeyDictionary()
_services_lock = threading.Lock()


def stats_of(svc: Clearway) -> StatsService:
    """The statistics of a Clearway service (one cached frame per service object)."""
    with _services_lock:
        found = _services.get(svc)
        if found is None:
            found = _services[svc] = StatsService(svc.engine, svc.settings)
        return found
