"""Helpers of the Kafka intake's tests: fresh topics, producing records, reading a topic to its end."""

from __future__ import annotations

import itertools
import json
import time
import uuid
from typing import Any

from confluent_kafka import Consumer, Producer, TopicPartition

from clearway.workers.tansu import create_topics

_names = itertools.count()


class StreamTopics:
    """An input topic with its results and dead-letter topics, named afresh for each test."""

    def __init__(self, bootstrap: str, partitions: int = 2) -> None:
        stem = f"t{next(_names)}-{uuid.uuid4().hex[:8]}"
        self.bootstrap = bootstrap
        self.partitions = partitions
        self.input, self.results, self.dead = stem, f"{stem}.results", f"{stem}.dead-letter"
        create_topics(bootstrap, [self.input], partitions)
        create_topics(bootstrap, [self.results, self.dead], 1)


def produce(
    bootstrap: str,
    topic: str,
    records: list[tuple[str | None, bytes, dict[str, str]]],
    partitions: dict[str, int] | None = None,
) -> None:
    """Records as (key, value, headers), sent by an idempotent producer and acknowledged; ``partitions``
    puts a key's records in the partition it names (by default the client's partitioner chooses)."""
    producer = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True, "linger.ms": 5})
    for key, value, headers in records:
        encoded = key.encode() if key is not None else None
        at = {"partition": partitions[key]} if partitions is not None and key is not None else {}
        producer.produce(topic, value=value, key=encoded, headers=list(headers.items()), **at)
        producer.poll(0)
    assert producer.flush(30) == 0


def canonical(key: str | None, kind: str, record: dict[str, Any] | bytes) -> tuple[str | None, bytes, dict[str, str]]:
    value = record if isinstance(record, bytes) else json.dumps(record).encode()
    return key, value, {"clearway-kind": kind}


def read_all(bootstrap: str, topic: str, *, expect: int, timeout: float = 30.0) -> list[Any]:
    """Every record of a one-partition topic, waiting until at least ``expect`` are there."""
    consumer = Consumer(
        {"bootstrap.servers": bootstrap, "group.id": f"reader-{uuid.uuid4().hex}", "enable.auto.commit": False,
         "auto.offset.reset": "earliest"}
    )  # fmt: skip
    consumer.assign([TopicPartition(topic, 0, 0)])
    found: list[Any] = []
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            for message in consumer.consume(500, timeout=0.2):
                assert message.error() is None, message.error()
                found.append(message)
            if len(found) >= expect:
                # A short look for more than expected: a result sent twice must be seen to be counted.
                found += [m for m in consumer.consume(500, timeout=0.3) if m.error() is None]
                return found
        return found
    finally:
        consumer.close()


def headers(message: Any) -> dict[str, bytes]:
    return dict(message.headers() or [])


def committed(bootstrap: str, topic: str, group: str, partitions: int) -> dict[int, int]:
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "enable.auto.commit": False})
    try:
        found = consumer.committed([TopicPartition(topic, p) for p in range(partitions)], timeout=10)
    finally:
        consumer.close()
    return {tp.partition: tp.offset for tp in found}
