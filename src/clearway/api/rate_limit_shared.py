"""The shared buckets (store/rate_limit_repo.py) from the event loop: requests batched per statement.

Each request that needs a token joins the batch being gathered; one task sends the batch as one
statement (off the event loop) and, while it runs, the next batch gathers. There is no timer: an
idle server sends a lone request's statement at once, and a busy one sends one statement for all
the requests that arrived meanwhile (as the group commit does for submissions, api/batcher.py).
Within a batch, a caller's tokens go to its requests in the order they arrived.

If the database fails to answer, the requests go on unlimited: it is what serves them too, and
refusing everyone while it blips would only add 429s to its errors.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter

from starlette.concurrency import run_in_threadpool

from clearway.app import metrics
from clearway.store.rate_limit_repo import SharedBuckets

__all__ = ["SharedLimit"]

_log = logging.getLogger(__name__)


class SharedLimit:
    """Take tokens from the shared buckets, one statement per batch of concurrent requests."""

    def __init__(self, buckets: SharedBuckets) -> None:
        self.buckets = buckets
        self._waiting: list[tuple[str, asyncio.Future[float]]] = []
        self._sender: asyncio.Task[None] | None = None
        self.statements = 0  # statements sent, for the benchmark and the tests

    @property
    def rate(self) -> float:
        return self.buckets.rate

    @property
    def burst(self) -> int:
        return self.buckets.burst

    async def take(self, key: str) -> float:
        """0.0 when the request may go on, else the seconds until its caller has a token again."""
        known = self.buckets.refused_here(key)
        if known:
            return known
        answer: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self._waiting.append((key, answer))
        if self._sender is None or self._sender.done():
            self._sender = asyncio.create_task(self._send())
        return await answer

    async def _send(self) -> None:
        while self._waiting:
            batch, self._waiting = self._waiting, []
            try:
                self.statements += 1
                found = await run_in_threadpool(self.buckets.take_many, Counter(key for key, _ in batch))
            except Exception:  # whatever failed, no request may be left waiting for its answer
                metrics.ERRORS.labels(where="rate_limit").inc()
                _log.warning("rate limit not checked: the database did not answer", exc_info=True)
                found = {}
            given: Counter[str] = Counter()
            for key, answer in batch:
                taken, wait = found.get(key, (len(batch), 0.0))
                given[key] += 1
                if not answer.done():  # a request cancelled meanwhile (its client went away)
                    answer.set_result(0.0 if given[key] <= taken else wait)
