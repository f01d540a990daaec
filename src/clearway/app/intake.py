"""`clearway ingest FILE`: NDJSON, CSV or Parquet through the same pipeline as the API."""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Generator, Iterator, Sequence
from pathlib import Path
from typing import IO, Any, BinaryIO

import msgspec
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from clearway.app import chunks, hs_ahead
from clearway.app.logs import batch
from clearway.app.platform import Clearway
from clearway.clearance.model import SubmissionResult
from clearway.dataset.decode import RecordDecoder
from clearway.intake.ndjson import iter_ndjson_lines
from clearway.intake.parsed import Parsed, record_type
from clearway.intake.sniff import detect_format, detect_kind
from clearway.intake.tabular import read_csv, read_parquet
from clearway.risk.hs_mismatch import HsMismatchStage

_log = logging.getLogger(__name__)
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


class IngestJob(msgspec.Struct, frozen=True):
    """One file to ingest, for whom, and what it holds (None: from the file's name or content)."""

    path: Path
    operator: str
    kind: str | None = None


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
    """One file through the pipeline (``ingest_files`` with one job)."""
    [summary] = ingest_files(
        svc, [IngestJob(path, operator, kind)], errors_to=errors_to, console=console, check_ahead=check_ahead
    )
    return summary


def ingest_files(
    svc: Clearway,
    jobs: Sequence[IngestJob],
    *,
    errors_to: Path | None = None,
    console: Console | None = None,
    check_ahead: bool = False,
) -> list[IngestSummary]:
    """Files through the pipeline in the order given, one summary each. The files go through as one
    stream of chunks (app/chunks.py): with ``check_ahead``, the HS code check of the next chunks of
    declarations, the next file's included, is computed by a process of its own (app/hs_ahead.py),
    which starts by importing the caller's main module again (``spawn``): only for callers whose
    main module is import-safe (the command line, the benches). ``errors_to`` gets every rejected
    record's errors, as NDJSON, each line naming its file when there are several."""
    kinds = [job.kind or detect_kind(job.path) for job in jobs]
    unknown = [job.path.name for job, kind in zip(jobs, kinds, strict=True) if kind is None]
    if unknown:
        raise ValueError(f"cannot tell what {unknown[0]} holds; pass --kind consignment|order|payment|waybill")
    summaries = [IngestSummary(file=str(job.path), kind=str(kind)) for job, kind in zip(jobs, kinds, strict=True)]
    progress = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
        disable=console is None,
        transient=True,
    )
    stage = hs_stage(svc) if check_ahead and "consignment" in kinds else None
    run_started = time.perf_counter()
    # One batch id for the run: every line logged while it goes through names it.
    with batch(), progress, contextlib.ExitStack() as stack:
        errors_out = stack.enter_context(errors_to.open("wb")) if errors_to else None
        ahead = stack.enter_context(hs_ahead.check_ahead(Path(svc.settings.hs_model_dir), stage))
        asking = chunks.Asking(ahead, lambda file: kinds[file] == "consignment") if ahead is not None else None
        sizes = chunks.sizes(asking is not None)
        tasks = [
            progress.add_task(f"{kind}s", total=_count_rows(job.path, detect_format(job.path)), start=False)
            for job, kind in zip(jobs, kinds, strict=True)
        ]
        # Closed on the way out, error or not: it holds the file being read.
        stream = stack.enter_context(contextlib.closing(_stream(jobs, kinds, sizes)))
        # One clock for the run: a file's time runs from the end of the one before to the end of its
        # last chunk (what was read ahead of it is in it), so that the times add up to the run's.
        clock = run_started
        for chunk in chunks.read_ahead(stream, asking.coming) if asking else stream:
            job, summary = jobs[chunk.file], summaries[chunk.file]
            progress.start_task(tasks[chunk.file])
            good = [p for p in chunk.records if p.record is not None]
            outcomes = _submit(svc, summary.kind, job.operator, [p.record for p in good])
            if asking is not None:
                asking.done(chunk.file, outcomes)
            _tally(summary, chunk.records, good, outcomes, errors_out, job.path.name if len(jobs) > 1 else None)
            progress.update(tasks[chunk.file], advance=len(chunk.records))
            if chunk.last:
                now = time.perf_counter()
                summary.seconds, clock = now - clock, now
                _log.info(
                    "ingest of %s: %d read, %d accepted, %d rejected",
                    job.path.name,
                    summary.read,
                    summary.accepted,
                    summary.rejected,
                    extra={"file": job.path.name, "read": summary.read, "accepted": summary.accepted},
                )
    return summaries


def _stream(
    jobs: Sequence[IngestJob], kinds: Sequence[str | None], sizes: Callable[[str], Iterator[int]]
) -> Generator[chunks.FileChunk[list[Parsed[Any]]], None, None]:
    """Every file's chunks in turn, the last of each marked; a file is opened when it is reached."""
    for index, (job, kind) in enumerate(zip(jobs, kinds, strict=True)):
        _log.info("ingest of %s (%s) for %s started", job.path.name, kind, job.operator, extra={"file": job.path.name})
        decoder: RecordDecoder[Any] = RecordDecoder(record_type(str(kind)))
        with job.path.open("rb") as handle:
            parsed = _parsed(job.path, detect_format(job.path), str(kind), decoder, handle)
            previous: list[Parsed[Any]] = []
            for records in chunks.paused_chunks(parsed, sizes(str(kind))):
                if previous:
                    yield chunks.FileChunk(index, previous)
                previous = records
            yield chunks.FileChunk(index, previous, last=True)


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
    file: str | None = None,
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
            named = {"file": file} if file is not None else {}
            errors = [{"line": at, **msgspec.structs.asdict(e)} for at, e in located]
            errors_out.write(msgspec.json.encode({**named, "line": line, "errors": errors}) + b"\n")
