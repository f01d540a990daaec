"""Kafka intake with 1 and then 2 workers on one PostgreSQL: throughput, latency, the ratio.

    .venv/bin/python bench/scaleout.py [--count 20000] [--json] [--database-url URL]
                                       [--partitions 6] [--batch 500] [--declarations-only]

The bench starts its own broker (Tansu, as the tests do) and EMPTIES the database it is given (every
table dropped, then migrated): never point it at data you keep. Simulated traffic (clearway simulate:
COUNT declarations with their orders, payments and waybills, about 4 records a declaration) is produced
in order of arrival, each record keyed by the operator that sends it, as an operator's gateway would;
four fifths of it for throughput, then

1. one `clearway worker` process takes every partition;
2. the database is emptied, the same records are produced to a new topic, and two worker processes
   take half of the partitions each (assigned by record count, so that both have as much to do;
   a consumer group balances by partition count instead, which is the same when partitions are many);
3. with the two workers still running, a paced producer sends the last fifth at half the measured
   one-worker rate (a flow they keep up with): end-to-end latency is the results topic's timestamp
   minus the input's, p50/p99.

Throughput counts the results written after the first result, over the time between the first and
the last (so that a worker's start-up, loading its reference data, is not in it); records of every kind
count. With --json the last line is one JSON object with produced, stored (declarations and documents),
duplicates, per_second_1_worker, per_second_2_workers, ratio, latency_p50_ms and latency_p99_ms.
"""

from __future__ import annotations

import argparse
import atexit
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import msgspec
import sqlalchemy as sa
from confluent_kafka import Consumer, Producer, TopicPartition

from clearway.app.demo import register_traffic_operators
from clearway.app.platform import Clearway
from clearway.settings import Settings
from clearway.simulate import generate
from clearway.store.engine import create_engine
from clearway.store.migrate import drop_everything, upgrade
from clearway.store.tables import consignments, documents
from clearway.workers.tansu import create_topics, local_broker

CLI = [sys.executable, "-m", "clearway.cli.main"]
SRC = Path(__file__).resolve().parents[1] / "src"
ENCODER = msgspec.json.Encoder(decimal_format="string")


def reset(url: str) -> None:
    drop_everything(url)
    upgrade(url)


Record = tuple[str, str, bytes]  # (kind, operator, value)


def arrivals(traffic: Any) -> list[Record]:
    """Declarations and their documents as their operators send them, in order of arrival."""
    events = [
        (s.received_at, kind, s.operator_id, ENCODER.encode(s.record))
        for kind, submissions in (("consignment", traffic.consignments), ("order", traffic.orders),
                                  ("payment", traffic.payments), ("waybill", traffic.waybills))
        for s in submissions
    ]  # fmt: skip
    events.sort(key=lambda e: e[0])
    return [(kind, operator, value) for _, kind, operator, value in events]


def produce(bootstrap: str, topic: str, records: list[Record], rate: float | None = None) -> None:
    producer = Producer(
        {"bootstrap.servers": bootstrap, "enable.idempotence": True, "linger.ms": 5 if rate is None else 0}
    )
    started = time.perf_counter()
    for n, (kind, key, value) in enumerate(records):
        if rate is not None:
            time.sleep(max(0.0, started + n / rate - time.perf_counter()))
        while True:
            try:
                producer.produce(topic, value=value, key=key.encode(), headers=[("clearway-kind", kind.encode())])
                break
            except BufferError:
                producer.poll(0.05)
        producer.poll(0)
    if producer.flush(120):
        raise SystemExit("the broker did not acknowledge every record")


def partition_sizes(bootstrap: str, topic: str, partitions: int) -> list[int]:
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "bench-sizes"})
    sizes = []
    for p in range(partitions):
        # Read each partition's last record: the watermark Tansu reports on request is not reliable.
        consumer.assign([TopicPartition(topic, p, 0)])
        high = 0
        while batch := consumer.consume(10_000, timeout=1.0):
            high = max([high, *(m.offset() + 1 for m in batch if m.error() is None)])
        sizes.append(high)
    consumer.close()
    return sizes


def balanced(sizes: list[int], workers: int) -> list[list[int]]:
    """Partitions shared so that each worker has about as many records (largest first)."""
    shares: list[list[int]] = [[] for _ in range(workers)]
    loads = [0] * workers
    for p in sorted(range(len(sizes)), key=lambda p: -sizes[p]):
        least = loads.index(min(loads))
        shares[least].append(p)
        loads[least] += sizes[p]
    return shares


def start_workers(
    env: dict[str, str],
    bootstrap: str,
    topic: str,
    shares: list[list[int]],
    batch: int,
    idle: float,
    options: list[str],
) -> list[Any]:
    processes = []
    for share in shares:
        command = [*CLI, "worker", "--kafka", bootstrap, "--topic", topic, "--group", f"bench-{topic}",
                   "--results-topic", f"{topic}.results", "--batch", str(batch), "--max-idle", str(idle),
                   "--json"]  # fmt: skip
        for p in share:
            command += ["--partition", str(p)]
        for option in options:
            command += ["-X", option]
        processes.append(
            subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        )
    return processes


def finish(processes: list[Any]) -> dict[str, int]:
    totals: dict[str, int] = {}
    for process in processes:
        out, _ = process.communicate(timeout=3600)
        if process.returncode != 0:
            raise SystemExit(f"a worker failed with status {process.returncode}")
        for name, value in json.loads(out.strip().splitlines()[-1]).items():
            totals[name] = totals.get(name, 0) + value
    return totals


def results(bootstrap: str, topic: str) -> list[tuple[int, int]]:
    """(result timestamp, input timestamp) of every result, in milliseconds."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"bench-{uuid.uuid4().hex}"})
    consumer.assign([TopicPartition(f"{topic}.results", 0, 0)])
    found = []
    while batch := consumer.consume(10_000, timeout=1.5):
        for m in batch:
            if m.error() is None:
                found.append((m.timestamp()[1], json.loads(m.value())["source"]["timestamp_ms"]))
    consumer.close()
    return found


def per_second(stamps: list[tuple[int, int]]) -> float:
    decided = sorted(t for t, _ in stamps)
    after_first = sum(1 for t in decided if t > decided[0])
    return after_first / max((decided[-1] - decided[0]) / 1000, 1e-3)


def stored(url: str) -> int:
    engine = create_engine(url)
    with engine.connect() as conn:
        count = sum(
            int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())
            for table in (consignments, documents)
        )
    engine.dispose()
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=20_000, help="declarations, sent with their documents")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--database-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--partitions", type=int, default=6)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument(
        "--declarations-only",
        action="store_true",
        help="no orders, payments or waybills: no linking between partitions (the workers' own scaling)",
    )
    parser.add_argument("--json", action="store_true", help="end with one JSON object")
    parser.add_argument("-X", dest="options", action="append", default=[], help="a worker's Kafka option KEY=VALUE")
    args = parser.parse_args()
    url = args.database_url
    if not url.startswith("postgresql"):
        raise SystemExit("several workers need PostgreSQL (SQLite serves one writing process)")
    tmp = tempfile.mkdtemp(prefix="clearway-scaleout-")
    atexit.register(shutil.rmtree, tmp, True)  # the database and traffic: hundreds of MB a run
    env = {**os.environ, "CLEARWAY_DATABASE_URL": url, "CLEARWAY_SECRET_KEY_FILE": str(Path(tmp) / "secret.key"),
           "PYTHONPATH": os.pathsep.join(p for p in (str(SRC), os.environ.get("PYTHONPATH")) if p)}  # fmt: skip
    traffic = generate(args.count * 5 // 4, args.seed)
    records = [r for r in arrivals(traffic) if r[0] == "consignment" or not args.declarations_only]
    # The first four fifths measure throughput; the last fifth, sent paced, the latency.
    measured, paced = records[: len(records) * 4 // 5], records[len(records) * 4 // 5 :]
    report: dict[str, Any] = {
        "produced": len(measured),
        "declarations": sum(kind == "consignment" for kind, _, _ in measured),
        "partitions": args.partitions,
        "batch": args.batch,
        "declarations_only": args.declarations_only,
    }

    def prepared() -> None:
        reset(url)
        with Clearway(Settings(database_url=url, secret_key_file=env["CLEARWAY_SECRET_KEY_FILE"])) as svc:
            register_traffic_operators(svc, traffic)

    with local_broker() as broker:
        bootstrap = broker.bootstrap
        for workers in (1, 2):
            prepared()
            topic = f"scaleout-{workers}"
            create_topics(bootstrap, [topic], args.partitions)
            create_topics(bootstrap, [f"{topic}.results", f"{topic}.dead-letter"], 1)
            produce(bootstrap, topic, measured)
            shares = balanced(partition_sizes(bootstrap, topic, args.partitions), workers)
            processes = start_workers(
                env, bootstrap, topic, shares, args.batch, idle=4 if workers == 1 else 15, options=args.options
            )
            if workers == 2:
                # Latency under a steady flow the two workers keep up with, once they are ready.
                while len(results(bootstrap, topic)) < len(measured):
                    time.sleep(0.5)
                rate = max(10.0, report["per_second_1_worker"] / 2)
                produce(bootstrap, topic, paced, rate=rate)
            totals = finish(processes)
            stamps = results(bootstrap, topic)
            report[f"per_second_{workers}_worker{'s' if workers > 1 else ''}"] = round(
                per_second(stamps[: len(measured)]), 1
            )
            report[f"duplicates_{workers}"] = totals.get("duplicates", 0)
            report[f"refused_{workers}"] = totals.get("rejected", 0) + totals.get("conflicts", 0)
            report[f"stored_{workers}"] = stored(url)
            if workers == 2:
                latencies = [done - sent for done, sent in stamps[len(measured) :]]
                report["latency_records"] = len(latencies)
                report["latency_rate_per_second"] = round(rate, 1)
                report["latency_p50_ms"] = statistics.median(latencies)
                report["latency_p99_ms"] = statistics.quantiles(latencies, n=100)[98]
    report["stored"] = report["stored_2"] - len(paced)
    report["duplicates"] = report["duplicates_1"] + report["duplicates_2"]
    report["ratio"] = round(report["per_second_2_workers"] / report["per_second_1_worker"], 2)
    for name, value in report.items():
        print(f"{name}: {value}")
    if args.json:
        print(json.dumps(report))


if __name__ == "__main__":
    main()
