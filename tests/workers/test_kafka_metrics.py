"""The Kafka worker feeds the metrics: its lag per partition, and its records counted like the API's."""

from __future__ import annotations

import pytest
from prometheus_client import REGISTRY

from clearway.app import metrics
from clearway.app.platform import Clearway
from tests.streams import StreamTopics, canonical, produce
from tests.workers.test_kafka import consignment, run_worker


def sample(name: str, **labels: str) -> float | None:
    return REGISTRY.get_sample_value(name, labels)


@pytest.mark.usefixtures("standard_operators")
def test_the_worker_reports_its_lag_per_partition_and_counts_its_records(service: Clearway, kafka: str) -> None:
    topics = StreamTopics(kafka)
    for partition in range(topics.partitions):
        metrics.set_kafka_lag(topics.input, partition, 999)  # what a stale gauge would keep saying
    accepted = sample("clearway_records_total", stage="intake", kind="consignment", outcome="accepted") or 0.0
    produce(kafka, topics.input, [canonical("op-courier-1", "consignment", consignment(f"M-{n}")) for n in range(3)])

    run_worker(service, topics)

    lags = [sample("clearway_kafka_lag", topic=topics.input, partition=str(p)) for p in range(topics.partitions)]
    assert lags == [0.0] * topics.partitions
    after = sample("clearway_records_total", stage="intake", kind="consignment", outcome="accepted") or 0.0
    assert after - accepted == 3
