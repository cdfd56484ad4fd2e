"""`reel cancel RUN`: flag the run, then drive its unleased jobs to an end here.

Queued jobs end at once (nothing spent). Submitted tasks are canceled at the provider where it
has a cancel call; where it has none the task runs and bills to the end, and the ledger says
so. Jobs a live worker holds are canceled by that worker, which sees the flag within a second.
"""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import update

from reelforge.store import Store
from reelforge.store.tables import Run


def cancel_run(run_id: str, store: Store | None = None) -> list[Any]:
    from reelforge.jobs.engine import Engine
    from reelforge.jobs.queue import JobQueue

    store = store or Store()
    record, _ = store.run(run_id)  # accepts a unique prefix; raises RunNotFound
    with store.engine.begin() as conn:
        conn.execute(
            update(Run).where(Run.__table__.c.id == record.id).values(cancel_requested=True)
        )
    asyncio.run(Engine(store).run(runs=[record.id], until_idle=True))
    if record.status == "running":
        from reelforge.jobs.resume import _alive

        if not _alive(record):
            store.finish_run(record.id, status="canceled", error="canceled by `reel cancel`")
    return JobQueue(store).jobs(run_id=record.id)
