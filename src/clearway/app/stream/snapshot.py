"""What a stream worker has done and how far behind it is, per partition: a typed snapshot.

``StreamWorker.snapshot()`` returns one; it is what a metrics endpoint or a log line reads (records
per status, dead letters, lag per partition) without reaching into the worker's state.
"""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass(slots=True)
class Counts:
    records: int = 0
    accepted: int = 0
    duplicates: int = 0
    conflicts: int = 0
    rejected: int = 0
    dead_lettered: int = 0

    def add(self, status: str, dead_lettered: bool) -> None:
        self.records += 1
        if status == "accepted":
            self.accepted += 1
        elif status == "duplicate":
            self.duplicates += 1
        elif status == "conflict":
            self.conflicts += 1
        else:
            self.rejected += 1
        self.dead_lettered += dead_lettered


@dataclasses.dataclass(frozen=True, slots=True)
class PartitionSnapshot:
    topic: str
    partition: int
    committed: int | None  # the next offset this worker will read after a restart (None: none committed yet)
    high_watermark: int | None  # the offset the next record produced will get, as last seen
    counts: Counts

    @property
    def lag(self) -> int | None:
        """Records in the partition not yet committed by this worker (None: unknown)."""
        if self.high_watermark is None:
            return None
        return max(0, self.high_watermark - (self.committed or 0))


@dataclasses.dataclass(frozen=True, slots=True)
class WorkerSnapshot:
    partitions: tuple[PartitionSnapshot, ...]
    batches: int
    last_batch_seconds: float
    started_at: float  # seconds since the epoch

    @property
    def totals(self) -> Counts:
        total = Counts()
        for p in self.partitions:
            for field in dataclasses.fields(Counts):
                setattr(total, field.name, getattr(total, field.name) + getattr(p.counts, field.name))
        return total
