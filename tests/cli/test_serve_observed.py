"""`clearway serve --workers 2` on PostgreSQL, for real: metrics add up across the worker processes,
log lines are JSON with the caller's request id, and the allowance of a caller is one for both."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from clearway.cli.serve import share_metrics
from tests.conftest import NO_MODEL, TEST_SECRET
from tests.store.test_writer_lock import free_port

CLI = [sys.executable, "-m", "clearway.cli.main"]
TOKEN = "scraper-" + "t" * 32


def get(url: str, **headers: str) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, dict(answer.headers), answer.read()
    except urllib.error.HTTPError as refused:
        return refused.code, dict(refused.headers), refused.read()


@pytest.fixture
def served(database_url: str, tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[str], list[int]]]:
    if not database_url.startswith("postgresql"):
        pytest.skip("several serving processes need PostgreSQL")
    port = free_port()
    src = str(Path(__file__).resolve().parents[2] / "src")
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(p for p in (src, os.environ.get("PYTHONPATH")) if p),
        "CLEARWAY_DATABASE_URL": database_url,
        "CLEARWAY_SECRET_KEY": TEST_SECRET,
        "CLEARWAY_MODEL_DIR": NO_MODEL,
        "CLEARWAY_HS_MODEL_DIR": NO_MODEL,
        "CLEARWAY_LOG_FORMAT": "json",
        "CLEARWAY_METRICS_TOKEN": TOKEN,
        "CLEARWAY_METRICS_DIR": str(tmp_path / "metrics"),
        "CLEARWAY_RATE_LIMIT_PER_SECOND": "0.001",
        "CLEARWAY_RATE_LIMIT_BURST": "20",
    }
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    (tmp_path / "metrics").mkdir()
    (tmp_path / "metrics" / "counter_999999.db").write_bytes(b"left by an earlier run")
    server = subprocess.Popen(
        [*CLI, "serve", "--port", str(port), "--workers", "2"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    polls = [0]
    try:
        deadline = time.monotonic() + 120
        while True:
            assert server.poll() is None, server.communicate()[1]
            try:
                polls[0] += 1
                if get(f"{base}/v1/health")[0] == 200:
                    break
            except OSError:
                polls[0] -= 1  # refused before it reached a worker: never counted
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.3)
        # Both workers up: the first answered; give the second the time it takes to import.
        time.sleep(3)
        yield base, server, polls
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:  # pragma: no cover - a hung server
            server.kill()
            server.wait()


def health_count(text: str) -> float:
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            labels = sample.labels
            if sample.name == "clearway_http_requests_total" and labels.get("route") == "/v1/health":
                return sample.value
    return 0.0


def test_two_workers_one_set_of_metrics_json_logs_and_one_allowance(
    served: tuple[str, subprocess.Popen[str], list[int]],
) -> None:
    base, server, polls = served
    for i in range(30):
        status, answer_headers, _ = get(f"{base}/v1/health", **{"X-Request-ID": f"probe-{i}"})
        assert status == 200 and answer_headers["x-request-id"] == f"probe-{i}"
    # Each scrape is answered by either worker; every one sees both workers' requests.
    counts = set()
    for _ in range(10):
        status, _, body = get(f"{base}/metrics", Authorization=f"Bearer {TOKEN}")
        assert status == 200
        counts.add(health_count(body.decode()))
    assert counts == {polls[0] + 30}
    assert get(f"{base}/metrics")[0] == 401

    # One caller (this address) across both workers: one bucket of 20, of which the 10 scrapes and
    # the refused one took 11 (the health probes are never limited).
    statuses = [get(f"{base}/v1/restrictions?jurisdiction=EU")[0] for _ in range(20)]
    assert statuses == [200] * 9 + [429] * 11

    server.terminate()
    _, errors = server.communicate(timeout=30)
    lines = [json.loads(line) for line in errors.splitlines() if line.strip()]
    access = [line for line in lines if line["logger"] == "clearway.access"]
    assert {f"probe-{i}" for i in range(30)} <= {line.get("request_id") for line in access}
    probe = next(line for line in access if line.get("request_id") == "probe-0")
    assert (probe["route"], probe["status"], probe["method"]) == ("/v1/health", 200, "GET") and probe["ms"] >= 0
    assert all({"time", "level", "logger", "message"} <= set(line) for line in lines)


def test_stale_metric_files_are_cleared_and_one_process_keeps_them_in_memory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    assert share_metrics(str(tmp_path), workers=1) is None and "PROMETHEUS_MULTIPROC_DIR" not in os.environ
    (tmp_path / "counter_1.db").write_bytes(b"old")
    (tmp_path / "keep.txt").write_text("not ours")
    assert share_metrics(str(tmp_path), workers=2) == str(tmp_path)
    assert os.environ["PROMETHEUS_MULTIPROC_DIR"] == str(tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR")
    made = share_metrics("", workers=3)
    assert made is not None and Path(made).is_dir() and Path(made).name.startswith("clearway-metrics-")
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR")
