"""`clearway ingest FILE`: NDJSON, CSV or Parquet through the same pipeline as the API."""

from __future__ import annotations

import collections
import contextlib
import itertools
import logging
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any, BinaryIO

import msgspec
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from clearway.app import hs_ahead
from clearway.app.logs import batch
from clearway.app.platform import Clearway
from clearway.clearance.lifecycle import State
from clearway.clearance.model import SubmissionResult
from clearway.clearance.stages import STAGES
from clearway.dataset.decode import RecordDecoder
from clearway.gc_pause import paused_gc
from clearway.intake.ndjson import iter_ndjson_lines
from clearway.intake.parsed import Parsed, record_type
from clearway.intake.sniff import detect_format, detect_kind
from clearway.intake.tabular import read_csv, read_parquet
from clearway.risk.hs_mismatch import HsMismatchStage

_log = logging.getLogger(__name__)
CHUNK = 10_000
# With the HS check computed ahead (_read_ahead): a file's first chunk, whose check mostly runs here
# (nothing precedes it), and how many chunks are asked for ahead of the one going through.
FIRST_CHUNK = 100
AHEAD = 2
_SHOWN_ERRORS = 20


class IngestSummary(msgspec.Struct, kw_only=True):
    file: str
    kind: str
    read: int = 0
    accepted: int = 0
    duplicates: int = 0
    conflicts: int = 0
    rejected: int = 0
    seconds: float = 0.0
    first_errors: list[tuple[int, str, str]] = []


def _count_rows(path: Path, fmt: str) -> int | None:
    if fmt == "parquet":
        import polars as pl

        return int(pl.scan_parquet(path).select(pl.len()).collect().item())
    with path.open("rb") as f:
        lines = sum(block.count(b"\n") for block in iter(lambda: f.read(1 << 20), b""))
    return lines - 1 if fmt == "csv" else lines


def _parsed(path: Path, fmt: str, kind: str, decoder: RecordDecoder[Any], handle: BinaryIO) -> Iterator[Parsed[Any]]:
    if fmt == "ndjson":
        # A file is not a request: no line-count limit, only the per-line size limit.
        return iter_ndjson_lines(handle, decoder, max_lines=2**62)
    if fmt == "csv":
        return read_csv(path, kind, decoder)
    return read_parquet(path, kind, decoder)


def _growing(first: int, most: int) -> Iterator[int]:
    """first, twice that, four times... up to most, then most for ever."""
    size = first
    while True:
        yield min(size, most)
        size *= 2


def _paused_chunks(items: Iterator[Parsed[Any]], sizes: Iterator[int]) -> Iterator[list[Parsed[Any]]]:
    """Chunks of parsed records, of the sizes given in turn, each parsed with the cyclic collector
    paused (see gc_pause)."""
    for size in sizes:
        started = STAGES.clock()
        with paused_gc():
            chunk = list(itertools.islice(items, size))
        if not chunk:
            return
        STAGES.add("decode", STAGES.clock() - started, len(chunk))
        yield chunk


def _read_ahead(
    chunks: Iterator[list[Parsed[Any]]], coming: Callable[[list[Parsed[Any]]], None], depth: int = AHEAD
) -> Iterator[list[Parsed[Any]]]:
    """The chunks in order, the ``depth`` next ones read (and shown to ``coming``) before one is
    handed out: what is asked ahead for them is computed while the ones before go through. Two, not
    one: chunks double in size (``_growing``), and the other process, about twice as fast as the
    pipeline, would only just finish a chunk twice the size of the one going through."""
    read: collections.deque[list[Parsed[Any]]] = collections.deque()
    for chunk in chunks:
        coming(chunk)
        read.append(chunk)
        if len(read) > depth:
            yield read.popleft()
    yield from read


class _Asking:
    """Shows each coming chunk of declarations to the HS check's process (app/hs_ahead.py) and lets
    go of what it asked once the chunk has gone through. When most declarations of a chunk wait for
    their documents (declarations sent first), their check comes later, with the documents: asking
    ahead would be work for nothing, so it stops."""

    def __init__(self, ahead: hs_ahead.CheckAhead) -> None:
        self.ahead = ahead
        self.asked: collections.deque[list[Any]] = collections.deque()
        self.worth_it = True

    def coming(self, chunk: list[Parsed[Any]]) -> None:
        records = [p.record for p in chunk if p.record is not None] if self.worth_it else []
        descriptions = [[i.description for i in r.items] for r in records]
        self.asked.append(self.ahead.ask(descriptions, [[i.hs_code for i in r.items] for r in records]))

    def done(self, outcomes: list[SubmissionResult]) -> None:
        self.ahead.release(self.asked.popleft())
        accepted = [o for o in outcomes if o.status == "accepted"]
        waiting = sum(1 for o in accepted if o.state is State.AWAITING_DOCUMENTS)
        if accepted and 2 * waiting > len(accepted):
            self.worth_it = False


def ingest_file(
    svc: Clearway,
    path: Path,
    *,
    operator: str,
    kind: str | None = None,
    errors_to: Path | None = None,
    console: Console | None = None,
    check_ahead: bool = False,
) -> IngestSummary:
    """``check_ahead``: have the HS code check of the next chunks of declarations computed by a
    process of its own (app/hs_ahead.py), which starts by importing the caller's main module again
    (``spawn``): only for callers whose main module is import-safe (the command line, the benches)."""
    fmt = detect_format(path)
    kind = kind or detect_kind(path)
    if kind is None:
        raise ValueError(f"cannot tell what {path.name} holds; pass --kind consignment|order|payment|waybill")
    decoder: RecordDecoder[Any] = RecordDecoder(record_type(kind))
    summary = IngestSummary(file=str(path), kind=kind)
    started = time.perf_counter()
    errors_out = errors_to.open("wb") if errors_to else None
    progress = Progress(
        TextColumn(f"[bold]{kind}s"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
        disable=console is None,
        transient=True,
    )
    try:
        # One batch id for the file: every line logged while it goes through names it.
        with batch(), path.open("rb") as handle, progress, contextlib.ExitStack() as stack:
            _log.info("ingest of %s (%s) for %s started", path.name, kind, operator, extra={"file": path.name})
            task = progress.add_task("ingest", total=_count_rows(path, fmt))
            parsed = _parsed(path, fmt, kind, decoder, handle)
            stage = hs_stage(svc) if check_ahead and kind == "consignment" else None
            ahead = stack.enter_context(hs_ahead.check_ahead(Path(svc.settings.hs_model_dir), stage))
            asking = _Asking(ahead) if ahead is not None else None
            if asking is None:
                chunks = _paused_chunks(parsed, itertools.repeat(CHUNK))
            else:
                # The HS check of the next chunks is computed on another core meanwhile. Nothing
                # precedes a file's first chunk: it starts small, so that little of its check is
                # left to do here, and each next one is twice as large, up to CHUNK.
                chunks = _read_ahead(_paused_chunks(parsed, _growing(FIRST_CHUNK, CHUNK)), asking.coming)
            for chunk in chunks:
                good = [p for p in chunk if p.record is not None]
                outcomes = _submit(svc, kind, operator, [p.record for p in good])
                if asking is not None:
                    asking.done(outcomes)
                _tally(summary, chunk, good, outcomes, errors_out)
                progress.update(task, advance=len(chunk))
            _log.info(
                "ingest of %s: %d read, %d accepted, %d rejected",
                path.name,
                summary.read,
                summary.accepted,
                summary.rejected,
                extra={"file": path.name, "read": summary.read, "accepted": summary.accepted},
            )
    finally:
        if errors_out is not None:
            errors_out.close()
    summary.seconds = time.perf_counter() - started
    return summary


def hs_stage(svc: Clearway) -> HsMismatchStage | None:
    """The pipeline's HS check, if its risk step has one (a model is loaded)."""
    risk = svc.config.risk
    return risk.hs_mismatch if risk is not None else None


def start_check_ahead(svc: Clearway) -> None:
    """Start the HS check's process now, if ingests will use it (``hs_check_ahead``, a model, two
    CPUs): a caller about to ingest several files, documents first, lets it load the model meanwhile
    instead of while the first declarations go through."""
    if svc.settings.hs_check_ahead:
        hs_ahead.start(Path(svc.settings.hs_model_dir), hs_stage(svc))


def _submit(svc: Clearway, kind: str, operator: str, records: list[Any]) -> list[SubmissionResult]:
    if not records:
        return []
    if kind == "consignment":
        return svc.submit_consignments(operator, records)
    return svc.submit_documents(kind, operator, records)  # type: ignore[arg-type]


def _tally(
    summary: IngestSummary,
    chunk: list[Parsed[Any]],
    good: list[Parsed[Any]],
    outcomes: list[SubmissionResult],
    errors_out: IO[bytes] | None,
) -> None:
    summary.read += len(chunk)
    failures: list[tuple[int, list[tuple[int, Any]]]] = []
    for p in chunk:
        if p.record is None:
            summary.rejected += 1
            failures.append((p.line, p.located_errors()))
    for p, outcome in zip(good, outcomes, strict=True):
        if outcome.status == "accepted":
            summary.accepted += 1
        elif outcome.status == "duplicate":
            summary.duplicates += 1
        else:
            summary.conflicts += 1
            failures.append((p.line, [(p.line, e) for e in outcome.errors]))
    for line, located in failures:
        for at, error in located:
            if len(summary.first_errors) < _SHOWN_ERRORS:
                summary.first_errors.append((at, error.pointer, error.detail))
        if errors_out is not None:
            errors_out.write(
                msgspec.json.encode(
                    {"line": line, "errors": [{"line": at, **msgspec.structs.asdict(e)} for at, e in located]}
                )
                + b"\n"
            )
