"""`clearway worker` as a real process on the real broker: killed with SIGKILL in the middle of a
stream and started again, every record produced is stored exactly once and answered; on SQLite a
second worker is refused (one writer), on PostgreSQL two run side by side and share the partitions."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from clearway.app.platform import Clearway
from clearway.store.tables import consignments
from tests.conftest import NO_MODEL, STANDARD_OPERATORS, TEST_SECRET, fixture_json, register_operators
from tests.streams import StreamTopics, canonical, committed, produce, read_all

CLI = [sys.executable, "-m", "clearway.cli.main"]
SRC = Path(__file__).resolve().parents[2] / "src"
DECLARANTS = ("op-courier-1", "op-courier-2", "op-post-1")


@pytest.fixture
def env(service: Clearway, database_url: str) -> dict[str, str]:
    register_operators(service, STANDARD_OPERATORS)
    return {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(p for p in (str(SRC), os.environ.get("PYTHONPATH")) if p),
        "CLEARWAY_DATABASE_URL": database_url,
        "CLEARWAY_SECRET_KEY": TEST_SECRET,
        "CLEARWAY_MODEL_DIR": NO_MODEL,
        "CLEARWAY_HS_MODEL_DIR": NO_MODEL,
    }


def start_worker(env: dict[str, str], topics: StreamTopics, *extra: str) -> subprocess.Popen[str]:
    command = [*CLI, "worker", "--kafka", topics.bootstrap, "--topic", topics.input, "--group", "workers",
               "--results-topic", topics.results, "--dead-letter-topic", topics.dead,
               # The group's production path (a join, not an explicit assignment), made quick for a test.
               "-X", "consumer.session.timeout.ms=2000", "-X", "consumer.heartbeat.interval.ms=300",
               *extra]  # fmt: skip
    return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def stored(service: Clearway) -> int:
    with service.engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(consignments)).scalar_one())


def wait_for(condition: Any, what: str, timeout: float = 90.0, seen: Any = None) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}" + (f": {seen()}" if seen else "")
        time.sleep(0.02)


def declarations(count: int) -> list[tuple[str | None, bytes, dict[str, str]]]:
    base = fixture_json("consignment.json")
    records = []
    for n in range(count):
        base["reference"] = f"KILL-{n:05d}"
        records.append(canonical(DECLARANTS[n % len(DECLARANTS)], "consignment", base))
    return records


def test_a_worker_killed_mid_stream_loses_nothing_and_stores_nothing_twice(
    service: Clearway, env: dict[str, str], kafka: str
) -> None:
    topics = StreamTopics(kafka, partitions=3)
    produced = 1500
    produce(kafka, topics.input, declarations(produced), partitions={op: n for n, op in enumerate(DECLARANTS)})

    first = start_worker(env, topics, "--batch", "50")
    try:
        wait_for(lambda: stored(service) >= 100 or first.poll() is not None, "the first batches")
        first.send_signal(signal.SIGKILL)  # no chance to finish its batch, flush or commit
        first.wait(30)
    finally:
        if first.poll() is None:
            first.kill()
    at_kill = stored(service)
    assert 0 < at_kill < produced, "killed mid-stream"

    second = start_worker(env, topics, "--batch", "200", "--max-idle", "3", "--json")
    out, err = second.communicate(timeout=180)
    assert second.returncode == 0, err

    with service.engine.connect() as conn:
        references = list(conn.execute(sa.select(consignments.c.reference)).scalars())
    assert len(references) == produced and len(set(references)) == produced
    totals = json.loads(out.strip().splitlines()[-1])
    # What the killed worker had stored is answered again as a duplicate, not stored again.
    assert totals["accepted"] + totals["duplicates"] == totals["records"] and totals["rejected"] == 0
    assert totals["accepted"] == produced - at_kill or totals["duplicates"] > 0
    results = [json.loads(m.value()) for m in read_all(kafka, topics.results, expect=produced)]
    answered = {(r["source"]["partition"], r["source"]["offset"]) for r in results}
    assert len(answered) == produced  # every input has its result
    accepted = [r["reference"] for r in results if r["status"] == "accepted"]
    assert len(accepted) == len(set(accepted))  # never accepted twice
    assert sum(committed(kafka, topics.input, "workers", 3).values()) == produced
    # The audit chain survived the kill: what the killed worker's open transaction had appended
    # was rolled back with it, and the chain still verifies from the first entry to its head.
    verified = service.verify_audit()
    assert verified.ok and verified.checked >= produced, verified


def test_workers_on_one_database(service: Clearway, env: dict[str, str], kafka: str, database_url: str) -> None:
    topics = StreamTopics(kafka, partitions=2)
    produced = 300
    produce(kafka, topics.input, declarations(produced), partitions={op: n % 2 for n, op in enumerate(DECLARANTS)})
    first = start_worker(env, topics, "--partition", "0", "--max-idle", "4")
    try:
        # The second starts once the first is at work (holds SQLite's writer lock): a fixed pause lost
        # that race on a loaded machine, where starting a worker takes seconds.
        wait_for(lambda: stored(service) > 0 or first.poll() is not None, "the first worker's records")
        second = start_worker(env, topics, "--partition", "1", "--max-idle", "4")
        _, err = second.communicate(timeout=120)
        if database_url.startswith("sqlite"):
            # One writing process per SQLite file (ADR 0002): refused in one line, before reading anything.
            assert second.returncode == 2
            assert "SQLite supports one serving process" in err
        else:
            assert second.returncode == 0, err
        first.communicate(timeout=120)
        assert first.returncode == 0
    finally:
        for process in (first, second):
            if process.poll() is None:
                process.kill()
    offsets = committed(kafka, topics.input, "workers", 2)
    if database_url.startswith("sqlite"):
        assert offsets[0] > 0 and offsets[1] < 0  # the refused worker read nothing
        assert stored(service) == offsets[0]
    else:
        assert stored(service) == produced == offsets[0] + offsets[1]


def test_sigterm_finishes_the_batch_commits_and_leaves(service: Clearway, env: dict[str, str], kafka: str) -> None:
    topics = StreamTopics(kafka, partitions=1)
    produce(kafka, topics.input, declarations(60))
    worker = start_worker(env, topics, "--partition", "0", "--json")  # no --max-idle: runs until told
    try:
        wait_for(lambda: stored(service) == 60 or worker.poll() is not None, "the records")
        assert worker.poll() is None
        worker.send_signal(signal.SIGTERM)
        out, err = worker.communicate(timeout=60)
    finally:
        if worker.poll() is None:
            worker.kill()
    assert worker.returncode == 0, err
    assert json.loads(out.strip().splitlines()[-1])["accepted"] == 60
    assert committed(kafka, topics.input, "workers", 1) == {0: 60}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_a_worker_serves_its_metrics_and_takes_its_secrets_from_a_file(
    service: Clearway, env: dict[str, str], kafka: str, tmp_path: Path
) -> None:
    """A worker alone on its machine has no API server: --metrics-port serves its counters and the
    database's queue depths; a properties file carries settings (and would carry the SASL password)."""
    topics = StreamTopics(kafka, partitions=1)
    produce(kafka, topics.input, declarations(40))
    config = tmp_path / "client.properties"
    config.write_text("# settings for both clients\nclient.id = clearway-test\n", encoding="utf-8")
    port = free_port()
    worker = start_worker(env, topics, "--partition", "0", "--config", str(config), "--metrics-port", str(port))
    try:
        wait_for(lambda: stored(service) == 40 or worker.poll() is not None, "the records")
        assert worker.poll() is None
        body = ""

        def scraped() -> bool:
            nonlocal body
            try:
                body = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
            except httpx.TransportError:
                return False
            # At least: a batch the database made wait is run again and counted again (its records are
            # stored once; the stage counts what it did).
            found = re.search(r'^clearway_stage_records_total\{stage="store"\} ([0-9.e+]+)$', body, re.MULTILINE)
            return found is not None and float(found.group(1)) >= 40

        wait_for(scraped, "the worker's counts on its metrics port", timeout=90, seen=lambda: body)
        assert 'clearway_stage_seconds_total{stage="store"}' in body
        assert "clearway_queue_depth" in body and "clearway_kafka_lag" in body
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.communicate(timeout=60)
    assert worker.returncode == 0


def test_a_secret_on_the_worker_command_line_is_refused(env: dict[str, str], kafka: str) -> None:
    topics = StreamTopics(kafka, partitions=1)
    worker = start_worker(env, topics, "-X", "sasl.password=hunter2", "--max-idle", "1")
    _, err = worker.communicate(timeout=60)
    assert worker.returncode == 1
    assert "sasl.password is a secret" in err and "hunter2" not in err
