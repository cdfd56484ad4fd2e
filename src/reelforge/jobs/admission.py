"""Group admission: the submits a worker has waiting for one provider are let through together.

Each claimed job asks :class:`Admitter` for its provider slot; requests that arrive while a
batch is being decided wait for the next one, so a burst of submits costs one transaction per
batch (lock, limit counts, budget sums) instead of one each. Batches are capped so that a crash
between the admission and the POSTs leaves only a few jobs to reconcile.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from reelforge.jobs.queue import Admission, AdmitRequest, JobQueue

MAX_BATCH = 32


class Admitter:
    """One provider's admission queue in one worker process."""

    def __init__(self, queue: JobQueue, worker: str, monthly_cap: Callable[[], int | None]) -> None:
        self.queue, self.worker, self.monthly_cap = queue, worker, monthly_cap
        self._pending: list[tuple[AdmitRequest, asyncio.Future[Admission]]] = []
        self._draining: asyncio.Task[None] | None = None

    async def admit(self, request: AdmitRequest) -> Admission:
        future: asyncio.Future[Admission] = asyncio.get_running_loop().create_future()
        self._pending.append((request, future))
        if self._draining is None or self._draining.done():
            self._draining = asyncio.create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        await asyncio.sleep(0)  # let the jobs started in this tick join the first batch
        while self._pending:
            # Oldest jobs first, so a job held back by a limit is not overtaken for long.
            self._pending.sort(key=lambda item: item[0].job.id)
            batch, self._pending = self._pending[:MAX_BATCH], self._pending[MAX_BATCH:]
            live = [(r, f) for r, f in batch if not f.cancelled()]
            if not live:
                continue
            try:
                results = self.queue.admit_many(
                    [r for r, _ in live], self.worker, monthly_cap=self.monthly_cap()
                )
            except Exception as exc:  # each waiting job sees the failure as its own
                for _, future in live:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for (_, future), result in zip(live, results, strict=True):
                if not future.done():
                    future.set_result(result)
            await asyncio.sleep(0)  # let the admitted jobs send their POSTs first
