"""`clearway worker`: records from a Kafka topic through the same pipeline as the API and `ingest`."""

from __future__ import annotations

import logging
import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import msgspec
import typer

from clearway.cli.common import console, fail, platform
from clearway.cli.common import settings as _settings
from clearway.store.writer_lock import sole_writer

if TYPE_CHECKING:
    from clearway.app.platform import Clearway


def worker(
    kafka: Annotated[
        str,
        typer.Option(
            "--kafka", envvar="CLEARWAY_KAFKA_BOOTSTRAP", help="Bootstrap servers of the Kafka cluster (host:port,...)."
        ),
    ],
    topic: Annotated[str, typer.Option(help="The topic of records to take, keyed by operator id.")],
    group: Annotated[str, typer.Option(help="The consumer group: workers of one group share the partitions.")],
    results_topic: Annotated[
        str | None, typer.Option(help="Send one result per record here, keyed like the record.")
    ] = None,
    dead_letter_topic: Annotated[
        str | None, typer.Option(help="Send refused records here with their errors (default: TOPIC.dead-letter).")
    ] = None,
    batch: Annotated[int, typer.Option(min=1, max=100_000, help="Records per batch (one transaction).")] = 500,
    partition: Annotated[
        list[int] | None,
        typer.Option(help="Read these partitions instead of joining the group's assignment (repeatable)."),
    ] = None,
    option: Annotated[
        list[str] | None,
        typer.Option(
            "--option",
            "-X",
            help="A librdkafka property KEY=VALUE for both clients (consumer.KEY= or producer.KEY= for one).",
        ),
    ] = None,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            envvar="CLEARWAY_KAFKA_CONFIG",
            help="A Kafka client properties file (KEY=VALUE lines): the place for secrets such as sasl.password.",
        ),
    ] = None,
    metrics_port: Annotated[
        int | None,
        typer.Option(min=1, max=65535, help="Serve Prometheus metrics at http://METRICS_HOST:PORT/metrics."),
    ] = None,
    metrics_host: Annotated[str, typer.Option(help="The address the metrics listen on (no token is asked).")] = (
        "127.0.0.1"
    ),
    max_idle: Annotated[
        float | None, typer.Option(help="Stop after this many seconds without a record (default: run until stopped).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the final counts as JSON on stdout.")] = False,
) -> None:
    """Consume records from Kafka, decide them in batches, send results; commit after the database."""
    from confluent_kafka import KafkaException

    from clearway.app.stream.loop import StreamWorker, Topics
    from clearway.workers.kafka import DeliveryFailed, KafkaClient

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = _settings()
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        # Finish the batch in hand (its commit included), then leave the group.
        signal.signal(sig, lambda *_: stop.set())
    # On SQLite, one writing process (ADR 0002): a worker is refused beside a server or another worker.
    # On PostgreSQL nothing is taken: several workers of one group share the partitions.
    with platform(settings) as svc, sole_writer(settings.database_url, what="clearway worker"):
        try:
            client = KafkaClient(kafka, topic, group, partitions=partition or (), options=option or (), config=config)
        except ValueError as exc:
            fail(str(exc))
        stop_metrics = _metrics(svc, metrics_host, metrics_port)
        topics = Topics(results=results_topic, dead_letter=dead_letter_topic or f"{topic}.dead-letter")
        stream = StreamWorker(svc, client, topics, batch=batch)
        try:
            stream.run(stop, max_idle=max_idle)
        except (DeliveryFailed, KafkaException) as exc:
            # Nothing of the batch in hand was committed: a restarted worker takes it again.
            fail(f"Kafka: {exc}")
        finally:
            client.close()
            stop_metrics()
    totals = stream.snapshot().totals
    if as_json:
        sys.stdout.write(msgspec.json.encode(totals).decode() + "\n")
    else:
        console.print(
            f"{totals.records:,} records: {totals.accepted:,} accepted, {totals.duplicates:,} duplicates, "
            f"{totals.conflicts:,} conflicts, {totals.rejected:,} rejected ({totals.dead_lettered:,} dead letters)"
        )


def _metrics(svc: Clearway, host: str, port: int | None) -> Callable[[], None]:
    """A worker has no HTTP server: with --metrics-port it gets one for the scraper alone."""
    if port is None:
        return lambda: None
    from clearway.app.metrics import serve

    try:
        return serve(svc.engine, host, port)
    except OSError as exc:
        fail(f"cannot serve metrics on {host}:{port}: {exc}")


def register(app: typer.Typer) -> None:
    app.command()(worker)
