"""Remote shots of one render: queued as durable jobs, driven by an engine, collected as outcomes.

The render process runs its own engine in a background thread unless other workers are alive
on a shared PostgreSQL database (`reel worker`), in which case it only follows the jobs'
progress from the table. Either way a killed render leaves its jobs in the table, and
`reel resume` (or any worker) carries them on.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from typing import Any

from reelforge.jobs.events import EventSink, JobEvent, ShotEvent
from reelforge.jobs.queue import ACTIVE, JobQueue
from reelforge.jobs.specs import job_spec
from reelforge.plan.plan import PlannedShot
from reelforge.store import Store

log = logging.getLogger(__name__)

# Job states as the per-shot progress display names them.
SHOT_STATE = {
    "queued": "queued",
    "submitting": "submitting",
    "submitted": "submitted",
    "running": "running",
    "downloading": "downloading",
    "done": "done",
    "failed": "failed",
    "canceled": "failed",
    "needs_attention": "failed",
}


class RemoteShots:
    def __init__(
        self, store: Store, run_id: str, on_event: EventSink, *, local_worker: bool | None = None
    ) -> None:
        self.store = store
        self.run_id = run_id
        self.on_event = on_event
        self.queue = JobQueue(store)
        self.jobs: dict[int, PlannedShot] = {}  # job id → shot
        self.local_worker = local_worker
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None

    def submit(self, shot: PlannedShot) -> None:
        """Queue the shot's job (or attach to the one already queued for the same request)."""
        spec = job_spec(
            run_id=self.run_id,
            position=shot.index,
            shot_id=shot.shot.id,
            route_id=shot.generator,
            request=shot.request,
            request_key=shot.cache_key,
            version=shot.generator_version,
        )
        row = self.queue.enqueue(spec)
        self.jobs[row.id] = shot
        self.on_event(ShotEvent(shot.index, shot.shot.id, SHOT_STATE.get(row.status, row.status)))

    def start(self) -> None:
        """Start driving the queued jobs here, unless remote workers will (scale-out)."""
        if not self.jobs or (self._thread is not None and self._thread.is_alive()):
            return
        if self.local_worker is None:
            self.local_worker = not self._remote_workers_alive()
        if not self.local_worker:
            return
        self._thread = threading.Thread(target=self._drive, name="reelforge-jobs", daemon=True)
        self._thread.start()

    def _remote_workers_alive(self) -> bool:
        from reelforge.jobs.engine import LEASE_SECONDS
        from reelforge.jobs.workers import live_workers, reap

        if self.store.engine.dialect.name == "sqlite":
            return False  # one machine: this process drives its own jobs
        reap(self.store, lease=LEASE_SECONDS)
        return bool(live_workers(self.store, lease=LEASE_SECONDS))

    def _drive(self) -> None:
        from reelforge.jobs.engine import Engine

        try:
            engine = Engine(self.store, on_event=self._job_event)
            # By job, not by run: a job attached from an earlier (killed) run belongs to that run.
            asyncio.run(engine.run(jobs=list(self.jobs), until_idle=True))
        except BaseException as exc:  # surfaced by wait()
            log.exception("the job engine of run %s stopped", self.run_id)
            self._error = exc

    def _job_event(self, event: JobEvent) -> None:
        shot = self.jobs.get(event.job_id)
        if shot is None:
            return
        message = event.message
        if event.progress is not None:
            message = f"{event.progress:.0%}"
        self.on_event(
            ShotEvent(
                shot.index, shot.shot.id, SHOT_STATE.get(event.state, event.state), message=message
            )
        )

    def wait(self) -> dict[int, Any]:
        """Block until every job ended; job rows by shot index."""
        if self._thread is not None:
            self._thread.join()
            if self._error is not None:
                raise self._error
        seen: dict[int, str] = {}
        while True:
            rows = self.queue.jobs(ids=list(self.jobs))
            pending = [r for r in rows if r.status in ACTIVE]
            for row in rows:  # following remote workers: report state changes from the table
                if self._thread is None and seen.get(row.id) != row.status:
                    seen[row.id] = row.status
                    self._job_event(
                        JobEvent(
                            row.id,
                            row.run_id,
                            row.position,
                            row.shot_id,
                            row.status,
                            row.progress,
                            row.error or "",
                        )
                    )
            if not pending:
                return {self.jobs[r.id].index: r for r in rows}
            if self._thread is not None and not self._thread.is_alive():
                if self._error is not None:
                    raise self._error
                self._thread = None
                self.start()  # jobs another process left behind: drive them here
            time.sleep(0.5)
