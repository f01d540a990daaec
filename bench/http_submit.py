"""Single-submission HTTP throughput and latency on loopback.

    .venv/bin/python bench/http_submit.py [--requests 20000] [--concurrency 32] [--workers 1]
                                          [--database-url postgresql+psycopg://...]

Starts `clearway serve` on a fresh SQLite database in a temp dir (or on the PostgreSQL database
given, migrated first, where several --workers may serve it), then one asyncio client
(aiohttp, in this process) POSTs unique declarations to /v1/consignments with a fixed number of
requests in flight, and reports requests per second and p50/p95/p99 latency. Every response must
be 201; the run stops after --requests (bounded, loopback only).
"""

from __future__ import annotations

import argparse
import asyncio
import atexit
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "fixtures" / "consignment.json"
OPERATOR = "op-bench-1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def bodies(count: int) -> list[bytes]:
    """Unique declarations; the run's start time in their numbers, so a database can serve several runs."""
    base = json.loads(FIXTURE.read_text())
    run = int(time.time()) % 10**6
    out = []
    for n in range(count):
        base["reference"] = f"HTTP-{run:06d}-{n:08d}"
        base["transaction"]["order_number"] = f"HO-{run:06d}-{n:08d}"
        base["transaction"]["payment_id"] = f"HP-{run:06d}-{n:08d}"
        base["logistics"]["transport_document"] = f"HW{run:06d}{n:08d}"
        base["logistics"]["document_type"] = "house_waybill"
        out.append(json.dumps(base).encode())
    return out


async def wait_ready(url: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline:
            try:
                async with session.get(f"{url}/v1/health") as r:
                    if r.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.2)
    raise RuntimeError("server did not start")


async def load(
    url: str, payloads: list[bytes], concurrency: int, api_key: str
) -> tuple[list[float], float, dict[int, int]]:
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    queue = iter(payloads)
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {api_key}"}
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def worker() -> None:
            for body in queue:
                t = time.perf_counter()
                async with session.post(f"{url}/v1/consignments", data=body, headers=headers) as r:
                    await r.read()
                    statuses[r.status] = statuses.get(r.status, 0) + 1
                latencies.append(time.perf_counter() - t)

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    return latencies, elapsed, statuses


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--warmup", type=int, default=500)
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file in a temp dir")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="clearway-http-"))
    atexit.register(shutil.rmtree, tmp, True)  # the database and traffic: hundreds of MB a run
    env = dict(
        os.environ,
        CLEARWAY_DATABASE_URL=args.database_url or f"sqlite:///{tmp / 'http.db'}",
        CLEARWAY_SECRET_KEY_FILE=str(tmp / "secret.key"),
        # One operator sends everything here: the limiter stays in the path but never refuses.
        CLEARWAY_RATE_LIMIT_PER_SECOND="1000000",
    )
    clearway = str(Path(sys.executable).with_name("clearway"))
    subprocess.run([clearway, "db", "upgrade"], env=env, check=True, capture_output=True)
    onboard = ["operators", "onboard", OPERATOR, "--name", "Bench Courier", "--kind", "courier", "--country", "DE"]
    # On a database kept from an earlier run the operator is there already: that is fine.
    subprocess.run([clearway, *onboard, "--email", "bench@example.org"], env=env, check=False, capture_output=True)
    issued = subprocess.run(
        [clearway, "keys", "issue", OPERATOR, "--json"], env=env, check=True, capture_output=True, text=True
    )
    api_key = json.loads(issued.stdout)["api_key"]
    port = free_port()
    server = subprocess.Popen(
        [clearway, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(args.workers)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        asyncio.run(wait_ready(url))
        payloads = bodies(args.warmup + args.requests)
        asyncio.run(load(url, payloads[: args.warmup], args.concurrency, api_key))
        latencies, elapsed, statuses = asyncio.run(load(url, payloads[args.warmup :], args.concurrency, api_key))
    finally:
        server.terminate()
        server.wait(timeout=30)
    latencies.sort()
    q = statistics.quantiles(latencies, n=100)
    print(f"workers={args.workers} concurrency={args.concurrency} requests={len(latencies):,} statuses={statuses}")
    print(
        f"throughput {len(latencies) / elapsed:,.0f} submissions/s; latency p50 {q[49] * 1000:.1f} ms, "
        f"p95 {q[94] * 1000:.1f} ms, p99 {q[98] * 1000:.1f} ms, max {latencies[-1] * 1000:.1f} ms"
    )


if __name__ == "__main__":
    main()
