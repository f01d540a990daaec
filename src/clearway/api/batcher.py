"""Group commit for single submissions over HTTP.

Each POST of one record waits on a future; one consumer task takes everything queued at that
moment and submits it through the service in one transaction. Nothing waits on a timer: an idle
server handles a lone request at once, a busy one amortises the commit and the batched lookups
over all requests that arrived while the previous transaction ran. A batch that fails as a whole
is retried record by record, so one bad record cannot fail its neighbours.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from starlette.concurrency import run_in_threadpool

from clearway.app.platform import Clearway
from clearway.app.submissions import Submission
from clearway.clearance.model import SubmissionResult

MAX_GROUP = 512


class GroupCommitter:
    def __init__(self, service: Clearway, max_group: int = MAX_GROUP) -> None:
        self.service = service
        self.max_group = max_group
        self._queue: asyncio.Queue[tuple[Submission, asyncio.Future[SubmissionResult]]] | None = None
        self._task: asyncio.Task[None] | None = None

    async def submit(self, kind: str, operator_id: str, record: Any) -> SubmissionResult:
        if self._queue is None or self._task is None or self._task.done():
            self._queue = asyncio.Queue()
            self._task = asyncio.create_task(self._run(self._queue))
        future: asyncio.Future[SubmissionResult] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait(((kind, operator_id, record), future))
        return await future

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self, queue: asyncio.Queue[tuple[Submission, asyncio.Future[SubmissionResult]]]) -> None:
        while True:
            batch = [await queue.get()]
            while len(batch) < self.max_group and not queue.empty():
                batch.append(queue.get_nowait())
            try:
                results = await run_in_threadpool(self.service.submit_mixed, [item for item, _ in batch])
            except Exception:
                await self._one_by_one(batch)
                continue
            for (_, future), result in zip(batch, results, strict=True):
                if not future.done():
                    future.set_result(result)

    async def _one_by_one(self, batch: list[tuple[Submission, asyncio.Future[SubmissionResult]]]) -> None:
        for item, future in batch:
            try:
                [result] = await run_in_threadpool(self.service.submit_mixed, [item])
            except Exception as exc:
                if not future.done():
                    future.set_exception(exc)
            else:
                if not future.done():
                    future.set_result(result)
