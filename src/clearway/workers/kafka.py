"""The Kafka client of the stream worker (confluent-kafka, librdkafka): nothing but the broker.

What records mean and the order of decide / send / commit are the application's (app.stream.loop);
this adapter polls, sends with an idempotent producer, waits for acknowledgements and commits offsets
synchronously. Offsets are never committed automatically (``enable.auto.commit`` is off and cannot be
turned on): only the loop commits, after the database.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from confluent_kafka import Consumer, KafkaError, KafkaException, Message, Producer, TopicPartition

from clearway.app.stream.records import Incoming, Outgoing

_log = logging.getLogger(__name__)
# What the worker's correctness rests on: set here, after any option, so that no option undoes it.
_CONSUMER_FIXED = {"enable.auto.commit": False, "enable.auto.offset.store": False}
_CONSUMER_DEFAULTS = {"auto.offset.reset": "earliest", "enable.partition.eof": False}
_PRODUCER_FIXED = {"enable.idempotence": True, "acks": "all"}
_PRODUCER_DEFAULTS = {"linger.ms": 5}
FLUSH_SECONDS = 60.0


class DeliveryFailed(RuntimeError):
    """A result or dead letter could not be delivered: the batch's offsets are not committed."""


# librdkafka properties that hold secrets: never taken from the command line, where `ps` and the
# shell's history show them to anyone on the machine; they come from a properties file (read_properties).
SECRET_KEYS = frozenset(
    {
        "sasl.password",
        "sasl.oauthbearer.client.secret",
        "sasl.oauthbearer.config",  # may carry a client secret
        "ssl.key.password",
        "ssl.key.pem",
        "ssl.keystore.password",
    }
)


def _unscoped(key: str) -> str:
    return key.removeprefix("consumer.").removeprefix("producer.")


def split_options(options: Sequence[str], *, secrets_allowed: bool = False) -> tuple[dict[str, str], dict[str, str]]:
    """``KEY=VALUE`` librdkafka properties for both clients; ``consumer.KEY=`` or ``producer.KEY=``
    for one of them only (security.protocol and sasl.* go to both; session.timeout.ms to the consumer).
    A secret (``SECRET_KEYS``) is refused unless ``secrets_allowed`` (it came from a file)."""
    consumer: dict[str, str] = {}
    producer: dict[str, str] = {}
    for option in options:
        key, sep, value = option.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"a Kafka option is KEY=VALUE, not {option!r}")
        key = key.strip()
        if not secrets_allowed and _unscoped(key) in SECRET_KEYS:
            raise ValueError(
                f"{key} is a secret: put it in a properties file given with --config (or CLEARWAY_KAFKA_CONFIG), "
                "not on the command line, where other users of the machine can read it"
            )
        if key.startswith("consumer."):
            consumer[key.removeprefix("consumer.")] = value
        elif key.startswith("producer."):
            producer[key.removeprefix("producer.")] = value
        else:
            consumer[key] = producer[key] = value
    return consumer, producer


def read_properties(path: Path) -> list[str]:
    """The ``KEY=VALUE`` lines of a Kafka client properties file (as Kafka's own ``client.properties``:
    ``#`` and ``!`` start comments, blank lines are skipped, ``KEY: VALUE`` is read as ``KEY=VALUE``),
    in file order, for :func:`split_options` with secrets allowed."""
    try:
        text = path.read_text(encoding="utf-8")
        if path.stat().st_mode & 0o077:
            # Not refused (a mounted secret may come 0644 in a container of one user), but said.
            _log.warning("the Kafka properties file %s can be read by other users of the machine (chmod 600)", path)
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"cannot read the Kafka properties file {path}: {exc}") from exc
    out: list[str] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line[0] in "#!":
            continue
        equals, colon = line.find("="), line.find(":")
        cut = min(i for i in (equals, colon) if i >= 0) if max(equals, colon) >= 0 else -1
        if cut <= 0:
            raise ValueError(f"{path}, line {number}: a property is KEY=VALUE")
        out.append(f"{line[:cut].strip()}={line[cut + 1 :].strip()}")
    return out


class KafkaClient:
    """One consumer (group ``group``) of ``topic`` and one producer, on one cluster.

    ``partitions``: read exactly these partitions of the topic (committing to the group all the same)
    instead of joining the group's assignment; for tests and benchmarks, where a join costs seconds.
    """

    def __init__(
        self,
        bootstrap: str,
        topic: str,
        group: str,
        *,
        partitions: Sequence[int] = (),
        options: Sequence[str] = (),
        config: Path | None = None,
    ) -> None:
        # The file first, so that an option on the command line can still override a setting of it.
        from_file = split_options(read_properties(config), secrets_allowed=True) if config else ({}, {})
        consumer_options, producer_options = split_options(options)
        consumer_options = {**from_file[0], **consumer_options}
        producer_options = {**from_file[1], **producer_options}
        common = {"bootstrap.servers": bootstrap}
        self.topic = topic
        self.consumer = Consumer(
            {**common, **_CONSUMER_DEFAULTS, **consumer_options, "group.id": group, **_CONSUMER_FIXED},
            logger=_log,
        )
        self.producer = Producer({**common, **_PRODUCER_DEFAULTS, **producer_options, **_PRODUCER_FIXED}, logger=_log)
        self._failures: list[str] = []
        self._closed = False
        if partitions:
            self.consumer.assign([TopicPartition(topic, p) for p in partitions])
        else:
            self.consumer.subscribe([topic])

    def poll(self, max_records: int, timeout: float) -> list[Incoming]:
        # What is fetched already, at once; else wait for the first record and take what came with it.
        # consume(N, timeout) alone would wait the whole timeout for N records: a lone record would
        # wait half a second for company at low traffic.
        messages = self.consumer.consume(num_messages=max_records, timeout=0)
        if not messages:
            messages = self.consumer.consume(num_messages=1, timeout=timeout)
            if messages and max_records > 1:
                messages += self.consumer.consume(num_messages=max_records - 1, timeout=0)
        incoming: list[Incoming] = []
        for message in messages:
            error = message.error()
            if error is not None:
                if error.fatal():
                    raise KafkaException(error)
                _log.warning("Kafka: %s", error)
                continue
            incoming.append(_incoming(message))
        return incoming

    def send(self, topic: str, record: Outgoing) -> None:
        while True:
            try:
                headers: list[tuple[str, str | bytes | None]] = list(record.headers)
                self.producer.produce(
                    topic, value=record.value, key=record.key, headers=headers, on_delivery=self._delivered
                )
                return
            except BufferError:  # the producer's queue is full: let it drain
                self.producer.poll(0.1)

    def _delivered(self, error: KafkaError | None, message: Message) -> None:
        if error is not None:
            self._failures.append(f"{message.topic()}: {error.str()}")

    def flush(self) -> None:
        left = self.producer.flush(FLUSH_SECONDS)
        failures, self._failures = self._failures, []
        if left or failures:
            raise DeliveryFailed(f"{left} records unacknowledged after {FLUSH_SECONDS:.0f} s; failed: {failures[:5]}")

    def commit(self, offsets: Mapping[tuple[str, int], int]) -> None:
        try:
            self.consumer.commit(
                offsets=[TopicPartition(topic, partition, offset) for (topic, partition), offset in offsets.items()],
                asynchronous=False,
            )
        except KafkaException as exc:
            error = exc.args[0] if exc.args and isinstance(exc.args[0], KafkaError) else None
            if error is None or error.fatal():
                raise
            # The group moved on meanwhile (a rebalance after a batch longer than max.poll.interval.ms):
            # whoever reads these partitions now gets the batch again, answered as duplicates.
            _log.warning("offsets not committed (%s): the batch will be delivered again", error.str())

    def positions(self) -> dict[tuple[str, int], tuple[int | None, int | None]]:
        if self._closed:
            return {}
        assigned = self.consumer.assignment()
        if not assigned:
            return {}
        found: dict[tuple[str, int], tuple[int | None, int | None]] = {}
        for tp in self.consumer.position(assigned):
            # cached: the watermark the last fetch reported, no request to the broker (a metrics
            # scrape must not block on it).
            _, high = self.consumer.get_watermark_offsets(tp, cached=True)
            found[(tp.topic, tp.partition)] = (_known(tp.offset), _known(high))
        return found

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            self.producer.flush(FLUSH_SECONDS)
        finally:
            self.consumer.close()  # leaves the group at once, so that its partitions move without waiting


def _known(offset: Any) -> int | None:
    return int(offset) if isinstance(offset, int) and offset >= 0 else None


def _incoming(message: Message) -> Incoming:
    # A header named twice counts by its last value; a header without a value is left out.
    raw = message.headers() or []
    pairs = raw.items() if isinstance(raw, dict) else raw
    headers = {name: value for name, value in pairs if value is not None}
    kind, timestamp = message.timestamp()
    return Incoming(
        topic=message.topic() or "",
        partition=message.partition() or 0,
        offset=message.offset() or 0,
        key=message.key(),
        value=message.value(),
        headers={k: v if isinstance(v, bytes) else str(v).encode() for k, v in headers.items()},
        timestamp_ms=timestamp if kind != 0 else None,
    )
