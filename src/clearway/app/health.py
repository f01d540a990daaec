"""Readiness: can this process serve, that is, do the database and (when one is configured) the
Kafka broker answer in time?

Each check says ``ok``, ``failed`` or ``not_checked`` with a sentence. The sentences say what
failed, never where (no host, no URL): the answer is public, for load balancers. The broker is
asked for its metadata with confluent-kafka, imported only when a broker is configured; without
the package the broker is ``not_checked`` and the answer says so, and the service counts as ready
(an API process does not need the broker to serve; the Kafka worker does, and checks it itself).
"""

from __future__ import annotations

import concurrent.futures
import logging
import threading
import time
from collections.abc import Callable
from typing import Literal

import msgspec
import sqlalchemy as sa

__all__ = ["Check", "ReadinessProbe", "check_broker", "check_database"]

_log = logging.getLogger(__name__)
Status = Literal["ok", "failed", "not_checked"]


class Check(msgspec.Struct, kw_only=True, frozen=True):
    """One dependency's answer."""

    name: Literal["database", "broker"]
    status: Status
    detail: str
    seconds: float


# Checks run on these threads, so that one stuck on a dead connection never holds a request past
# the timeout; two, so that a stuck database does not queue the broker's check behind it.
_POOL = concurrent.futures.ThreadPoolExecutor(max_workers=2, thread_name_prefix="clearway-health")


def _within(name: Literal["database", "broker"], timeout: float, probe: Callable[[], str]) -> Check:
    started = time.perf_counter()
    future = _POOL.submit(probe)
    try:
        detail = future.result(timeout=timeout)
        status: Status = "ok"
    except concurrent.futures.TimeoutError:
        status, detail = "failed", f"no answer within {timeout:g} s"
    except Exception as exc:  # any failure of the driver is "not ready"; its words go to the log only
        _log.warning("readiness: the %s check failed: %s", name, exc)
        status, detail = "failed", f"the {name} refused the check ({type(exc).__name__})"
    return Check(name=name, status=status, detail=detail, seconds=round(time.perf_counter() - started, 4))


def check_database(engine: sa.Engine, timeout: float) -> Check:
    def ping() -> str:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
        return f"{engine.dialect.name} answered"

    return _within("database", timeout, ping)


def check_broker(bootstrap: str, timeout: float) -> Check:
    if not bootstrap:
        return Check(name="broker", status="not_checked", detail="no broker configured", seconds=0.0)
    try:
        from confluent_kafka.admin import AdminClient  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        detail = "a broker is configured but confluent-kafka is not installed, so it was not checked"
        return Check(name="broker", status="not_checked", detail=detail, seconds=0.0)

    def metadata() -> str:
        client = AdminClient({"bootstrap.servers": bootstrap, "socket.timeout.ms": int(timeout * 1000)})
        found = client.list_topics(timeout=timeout)
        return f"the broker answered ({len(found.brokers)} brokers, {len(found.topics)} topics)"

    return _within("broker", timeout, metadata)


class ReadinessProbe:
    """The checks, remembered for ``ttl`` seconds: a flood of probes (the route is public) costs the
    database and the broker one check a second, not one each."""

    def __init__(
        self,
        engine: sa.Engine,
        bootstrap: str,
        timeout: float,
        *,
        ttl: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.engine = engine
        self.bootstrap = bootstrap
        self.timeout = timeout
        self.ttl = ttl
        self.clock = clock
        self._last: tuple[float, list[Check]] | None = None
        self._lock = threading.Lock()  # probes that arrive during a check wait for its answer
        self.runs = 0

    def checks(self) -> list[Check]:
        with self._lock:
            now = self.clock()
            if self._last is not None and now - self._last[0] < self.ttl:
                return self._last[1]
            self.runs += 1
            found = [check_database(self.engine, self.timeout), check_broker(self.bootstrap, self.timeout)]
            self._last = (self.clock(), found)
            return found
