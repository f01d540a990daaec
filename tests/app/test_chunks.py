"""The chunks an ingest submits (app/chunks.py): sizes, reading ahead, asking the HS check ahead."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

from clearway.app.chunks import CHUNK, FIRST_CHUNK, Asking, FileChunk, growing, read_ahead, sizes
from clearway.clearance.lifecycle import State
from clearway.clearance.model import SubmissionResult
from clearway.dataset.records import Consignment
from clearway.intake.parsed import Parsed
from tests.conftest import decode, fixture_json


def test_ingest_shows_the_next_two_chunks_before_handing_out_one() -> None:
    events: list[str] = []

    def chunks() -> Iterator[list[Any]]:
        for n in range(4):
            events.append(f"read {n}")
            yield [n]

    for chunk in read_ahead(chunks(), lambda c: events.append(f"ask {c[0]}")):
        events.append(f"run {chunk[0]}")
    assert events == [
        *("read 0", "ask 0", "read 1", "ask 1", "read 2", "ask 2", "run 0"),
        *("read 3", "ask 3", "run 1", "run 2", "run 3"),
    ]


def test_a_short_file_is_handed_out_whole_and_in_order() -> None:
    asked: list[int] = []
    assert list(read_ahead(iter([[0], [1]]), lambda c: asked.append(c[0]))) == [[0], [1]]
    assert asked == [0, 1]
    assert list(read_ahead(iter([]), asked.append)) == []


def test_a_files_chunks_start_small_and_double_up_to_the_usual_size() -> None:
    sizes = list(itertools.islice(growing(FIRST_CHUNK, CHUNK), 9))
    assert sizes == [100, 200, 400, 800, 1600, 3200, 6400, 10000, 10000]


def test_asking_stops_when_the_declarations_wait_for_their_documents() -> None:
    class Recording:
        def __init__(self) -> None:
            self.asked: list[int] = []
            self.released: list[list[Any]] = []

        def ask(self, descriptions: list[Any], codes: list[Any]) -> list[Any]:
            self.asked.append(len(descriptions))
            return [("x", str(len(self.asked)))]

        def release(self, pairs: list[Any]) -> None:
            self.released.append(pairs)

    recording = Recording()
    asking = Asking(recording, lambda file: file != 1)  # type: ignore[arg-type]
    record = decode(Consignment, fixture_json("consignment.json"))
    records = [Parsed(line=n, record=record, errors=[]) for n in range(1, 5)]
    waiting = [SubmissionResult(index=n, status="accepted", state=State.AWAITING_DOCUMENTS) for n in range(4)]
    asking.coming(FileChunk(0, records))
    asking.coming(FileChunk(0, records))
    asking.done(0, waiting)  # the first chunk's declarations all wait: no more asking in this file
    asking.coming(FileChunk(0, records, last=True))
    asking.coming(FileChunk(1, records))  # a file of documents: never asked
    asking.coming(FileChunk(2, records))  # the next file of declarations: asked again
    for _ in range(4):
        asking.done(0, [])
    assert recording.asked == [4, 4, 0, 0, 4]
    assert recording.released == [[("x", str(n))] for n in range(1, 6)]


def test_documents_go_in_full_chunks_and_declarations_start_small_once_a_run() -> None:
    size_of = sizes(asking=True)
    assert list(itertools.islice(size_of("order"), 2)) == [CHUNK, CHUNK]
    assert list(itertools.islice(size_of("consignment"), 3)) == [FIRST_CHUNK, 2 * FIRST_CHUNK, 4 * FIRST_CHUNK]
    assert next(size_of("waybill")) == CHUNK
    assert next(size_of("consignment")) == 8 * FIRST_CHUNK  # the next file goes on growing
    assert next(sizes(asking=False)("consignment")) == CHUNK  # nothing asked ahead: full chunks
