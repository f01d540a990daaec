"""The worker's loop: take a batch, decide it, send its results and dead letters, then commit.

The order is the guarantee. Offsets are committed only after every database transaction of the batch
has committed AND its results and dead letters are acknowledged by the broker. A worker killed
anywhere before the commit has its batch delivered again (to itself after a restart, or to another
worker of the group), and the pipeline answers what it had already stored as ``duplicate``: nothing
acknowledged is lost, nothing is stored twice, and every record gets at least one result.

The broker's client is behind ``StreamClient`` (workers/kafka.py implements it with confluent-kafka),
so that this loop, and the order above, are the application's and not the adapter's.
"""

from __future__ import annotations

import dataclasses
import itertools
import logging
import threading
import time
from collections.abc import Mapping
from typing import Protocol

import sqlalchemy as sa

from clearway.app import metrics
from clearway.app.platform import Clearway
from clearway.app.stream.batch import Decided, decide
from clearway.app.stream.records import Incoming, Outgoing, dead_letter, result_record
from clearway.app.stream.snapshot import Counts, PartitionSnapshot, WorkerSnapshot

_log = logging.getLogger(__name__)
TopicPartition = tuple[str, int]
# Pause before trying a batch again when the database went away, doubling up to the last.
RETRY_PAUSES = (0.5, 1.0, 2.0, 5.0, 10.0, 30.0)


class StreamClient(Protocol):
    """What the loop needs of a broker's client."""

    def poll(self, max_records: int, timeout: float) -> list[Incoming]: ...

    def send(self, topic: str, record: Outgoing) -> None: ...

    def flush(self) -> None:
        """Wait until everything sent is acknowledged; raise if anything could not be delivered."""

    def commit(self, offsets: Mapping[TopicPartition, int]) -> None:
        """Commit the next offset to read of each partition, synchronously."""

    def positions(self) -> dict[TopicPartition, tuple[int | None, int | None]]:
        """Of each partition assigned now: the next offset to read, and the high watermark as last
        seen (None: not known yet)."""


@dataclasses.dataclass(frozen=True, slots=True)
class Topics:
    results: str | None
    dead_letter: str | None


class StreamWorker:
    def __init__(
        self, svc: Clearway, client: StreamClient, topics: Topics, *, batch: int = 500, poll_timeout: float = 0.5
    ) -> None:
        if batch < 1:
            raise ValueError("a batch holds at least one record")
        self.svc = svc
        self.client = client
        self.topics = topics
        self.batch = batch
        self.poll_timeout = poll_timeout
        self._lock = threading.Lock()
        self._counts: dict[TopicPartition, Counts] = {}
        self._committed: dict[TopicPartition, int] = {}
        self._batches = 0
        self._last_batch_seconds = 0.0
        self._started = time.time()

    def run(self, stop: threading.Event, *, max_idle: float | None = None) -> None:
        """Take batches until ``stop`` is set (or nothing came for ``max_idle`` seconds)."""
        idle_since = time.monotonic()
        while not stop.is_set():
            taken = self.step(stop)
            # The lag per partition for Prometheus (app/metrics.py), from the watermarks the last
            # fetch brought: no request to the broker.
            metrics.record_stream(self.snapshot())
            if taken:
                idle_since = time.monotonic()
            elif max_idle is not None and time.monotonic() - idle_since >= max_idle:
                return

    def step(self, stop: threading.Event | None = None) -> int:
        """One batch, from the poll to the commit; the number of records it held (0 when none came)."""
        records = self.client.poll(self.batch, self.poll_timeout)
        if records:
            self.handle(records, stop)
        return len(records)

    def handle(self, records: list[Incoming], stop: threading.Event | None = None) -> None:
        """Decide a batch, send its results and dead letters, wait for the broker, then commit."""
        started = time.perf_counter()
        decided = self._decide(records, stop or threading.Event())
        if decided is None:  # stopped while the database was away: nothing committed, all comes again
            return
        for one in decided:
            if self.topics.results is not None:
                self.client.send(self.topics.results, result_record(one.incoming, one.result))
            if one.dead_letter_stage is not None and self.topics.dead_letter is not None:
                letter = dead_letter(one.incoming, one.dead_letter_stage, one.result.errors)
                self.client.send(self.topics.dead_letter, letter)
        self.client.flush()
        offsets = _next_offsets(records)
        self.client.commit(offsets)
        self._tally(decided, offsets, time.perf_counter() - started)

    def _decide(self, records: list[Incoming], stop: threading.Event) -> list[Decided] | None:
        for attempt in itertools.count():
            try:
                return decide(self.svc, records)
            except sa.exc.OperationalError as exc:
                pause = RETRY_PAUSES[min(attempt, len(RETRY_PAUSES) - 1)]
                _log.warning("database unavailable (%s); the batch is tried again in %.1f s", exc.orig, pause)
                if stop.wait(pause):
                    return None
        raise AssertionError("unreachable")  # pragma: no cover - itertools.count() does not end

    def _tally(self, decided: list[Decided], offsets: Mapping[TopicPartition, int], seconds: float) -> None:
        with self._lock:
            for one in decided:
                at = (one.incoming.topic, one.incoming.partition)
                self._counts.setdefault(at, Counts()).add(one.result.status, one.dead_letter_stage is not None)
            self._committed.update(offsets)
            self._batches += 1
            self._last_batch_seconds = seconds

    def snapshot(self) -> WorkerSnapshot:
        """Counts and lag per partition, safe to read from another thread (a metrics endpoint)."""
        marks = self.client.positions()
        with self._lock:
            partitions = []
            for at in sorted(set(marks) | set(self._counts)):
                position, high = marks.get(at, (None, None))
                partitions.append(
                    PartitionSnapshot(
                        topic=at[0],
                        partition=at[1],
                        # Before this worker's first commit of a partition, where it started reading.
                        committed=self._committed.get(at, position),
                        high_watermark=high,
                        counts=dataclasses.replace(self._counts.get(at, Counts())),
                    )
                )
            return WorkerSnapshot(
                partitions=tuple(partitions),
                batches=self._batches,
                last_batch_seconds=self._last_batch_seconds,
                started_at=self._started,
            )


def _next_offsets(records: list[Incoming]) -> dict[TopicPartition, int]:
    offsets: dict[TopicPartition, int] = {}
    for r in records:
        at = (r.topic, r.partition)
        offsets[at] = max(offsets.get(at, 0), r.offset + 1)
    return offsets
