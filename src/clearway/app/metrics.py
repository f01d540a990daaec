"""Prometheus metrics: what the pipeline did, counted where the application services do it.

Counters are totals since the process started (Prometheus' ``rate()`` turns them into per-second
figures, and survives restarts); the depths of the queues are read from the database when the
metrics are scraped, since they are the database's state, not one process's.

With several server processes each counts its own requests, so the processes share their counters
through files in a directory (prometheus-client's multiprocess mode), which must be named before
prometheus-client is first imported: ``clearway serve`` sets ``PROMETHEUS_MULTIPROC_DIR`` from
CLEARWAY_METRICS_DIR, or to a new temporary directory when it starts more than one worker
(docs/operations.md). A scrape of any one process then adds up all of them.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Counter, Gauge, Histogram, values
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

from clearway.clearance.stages import STAGES
from clearway.store.operations_repo import backlog

if TYPE_CHECKING:
    import sqlalchemy as sa

    from clearway.app.stream.snapshot import WorkerSnapshot
    from clearway.clearance.model import SubmissionResult

__all__ = [
    "CONTENT_TYPE_LATEST",
    "DECISIONS",
    "ERRORS",
    "HTTP_LATENCY",
    "HTTP_REQUESTS",
    "KAFKA_LAG",
    "MESSAGES",
    "RECORDS",
    "STAGE_RECORDS",
    "STAGE_SECONDS",
    "count_message",
    "count_mixed",
    "count_results",
    "counted",
    "measured",
    "multiprocess",
    "record_stream",
    "render",
    "serve",
    "set_kafka_lag",
    "timed",
]

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


def multiprocess() -> bool:
    """Whether this process shares its metrics with the others through files: decided when
    prometheus-client was imported, so a directory named later changes nothing in this process."""
    return values.ValueClass is not values.MutexValue and bool(os.environ.get(MULTIPROC_ENV))


STAGE_SECONDS = Counter(
    "clearway_stage_seconds",
    "Wall time spent in each stage of the pipeline (clearance.stages: decode, accept, link_view, link, "
    "risk, revenue, decide, store, record, commit, documents_accept, documents_store, find_waiting, "
    "catch_up)",
    ["stage"],
)
STAGE_RECORDS = Counter(
    "clearway_stage_records",
    "Records through each stage of the pipeline: rate() of it is records per stage per second",
    ["stage"],
)


def _stage(stage: str, seconds: float, records: int) -> None:
    STAGE_SECONDS.labels(stage).inc(max(seconds, 0.0))
    STAGE_RECORDS.labels(stage).inc(records)


STAGES.listen(_stage)

RECORDS = Counter(
    "clearway_records",
    "Records through intake, by kind (consignment, order, payment, waybill, consignment.change...) and "
    "outcome (accepted, duplicate, rejected, conflict)",
    ["stage", "kind", "outcome"],
)
DECISIONS = Counter(
    "clearway_decisions",
    "Consignments accepted, by the state intake left them in: released (green lane), held (yellow or "
    "red lane), awaiting_documents, assessed",
    ["state"],
)
MESSAGES = Counter(
    "clearway_messages",
    "Standard messages received, by standard and outcome: accepted (every record), partial, refused "
    "(none), unreadable (not parsed)",
    ["standard", "outcome"],
)
HELD_OVERDUE = Counter("clearway_held_overdue", "Consignments the sweep held because their documents were late")
ERRORS = Counter(
    "clearway_errors",
    "Failures, by where: http (a request answered 500), submission, catch_up, sweep, webhook_delivery, rate_limit",
    ["where"],
)
SUBMIT_SECONDS = Histogram(
    "clearway_submission_seconds",
    "Seconds one submission transaction took (a group commit, a batch, a file's chunk), by operation",
    ["operation"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
HTTP_REQUESTS = Counter(
    "clearway_http_requests",
    "HTTP requests by method, route template (never the path: it holds ids) and status",
    ["method", "route", "status"],
)
HTTP_LATENCY = Histogram(
    "clearway_http_request_duration_seconds",
    "Seconds from a request's arrival to the end of its answer, by method and route template",
    ["method", "route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
# Set by the Kafka intake worker per partition it consumes; with several processes, the largest
# live value (each partition has one consumer, so that is its lag).
KAFKA_LAG = Gauge(
    "clearway_kafka_lag",
    "Messages behind the end of the partition, as the worker consuming it last saw",
    ["topic", "partition"],
    multiprocess_mode="livemax",
)


def set_kafka_lag(topic: str, partition: int, lag: int) -> None:
    """The Kafka worker's hook: how far behind it is on one partition it consumes."""
    KAFKA_LAG.labels(topic=topic, partition=str(partition)).set(max(0, lag))


def record_stream(snapshot: WorkerSnapshot) -> None:
    """A stream worker's lag per partition, from its snapshot (app/stream/loop.py, after each poll)."""
    for partition in snapshot.partitions:
        if partition.lag is not None:
            set_kafka_lag(partition.topic, partition.partition, partition.lag)


def count_results(kind: str, results: Sequence[SubmissionResult]) -> None:
    """Count one kind's results at intake, and the states accepted consignments were left in."""
    tally: dict[str, int] = {}
    states: dict[str, int] = {}
    for result in results:
        tally[result.status] = tally.get(result.status, 0) + 1
        if kind == "consignment" and result.status == "accepted" and result.state is not None:
            states[result.state] = states.get(result.state, 0) + 1
    for outcome, n in tally.items():
        RECORDS.labels(stage="intake", kind=kind, outcome=outcome).inc(n)
    for state, n in states.items():
        DECISIONS.labels(state=state).inc(n)


def measured(
    operation: str, kinds: str | Sequence[str], run: Callable[[], list[SubmissionResult]]
) -> list[SubmissionResult]:
    """``run()``'s results, timed as ``operation`` and counted: under one kind, or one kind per item."""
    with timed(operation):
        results = run()
    if isinstance(kinds, str):
        count_results(kinds, results)
    else:
        count_mixed(kinds, results)
    return results


def counted(kind: str, results: list[SubmissionResult]) -> list[SubmissionResult]:
    """``results``, once counted (count_results)."""
    count_results(kind, results)
    return results


def count_mixed(kinds: Iterable[str], results: Sequence[SubmissionResult]) -> None:
    """Count a group commit's results (one kind per item, in order)."""
    by_kind: dict[str, list[SubmissionResult]] = {}
    for kind, result in zip(kinds, results, strict=False):
        by_kind.setdefault(kind, []).append(result)
    for kind, group in by_kind.items():
        count_results(kind, group)


def count_message(standard: str, statuses: Sequence[str]) -> None:
    accepted = sum(s in ("accepted", "duplicate") for s in statuses)
    outcome = "accepted" if accepted == len(statuses) else "refused" if accepted == 0 else "partial"
    MESSAGES.labels(standard=standard, outcome=outcome).inc()


class timed:  # noqa: N801 - used as a context manager, named for what it does
    """Observe the block's duration in SUBMIT_SECONDS and count a failure in ERRORS."""

    __slots__ = ("operation", "started")

    def __init__(self, operation: str) -> None:
        self.operation = operation
        self.started = 0.0

    def __enter__(self) -> None:
        self.started = time.perf_counter()

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        SUBMIT_SECONDS.labels(operation=self.operation).observe(time.perf_counter() - self.started)
        if kind is not None:
            ERRORS.labels(where="submission").inc()


class _Backlog:
    """The queues' depths, read from the database at each scrape (cheap: indexed counts)."""

    def __init__(self, engine: sa.Engine, clock: Callable[[], dt.datetime]) -> None:
        self.engine = engine
        self.clock = clock

    def collect(self) -> Iterator[Metric]:
        now = self.clock()
        with self.engine.connect() as conn:
            found = backlog(conn, now)
        queues = GaugeMetricFamily(
            "clearway_queue_depth",
            "Consignments waiting: in the officers' queue (held or inspected), or for their documents",
            labels=["queue"],
        )
        queues.add_metric(["officer"], found.officer_queue)
        queues.add_metric(["awaiting_documents"], found.awaiting_documents)
        yield queues
        yield GaugeMetricFamily(
            "clearway_webhook_backlog",
            "Webhook deliveries pending (not yet delivered or failed)",
            found.webhooks_pending,
        )
        yield GaugeMetricFamily(
            "clearway_webhook_oldest_pending_seconds",
            "Age of the oldest pending webhook delivery, in seconds (0 when none is pending)",
            found.oldest_pending_seconds,
        )


class _Counted:
    """This process's counters (or every process's, in multiprocess mode), as one collector."""

    def collect(self) -> Iterator[Metric]:
        if multiprocess():
            processes = CollectorRegistry()
            MultiProcessCollector(processes)  # type: ignore[no-untyped-call]
            yield from processes.collect()
        else:
            yield from REGISTRY.collect()


def serve(engine: sa.Engine, host: str, port: int) -> Callable[[], None]:
    """Serve what :func:`render` gives on ``http://host:port/metrics``, in a thread, for a process that
    has no HTTP server of its own (``clearway worker``); returns the function that stops it. No token is
    asked for here, so bind it to an address only the scraper reaches (the default is the loopback)."""
    from prometheus_client import start_http_server

    server, thread = start_http_server(port, addr=host, registry=_everything(engine, None))

    def stop() -> None:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)

    return stop


def _everything(engine: sa.Engine, clock: Callable[[], dt.datetime] | None) -> CollectorRegistry:
    everything = CollectorRegistry(auto_describe=False)
    everything.register(_Counted())
    everything.register(_Backlog(engine, clock or (lambda: dt.datetime.now(dt.UTC))))
    return everything


def render(engine: sa.Engine, clock: Callable[[], dt.datetime] | None = None) -> bytes:
    """The text exposition of every metric: this process's (or all processes', in multiprocess mode)
    and the queues' depths from the database."""
    return generate_latest(_everything(engine, clock))
