"""One serving process per SQLite file, for real: `clearway serve` runs in a child process, and a
second server, a bulk writer, and several workers are refused with one line and a non-zero exit,
while read-only commands still read the database beside it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from clearway.store.migrate import upgrade
from clearway.store.writer_lock import DatabaseInUse, lock_path, sole_writer, sqlite_file
from tests.conftest import NO_MODEL, TEST_SECRET

CLI = [sys.executable, "-m", "clearway.cli.main"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    url = f"sqlite:///{tmp_path / 'clearway.db'}"
    upgrade(url)
    src = str(Path(__file__).resolve().parents[2] / "src")
    return {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(p for p in (src, os.environ.get("PYTHONPATH")) if p),
        "CLEARWAY_DATABASE_URL": url,
        "CLEARWAY_SECRET_KEY": TEST_SECRET,
        "CLEARWAY_MODEL_DIR": NO_MODEL,
        "CLEARWAY_HS_MODEL_DIR": NO_MODEL,
    }


def clearway(env: dict[str, str], *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], env=env, capture_output=True, text=True, timeout=timeout, check=False)


@pytest.fixture
def served(env: dict[str, str]) -> Iterator[tuple[subprocess.Popen[str], int]]:
    port = free_port()
    server = subprocess.Popen(
        [*CLI, "serve", "--port", str(port)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    try:
        deadline = time.monotonic() + 90
        while True:
            assert server.poll() is None, server.communicate()[1]
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/health", timeout=2) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                pass
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.3)
        yield server, port
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:  # pragma: no cover - a hung server
            server.kill()
            server.wait()


def refused_with_one_line(done: subprocess.CompletedProcess[str], pid: int | None) -> str:
    assert done.returncode != 0
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, done.stderr  # no traceback
    [line] = lines
    assert "SQLite supports one serving process" in line and "postgresql+psycopg://" in line
    if pid is not None:
        assert f"already served by process {pid} (clearway serve)" in line
    return line


def test_a_second_server_and_a_bulk_writer_are_refused_while_readers_read(
    env: dict[str, str], served: tuple[subprocess.Popen[str], int], tmp_path: Path
) -> None:
    server, _ = served
    refused_with_one_line(clearway(env, "serve", "--port", str(free_port())), server.pid)
    records = tmp_path / "consignments.ndjson"
    records.write_text("{}\n")
    refused_with_one_line(
        clearway(env, "ingest", str(records), "--operator", "op-x", "--kind", "consignment"), server.pid
    )
    refused_with_one_line(clearway(env, "sweep"), server.pid)
    # Readers read beside the server (WAL).
    verified = clearway(env, "audit", "verify", "--json")
    assert verified.returncode == 0 and '"ok":true' in verified.stdout
    kpis = clearway(env, "stats", "kpis", "--json")
    assert kpis.returncode == 0, kpis.stderr
    assert server.poll() is None  # the server is still serving


def test_the_lock_goes_with_the_server(env: dict[str, str], served: tuple[subprocess.Popen[str], int]) -> None:
    server, _ = served
    server.terminate()
    server.wait(timeout=30)
    swept = clearway(env, "sweep")
    assert swept.returncode == 0, swept.stderr


def test_the_lock_goes_with_a_killed_server(env: dict[str, str], served: tuple[subprocess.Popen[str], int]) -> None:
    server, _ = served
    server.kill()  # no clean-up ran: the kernel releases the lock with the process
    server.wait(timeout=30)
    assert clearway(env, "sweep").returncode == 0


def test_several_workers_on_sqlite_are_refused_before_starting(env: dict[str, str]) -> None:
    line = refused_with_one_line(clearway(env, "serve", "--workers", "2", "--port", str(free_port())), None)
    assert "not 2" in line


def test_postgresql_and_memory_databases_take_no_lock(tmp_path: Path) -> None:
    assert sqlite_file("postgresql+psycopg://postgres@127.0.0.1/x") is None
    assert sqlite_file("sqlite:///:memory:") is None
    with sole_writer("postgresql+psycopg://postgres@127.0.0.1/x", processes=4), sole_writer("sqlite://"):
        pass
    url = f"sqlite:///{tmp_path / 'a.db'}"
    # The holder's own second attempt is refused too: the lock is per open file, not per process.
    with sole_writer(url), pytest.raises(DatabaseInUse, match=f"process {os.getpid()}"), sole_writer(url):
        pass
    assert lock_path(tmp_path / "a.db").exists()
    with sole_writer(url):  # released
        pass
