"""Polars expressions built once per reference or rule set, not once per batch.

Building a batch's expressions (the quality checks, a pack's rule conditions and bit masks) takes
Python several milliseconds, as long as evaluating them on a batch of a hundred: the fixed cost that
the small batches of HTTP submissions and Kafka workers pay every time. The inputs are loaded once
and never changed (frozen dataclasses and structs), so their expressions are kept, keyed by the
identity of the objects they were built from. The cache holds those objects, so an identity cannot
be reused by another object while its entry lives; the oldest entry goes once ``size`` are kept.
Threads share it (the API assesses batches in a thread pool): a lock guards the entries, and a value
two threads build at once is built twice, the first kept.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

V = TypeVar("V")


class ByIdentity(Generic[V]):
    """Values built from a tuple of objects, kept per the objects' identities."""

    def __init__(self, size: int = 8) -> None:
        self._size = size
        self._entries: OrderedDict[tuple[int, ...], tuple[Sequence[object], V]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, sources: Sequence[object], build: Callable[[], V]) -> V:
        key = tuple(id(s) for s in sources)
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
                return found[1]
        value = build()  # outside the lock: building takes milliseconds
        with self._lock:
            # Holding the sources keeps their identities from being reused while the entry lives.
            kept = self._entries.setdefault(key, (tuple(sources), value))[1]
            self._entries.move_to_end(key)
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)
        return kept

    def __len__(self) -> int:
        return len(self._entries)
