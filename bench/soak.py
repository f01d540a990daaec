"""A soak through Kafka: COUNT declarations, one worker killed with SIGKILL in the middle and restarted.

    .venv/bin/python bench/soak.py [--count 1000000] [--database-url URL] [--partitions 6]
                                   [--batch 500] [--kill-at 0.5] [--json]

The bench starts its own broker (Tansu, as the tests do) and EMPTIES the database it is given (every
table dropped, then migrated): never point it at data you keep. It needs PostgreSQL (a worker beside
the bench's own connections).

The declarations are simulated traffic (clearway simulate, 20,000 distinct declarations of the
simulated operators) sent again and again under new references (``REF-R<round>``), order, payment and
transport document numbers (a new S10 item id for a post parcel) until COUNT have been produced,
keyed by their operator as a gateway would send them. They come without their documents, so they
are stored and wait for them: the soak measures that nothing is lost or stored twice, not the
linking. Then

1. one `clearway worker` takes every partition;
2. once ``--kill-at`` of the declarations are stored, it is killed with SIGKILL (no chance to finish
   its batch, flush its results or commit its offsets);
3. a second worker of the same group starts and runs until the topic has been idle for 30 s.

At the end the bench counts the stored declarations (they must equal the count produced: nothing lost,
nothing twice) and runs ``clearway audit verify`` (it must pass after the kill). It prints the
throughput of each worker and the peak memory of each (from /proc, the resident set's high-water
mark), and exits with status 1 if a check fails. With --json the last line is one JSON object.
"""

from __future__ import annotations

import argparse
import atexit
import json
import os
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msgspec
import sqlalchemy as sa
from confluent_kafka import Producer

from clearway.app.demo import register_traffic_operators
from clearway.app.platform import Clearway
from clearway.dataset.identifiers import s10_check_digit
from clearway.dataset.records import Consignment
from clearway.settings import Settings
from clearway.simulate import generate
from clearway.store.engine import create_engine
from clearway.store.tables import consignments
from clearway.workers.tansu import create_topics, local_broker
from scaleout import CLI, SRC, reset

ENCODER = msgspec.json.Encoder(decimal_format="string")
DISTINCT = 20_000
IDLE = 30.0  # seconds without a record before the second worker stops (a group join takes a few)


def renamed(record: Consignment, round_: int) -> Consignment:
    """The declaration of another parcel: its reference, order, payment and transport document numbers
    made new for the round. A real parcel has a transport document of its own; with the numbers of
    earlier rounds, each declaration would find every earlier round's declarations of its parcel, and
    linking would read more of them a round (the soak slowed down as it went, for that alone)."""
    logistics = record.logistics
    document = f"{logistics.transport_document}-R{round_}"
    if logistics.document_type == "upu_s10" and len(logistics.transport_document) == 13:
        # A valid S10 item id again: another serial, its check digit, the same letters and country.
        serial = f"{(int(logistics.transport_document[2:10]) + round_ * 1_000_003) % 10**8:08d}"
        document = (
            f"{logistics.transport_document[:2]}{serial}{s10_check_digit(serial)}{logistics.transport_document[11:]}"
        )
    transaction = record.transaction
    payment = f"{transaction.payment_id}-R{round_}" if transaction.payment_id else None
    return msgspec.structs.replace(
        record,
        reference=f"{record.reference}-R{round_}",
        transaction=msgspec.structs.replace(
            transaction, order_number=f"{transaction.order_number}-R{round_}", payment_id=payment
        ),
        logistics=msgspec.structs.replace(logistics, transport_document=document),
    )


def declarations(traffic: Any, count: int) -> Iterator[tuple[str, bytes]]:
    """(operator, canonical JSON) of ``count`` declarations, the traffic's again and again, renamed."""
    base = [(s.operator_id, s.record) for s in traffic.consignments]
    produced = 0
    round_ = 0
    while produced < count:
        for operator, record in base[: count - produced]:
            yield operator, ENCODER.encode(renamed(record, round_))
        produced += min(len(base), count - produced)
        round_ += 1


def produce(bootstrap: str, topic: str, records: Iterator[tuple[str, bytes]]) -> int:
    producer = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True, "linger.ms": 20})
    sent = 0
    for operator, value in records:
        while True:
            try:
                producer.produce(topic, value=value, key=operator.encode(), headers=[("clearway-kind", b"consignment")])
                break
            except BufferError:
                producer.poll(0.05)
        producer.poll(0)
        sent += 1
    if producer.flush(600):
        raise SystemExit("the broker did not acknowledge every record")
    return sent


def stored(engine: sa.Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(consignments)).scalar_one())


def worker(env: dict[str, str], bootstrap: str, topic: str, batch: int, idle: float | None) -> subprocess.Popen[str]:
    command = [*CLI, "worker", "--kafka", bootstrap, "--topic", topic, "--group", "soak",
               "--batch", str(batch), "--json",
               "-X", "consumer.session.timeout.ms=2000", "-X", "consumer.heartbeat.interval.ms=300"]  # fmt: skip
    if idle is not None:
        command += ["--max-idle", str(idle)]
    return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)


class PeakMemory(threading.Thread):
    """The resident set's high-water mark of a process, read from /proc until it ends."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.peak_mb = 0.0

    def run(self) -> None:
        status = Path(f"/proc/{self.pid}/status")
        while True:
            try:
                text = status.read_text()
            except OSError:
                return
            for line in text.splitlines():
                if line.startswith("VmHWM:"):
                    self.peak_mb = max(self.peak_mb, int(line.split()[1]) / 1024)
            time.sleep(0.5)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=1_000_000, help="declarations produced")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--database-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--partitions", type=int, default=6)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--kill-at", type=float, default=0.5, help="share of the count stored when the kill comes")
    parser.add_argument("--json", action="store_true", help="end with one JSON object")
    args = parser.parse_args()
    url = args.database_url
    if not url.startswith("postgresql"):
        raise SystemExit("the soak needs PostgreSQL")
    tmp = tempfile.mkdtemp(prefix="clearway-soak-")
    atexit.register(shutil.rmtree, tmp, True)  # the database and traffic: hundreds of MB a run
    env = {**os.environ, "CLEARWAY_DATABASE_URL": url, "CLEARWAY_SECRET_KEY_FILE": str(Path(tmp) / "secret.key"),
           "PYTHONPATH": os.pathsep.join(p for p in (str(SRC), os.environ.get("PYTHONPATH")) if p)}  # fmt: skip
    reset(url)
    traffic = generate(min(args.count, DISTINCT), args.seed)
    with Clearway(Settings(database_url=url, secret_key_file=env["CLEARWAY_SECRET_KEY_FILE"])) as svc:
        register_traffic_operators(svc, traffic)
    engine = create_engine(url)
    report: dict[str, Any] = {"count": args.count, "partitions": args.partitions, "batch": args.batch}
    with local_broker() as broker:
        topic = "soak"
        create_topics(broker.bootstrap, [topic], args.partitions)
        create_topics(broker.bootstrap, [f"{topic}.dead-letter"], 1)
        started = time.perf_counter()
        report["produced"] = produce(broker.bootstrap, topic, declarations(traffic, args.count))
        report["produce_seconds"] = round(time.perf_counter() - started, 1)
        del traffic

        first = worker(env, broker.bootstrap, topic, args.batch, idle=None)
        first_memory = PeakMemory(first.pid)
        first_memory.start()
        started = time.perf_counter()
        while (count := stored(engine)) < args.count * args.kill_at and first.poll() is None:
            time.sleep(2.0)  # a count of a growing table is a scan: not too often
        first.kill()  # SIGKILL
        first.wait(60)
        first_seconds = time.perf_counter() - started
        report["stored_at_kill"] = at_kill = stored(engine)
        report["per_second_first_worker"] = round(at_kill / first_seconds, 1)
        report["peak_mb_first_worker"] = round(first_memory.peak_mb)

        second = worker(env, broker.bootstrap, topic, args.batch, idle=IDLE)
        second_memory = PeakMemory(second.pid)
        second_memory.start()
        started = time.perf_counter()
        out, _ = second.communicate(timeout=24 * 3600)
        second_seconds = time.perf_counter() - started - IDLE  # less the idle wait before it stops
        if second.returncode != 0:
            raise SystemExit(f"the second worker failed with status {second.returncode}")
        totals = json.loads(out.strip().splitlines()[-1])
        report["second_worker"] = totals
        report["per_second_second_worker"] = round(totals["records"] / max(second_seconds, 1e-3), 1)
        report["peak_mb_second_worker"] = round(second_memory.peak_mb)
    report["stored"] = count = stored(engine)
    with engine.connect() as conn:
        distinct = conn.execute(sa.select(sa.func.count(sa.distinct(consignments.c.reference)))).scalar_one()
    report["stored_distinct_references"] = int(distinct)
    engine.dispose()
    started = time.perf_counter()
    verify = subprocess.run([*CLI, "audit", "verify"], env=env, capture_output=True, text=True, check=False)
    report["audit_verify_seconds"] = round(time.perf_counter() - started, 1)
    report["audit_verified"] = verify.returncode == 0
    report["audit_verify_says"] = (verify.stdout.strip() or verify.stderr.strip()).splitlines()[-1:]
    report["ok"] = count == distinct == report["produced"] and report["audit_verified"]
    for name, value in report.items():
        print(f"{name}: {value}")
    if args.json:
        print(json.dumps(report))
    if not report["ok"]:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
