"""`reel resolve`: a human settles a job the engine could not (``needs_attention``).

A job lands there when a submit's answer was lost and the provider cannot look tasks up, or a
task can no longer be followed. Its hold stays until someone checks the provider's dashboard and
says what happened; each answer moves the job so that `reel resume` can carry on:

- ``task_id``: the task exists (ours): the job follows it (after one poll proves the id), and is
  downloaded and charged as usual — no second submit.
- ``not_created``: the provider has no such task: the hold is released and the job is queued to
  be submitted again.
- ``abandon``: give the task up; ``charged`` says whether the provider billed it (the quote is
  charged, else the hold is released). A later render submits the shot as a new attempt.
"""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import Connection, update

from reelforge._exceptions import ReelforgeError
from reelforge.jobs import ledger
from reelforge.jobs.queue import JOBS, J, JobQueue, utcnow
from reelforge.jobs.wire import to_json, wire_from_json
from reelforge.providers import ProviderError, TaskHandle
from reelforge.store import Store


class ResolveError(ReelforgeError):
    """The job cannot be resolved that way (wrong state, unknown task, bad options)."""


def resolve_job(
    job_id: int,
    *,
    task_id: str | None = None,
    not_created: bool = False,
    abandon: bool = False,
    charged: bool = False,
    store: Store | None = None,
) -> Any:
    """Settle one ``needs_attention`` job as the user says; returns the job afterwards."""
    chosen = [name for name, on in (("--task", task_id), ("--not-created", not_created),
                                    ("--abandon", abandon)) if on]  # fmt: skip
    if len(chosen) != 1:
        raise ResolveError(
            "say exactly one of --task TASK_ID (the task exists), --not-created (it does not) "
            f"or --abandon [--charged] (give it up); got {', '.join(chosen) or 'none'}"
        )
    if charged and not abandon:
        raise ResolveError("--charged goes with --abandon (whether the provider billed it)")
    store = store or Store()
    queue = JobQueue(store)
    try:
        job = queue.get(job_id)
    except Exception as exc:  # NoResultFound: say which id, not a traceback
        raise ResolveError(
            f"no job {job_id}: `reel ledger` lists the jobs needing attention"
        ) from exc
    if job.status != "needs_attention":
        raise ResolveError(
            f"job {job_id} ({job.shot_id}, {job.route_id}) is {job.status}: only jobs that need "
            "attention can be resolved"
        )
    if task_id is not None:
        _attach(queue, job, _checked_handle(job, task_id.strip()))
    elif not_created:
        _requeue(queue, job)
    else:
        charge = job.quote_micros if charged else None
        note = "abandoned by the user: " + ("billed (quote charged)" if charged else "not billed")
        queue.finish(job, None, "failed", expect=("needs_attention",), charge=charge, note=note,
                     error_type="Abandoned", error=note)  # fmt: skip
    return queue.get(job_id)


def _checked_handle(job: Any, task_id: str) -> TaskHandle:
    """The handle for ``task_id``, after one poll shows the provider knows it."""
    from reelforge.catalogue import get_route
    from reelforge.generators.remote import make_adapter

    if not task_id:
        raise ResolveError("--task needs the provider's task id, as its dashboard shows it")
    if not job.wire:
        raise ResolveError(f"job {job.id} was never submitted: resolve it with --not-created")
    wire = wire_from_json(job.wire)
    adapter = make_adapter(get_route(job.route_id))
    handle = TaskHandle(adapter.provider, wire.model, wire.route, task_id, wire.idempotency_key)

    async def poll_once() -> None:
        try:
            await adapter.poll(handle)
        finally:
            await adapter.aclose()

    try:
        asyncio.run(poll_once())
    except ProviderError as exc:
        raise ResolveError(
            f"{job.provider} does not confirm task {task_id} ({type(exc).__name__}: {exc}); "
            "check the id on its dashboard"
        ) from exc
    return handle


def _attach(queue: JobQueue, job: Any, handle: TaskHandle) -> None:
    with queue.engine.begin() as conn:
        _reopen(conn, job, status="submitted", handle=to_json(handle))


def _requeue(queue: JobQueue, job: Any) -> None:
    with queue.engine.begin() as conn:
        _reopen(conn, job, status="queued", handle=None, next_attempt_at=None)
        note = "no task at the provider (user); hold released"
        ledger.settle(conn, job, None, utcnow(), note)


def _reopen(conn: Connection, job: Any, **values: Any) -> None:
    """needs_attention → an active state, unleased, so the next `reel resume` drives it."""
    moved = conn.execute(
        update(JOBS)
        .where(J.id == job.id, J.status == "needs_attention")
        .values(
            error=None,
            error_type=None,
            finished_at=None,
            lease_owner=None,
            lease_expires_at=None,
            updated_at=utcnow(),
            **values,
        )
    )
    if moved.rowcount != 1:
        raise ResolveError(f"job {job.id} changed while resolving it: look at it again")
