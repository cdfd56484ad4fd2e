"""Polling many tasks of one provider together, where its API can list them.

Each job asks for its task's state and sleeps its poll interval after the answer, so the jobs
of one provider fall into step: their questions arrive together and one list request (two for
a thousand tasks on Kling) answers them all. A task the list did not show is polled alone.
"""

from __future__ import annotations

import asyncio
from typing import Any

from reelforge.providers.state import TaskHandle, TaskState

GATHER = 0.05  # seconds to wait for the other jobs' questions before asking the provider


class BatchPoller:
    def __init__(self, adapter: Any) -> None:
        self.adapter = adapter
        self._pending: dict[str, tuple[TaskHandle, asyncio.Future[TaskState]]] = {}
        self._round: asyncio.Task[None] | None = None

    async def poll(self, handle: TaskHandle) -> TaskState:
        if not self.adapter.can_poll_many:
            state: TaskState = await self.adapter.poll(handle)
            return state
        loop = asyncio.get_running_loop()
        entry = self._pending.get(handle.task_id)
        future: asyncio.Future[TaskState] = entry[1] if entry else loop.create_future()
        self._pending[handle.task_id] = (handle, future)
        if self._round is None or self._round.done():
            self._round = asyncio.create_task(self._ask())
        return await future

    async def _ask(self) -> None:
        try:
            await self._answer()
        finally:
            if self._pending:  # questions that came while this round was out: the next round
                self._round = asyncio.create_task(self._ask())

    async def _answer(self) -> None:
        await asyncio.sleep(GATHER)
        batch, self._pending = self._pending, {}
        try:
            states = await self.adapter.poll_many([handle for handle, _ in batch.values()])
        except Exception as exc:  # the list failed: every asker gets the error (and retries)
            for _, future in batch.values():
                if not future.done():
                    future.set_exception(exc)
            return
        for task_id, (handle, future) in batch.items():
            if future.done():
                continue
            if task_id in states:
                future.set_result(states[task_id])
            else:  # not listed (an older task, another page): ask for it alone
                try:
                    future.set_result(await self.adapter.poll(handle))
                except Exception as exc:
                    future.set_exception(exc)
