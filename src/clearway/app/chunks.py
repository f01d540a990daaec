"""The chunks an ingest submits: parsed records cut to size, read ahead for the HS check.

Several files go through as one stream of chunks (``clearway ingest`` of many files, the bench), so
that the chunks read ahead, whose HS check another process computes meanwhile (app/hs_ahead.py),
reach across into the next file: each file's first chunk is then asked for while the previous
file's last ones go through, and only the run's first chunk has nothing before it.
"""

from __future__ import annotations

import collections
import itertools
from collections.abc import Callable, Iterator
from typing import Any, Generic, TypeVar

from clearway.app import hs_ahead
from clearway.clearance.lifecycle import State
from clearway.clearance.model import SubmissionResult
from clearway.clearance.stages import STAGES
from clearway.gc_pause import paused_gc
from clearway.intake.parsed import Parsed

CHUNK = 10_000
# With the HS check computed ahead (read_ahead): the run's first chunk, whose check mostly runs in
# the pipeline's process (nothing precedes it), and how many chunks are asked for ahead of the one
# going through.
FIRST_CHUNK = 100
AHEAD = 2

T = TypeVar("T")


def growing(first: int, most: int) -> Iterator[int]:
    """first, twice that, four times... up to most, then most for ever."""
    size = first
    while True:
        yield min(size, most)
        size *= 2


def sizes(asking: bool) -> Callable[[str], Iterator[int]]:
    """The chunk sizes of a run's files, by what a file holds. When the HS check of declarations is
    asked ahead, nothing precedes the run's first chunk of declarations but documents, which go
    through too fast to cover its check: it starts small (FIRST_CHUNK), so that little of its check
    is left to the pipeline's process, and each next one is twice as large, up to CHUNK; the next
    file of declarations goes on from there. Documents are never asked about: full chunks."""
    grown = growing(FIRST_CHUNK, CHUNK)
    full = itertools.repeat(CHUNK)
    return lambda kind: grown if asking and kind == "consignment" else full


def paused_chunks(items: Iterator[Parsed[Any]], sizes: Iterator[int]) -> Iterator[list[Parsed[Any]]]:
    """Chunks of parsed records, of the sizes given in turn, each parsed with the cyclic collector
    paused (see gc_pause). ``sizes`` may be shared by several files: the next file goes on from the
    size the last one reached."""
    while True:
        started = STAGES.clock()
        with paused_gc():
            # The first record before a size is drawn: the end of a file takes no size from the next.
            first = next(items, None)
            chunk = [] if first is None else [first, *itertools.islice(items, next(sizes) - 1)]
        if not chunk:
            return
        STAGES.add("decode", STAGES.clock() - started, len(chunk))
        yield chunk


def read_ahead(chunks: Iterator[T], coming: Callable[[T], None], depth: int = AHEAD) -> Iterator[T]:
    """The chunks in order, the ``depth`` next ones read (and shown to ``coming``) before one is
    handed out: what is asked ahead for them is computed while the ones before go through. Two, not
    one: chunks double in size (``growing``), and the other process, about twice as fast as the
    pipeline, would only just finish a chunk twice the size of the one going through."""
    read: collections.deque[T] = collections.deque()
    for chunk in chunks:
        coming(chunk)
        read.append(chunk)
        if len(read) > depth:
            yield read.popleft()
    yield from read


class FileChunk(Generic[T]):
    """A chunk, the index of the file it came from, and whether it is that file's last."""

    __slots__ = ("file", "last", "records")

    def __init__(self, file: int, records: T, *, last: bool = False) -> None:
        self.file, self.records, self.last = file, records, last


class Asking:
    """Shows each coming chunk of declarations to the HS check's process (app/hs_ahead.py) and lets
    go of what it asked once the chunk has gone through. When most declarations of a file's chunk
    wait for their documents (declarations sent first), their check comes later, with the
    documents: asking ahead for that file would be work for nothing, so it stops until the next."""

    def __init__(self, ahead: hs_ahead.CheckAhead, asks: Callable[[int], bool]) -> None:
        self.ahead = ahead
        self.asks = asks  # whether a file's records are declarations (documents are never asked)
        self.asked: collections.deque[list[Any]] = collections.deque()
        self.not_worth_it: set[int] = set()

    def coming(self, chunk: FileChunk[list[Parsed[Any]]]) -> None:
        wanted = self.asks(chunk.file) and chunk.file not in self.not_worth_it
        records = [p.record for p in chunk.records if p.record is not None] if wanted else []
        descriptions = [[i.description for i in r.items] for r in records]
        self.asked.append(self.ahead.ask(descriptions, [[i.hs_code for i in r.items] for r in records]))

    def done(self, file: int, outcomes: list[SubmissionResult]) -> None:
        self.ahead.release(self.asked.popleft())
        accepted = [o for o in outcomes if o.status == "accepted"]
        waiting = sum(1 for o in accepted if o.state is State.AWAITING_DOCUMENTS)
        if accepted and 2 * waiting > len(accepted):
            self.not_worth_it.add(file)
