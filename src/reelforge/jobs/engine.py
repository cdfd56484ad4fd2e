"""The durable job engine: one asyncio loop per worker process driving leased provider jobs.

Why our own engine rather than DBOS: see docs/architecture.md ("jobs"). In short, the state a
provider task needs (intent before the POST, task handle, outputs, money) is a few columns;
polling writes nothing, so 1,000 tasks waiting cost only their HTTP polls; and the limits and
leases are plain SQL that works the same on SQLite and PostgreSQL.

The loop leases runnable jobs (free, or abandoned by a dead worker), drives each in its own
task (:mod:`steps`), renews its leases in one statement per heartbeat, reaps dead workers and
notices canceled runs. Adapters are shared per provider (one HTTP connection pool each).
"""

from __future__ import annotations

import asyncio
import logging
import math
import os
import time
from collections.abc import Iterable
from contextlib import suppress
from datetime import UTC
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from sqlalchemy import select

from reelforge.config import Config, load_config
from reelforge.jobs import workers
from reelforge.jobs.admission import Admitter
from reelforge.jobs.events import JobEvent, JobSink
from reelforge.jobs.queue import ACTIVE, Admission, AdmitRequest, JobQueue, SlotLimits
from reelforge.jobs.steps import JobDriver, LeaseLost
from reelforge.store import Store
from reelforge.store.tables import Run

log = logging.getLogger(__name__)
LEASE_SECONDS = 30.0
CLAIM_EVERY = 0.5
BATCH = 16  # new jobs claimed per round while none is blocked on a limit
SPARE = 4  # new jobs held beyond those blocked on a limit: the rest stay for other workers
IN_HAND = ("submitting", "submitted", "downloading")
# Polls of tasks submitted within this many seconds share ticks (one list request answers them),
# while each task is still polled on its own cadence from its submit, as a provider expects.
PHASE_GRID = 0.5


def _ignore(_event: JobEvent) -> None:
    return None


class Engine:
    def __init__(
        self,
        store: Store,
        *,
        config: Config | None = None,
        worker_id: str | None = None,
        on_event: JobSink = _ignore,
        lease: float | None = None,
        capacity: int = 5000,
        poll_seconds: float | None = None,
    ) -> None:
        self.store = store
        self.queue = JobQueue(store)
        self.config = config or load_config()
        self.worker_id = worker_id or workers.new_worker_id()
        self.on_event = on_event
        # How long a silent worker keeps its jobs; REELFORGE_LEASE_SECONDS shortens it in tests.
        self.lease = lease or float(os.environ.get("REELFORGE_LEASE_SECONDS") or LEASE_SECONDS)
        self.capacity = capacity
        env_poll = os.environ.get("REELFORGE_POLL_SECONDS")
        self._poll = (
            poll_seconds if poll_seconds is not None else (float(env_poll) if env_poll else None)
        )
        self.downloads = store.cache_dir / "downloads"
        self.downloads.mkdir(parents=True, exist_ok=True)
        self.canceled_runs: set[str] = set()
        self._adapters: dict[tuple[str, str], Any] = {}
        self._routes: dict[str, Any] = {}
        self._pollers: dict[int, Any] = {}
        self._admitters: dict[str, Admitter] = {}
        self._freed: dict[str, asyncio.Event] = {}
        self._run_caps: dict[str, int | None] = {}
        self._tasks: dict[int, asyncio.Task[None]] = {}
        self._job_runs: dict[int, str] = {}
        self.waiting = 0  # claimed jobs not yet admitted to their provider
        self.blocked = 0  # of those, the ones waiting because a limit is reached
        cap = self.config.monthly_budget_usd
        self.monthly_cap = None if cap is None else int(cap * 1_000_000)

    # -- shared per-provider state ---------------------------------------------------------------

    def route(self, route_id: str) -> Any:
        if route_id not in self._routes:
            from reelforge.catalogue import get_route

            self._routes[route_id] = get_route(route_id)
        return self._routes[route_id]

    def adapter(self, route: Any) -> Any:
        key = (route.provider, route.channel)
        if key not in self._adapters:
            from reelforge.generators.remote import make_adapter

            self._adapters[key] = make_adapter(route)
        return self._adapters[key]

    async def poll(self, adapter: Any, handle: Any) -> Any:
        """A task's state, through its provider's batch poller (one list request for many)."""
        key = id(adapter)
        if key not in self._pollers:
            from reelforge.jobs.poller import BatchPoller

            self._pollers[key] = BatchPoller(adapter)
        return await self._pollers[key].poll(handle)

    def phase(self) -> float:
        """Where a newly followed task's polls start: now, rounded up to a short grid, so the
        tasks submitted together (within PHASE_GRID seconds) are polled together."""
        now = asyncio.get_running_loop().time()
        return math.ceil(now / PHASE_GRID) * PHASE_GRID

    def next_tick(self, interval: float, phase: float = 0.0) -> float:
        """The next ``phase + k * interval`` on this engine's clock (event-loop time)."""
        now = asyncio.get_running_loop().time()
        return phase + (math.floor((now - phase) / interval) + 1) * interval

    def limits_for(self, route: Any) -> SlotLimits:
        """Config overrides (by provider account, by route) over the catalogue's defaults."""
        account = self.config.limits.get(route.provider)
        per_route = self.config.limits.get(route.id)
        return SlotLimits(
            account_in_flight=account.max_in_flight if account else None,
            account_per_minute=account.submits_per_minute if account else None,
            route_in_flight=(per_route.max_in_flight if per_route else None) or route.max_in_flight,
            route_per_minute=(per_route.submits_per_minute if per_route else None)
            or route.submits_per_minute,
        )

    def run_cap(self, run_id: str) -> int | None:
        """The production's `delivery.max_budget_usd`, as recorded on its run."""
        if run_id not in self._run_caps:
            with self.store.engine.connect() as conn:
                options = conn.execute(
                    select(Run.__table__.c.options).where(Run.__table__.c.id == run_id)
                ).scalar()
            cap = (options or {}).get("max_budget_micros")
            self._run_caps[run_id] = None if cap is None else int(cap)
        return self._run_caps[run_id]

    async def admit(self, request: AdmitRequest) -> Admission:
        """Let a job through to its provider (with this worker's other waiting submits)."""
        provider = request.job.provider
        if provider not in self._admitters:
            self._admitters[provider] = Admitter(
                self.queue, self.worker_id, lambda: self.monthly_cap
            )
        return await self._admitters[provider].admit(request)

    async def wait_for_slot(self, provider: str) -> None:
        """Until a local job frees a slot, or a second (another worker may have freed one)."""
        event = self._freed.setdefault(provider, asyncio.Event())
        event.clear()
        self.blocked += 1
        try:
            with suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), timeout=1.0)
        finally:
            self.blocked -= 1

    def slot_freed(self, provider: str) -> None:
        if provider in self._freed:
            self._freed[provider].set()

    def poll_interval(self, adapter: Any) -> float:
        return self._poll if self._poll is not None else float(adapter.poll_interval)

    def emit(self, event: JobEvent) -> None:
        self.on_event(event)

    # -- clips -----------------------------------------------------------------------------------

    def check_clip(self, path: Path) -> None:
        """A truncated or non-video download raises ValueError (retried, then failed)."""
        from reelforge.media.probe import probe

        try:
            info = probe(path)
        except Exception as exc:
            raise ValueError(f"the downloaded clip is not a readable video: {exc}") from exc
        if not info.video_codec or not info.duration:
            raise ValueError("the downloaded clip has no video stream")

    def already_stored(self, job: SimpleNamespace) -> tuple[str, int] | None:
        """A clip this job stored before a crash, so it is never fetched again."""
        hit = self.store.cached(job.request_key)
        if hit is None or hit.generation_id is None:
            return None
        _, meta = self.store.generation_info(hit.generation_id)
        return (hit.sha256, hit.generation_id) if meta.get("job") == job.key else None

    def store_clip(self, job: SimpleNamespace, path: Path, adapter: Any) -> tuple[str, int]:
        sha = self.store.assets.put(path, "video", {"job": job.key})
        started = job.submit_started_at or job.created_at
        handle = job.handle or {}
        meta = {
            "job": job.key,
            "provider": job.provider,
            "task_id": handle.get("task_id"),
            "charge": (job.result or {}).get("charge"),
            "billing_unit": adapter.billing_unit,
            "adjustments": job.request.get("adjustments", []),
            "has_audio": bool(job.request.get("audio")),
            "worker": self.worker_id,
        }
        generation_id = self.store.record_generation(
            generator=job.route_id,
            version=job.request.get("version", ""),
            cache_key=job.request_key,
            request=job.request["shot"],
            started_at=started,
            seconds=(time.time() - started.replace(tzinfo=UTC).timestamp()),
            asset_sha256=sha,
            kind="video",
            meta=meta,
        )
        return sha, generation_id

    # -- the loop --------------------------------------------------------------------------------

    async def run(
        self, *, runs: Iterable[str] | None = None, jobs: Iterable[int] | None = None,
        until_idle: bool = True, stop: asyncio.Event | None = None,
    ) -> None:  # fmt: skip
        """Drive jobs (of ``runs``, or these ``jobs``, or all) until none is left
        (``until_idle``) or ``stop`` is set."""
        scope = None if runs is None else list(runs)
        only = None if jobs is None else list(jobs)
        workers.register(self.store, self.worker_id)
        workers.reap(self.store, lease=self.lease)
        next_beat = time.monotonic() + self.lease / 3
        try:
            while not (stop is not None and stop.is_set()):
                now = time.monotonic()
                if now >= next_beat:
                    self.queue.renew(self.worker_id, self.lease)
                    workers.reap(self.store, lease=self.lease)
                    next_beat = now + self.lease / 3
                self._refresh_cancels()
                if self._claim(scope, only):
                    await asyncio.sleep(0)  # let the new jobs start, then claim more at once
                    continue
                idle = not self._tasks and self.queue.active_count(scope, only) == 0
                if until_idle and idle:
                    return
                if self._tasks:
                    await asyncio.wait(list(self._tasks.values()), timeout=CLAIM_EVERY)
                else:
                    await asyncio.sleep(CLAIM_EVERY)
        finally:
            for task in self._tasks.values():
                task.cancel()
            await asyncio.gather(*self._tasks.values(), return_exceptions=True)
            workers.stop(self.store, self.worker_id)
            for adapter in self._adapters.values():
                await adapter.aclose()

    def _claim(self, runs: list[str] | None, ids: list[int] | None) -> bool:
        """Take over in-flight jobs freely (someone must follow them); new ones in batches while
        they start at once, but only a few spare once this worker is held by a limit, so other
        workers share the rest. True if a full batch came: claim again without waiting."""
        room = self.capacity - len(self._tasks)
        if room <= 0:
            return False
        rows = self.queue.claim(self.worker_id, limit=room, lease=self.lease, runs=runs, ids=ids,
                                statuses=IN_HAND)  # fmt: skip
        fresh = BATCH if self.blocked == 0 else SPARE - (self.waiting - self.blocked)
        fresh = min(fresh, room - len(rows))
        new = []
        if fresh > 0:
            new = self.queue.claim(self.worker_id, limit=fresh, lease=self.lease, runs=runs,
                                   ids=ids, statuses=("queued",))  # fmt: skip
        for row in rows + new:
            job = SimpleNamespace(**row._mapping)
            self._tasks[job.id] = asyncio.create_task(self._drive(job))
        return len(new) == BATCH

    def _refresh_cancels(self) -> None:
        runs = set(self._job_runs.values())
        self.canceled_runs = self.queue.canceled_runs(runs) if runs else set()

    async def _drive(self, job: SimpleNamespace) -> None:
        self._job_runs[job.id] = job.run_id
        try:
            await JobDriver(self, job).drive()
        except LeaseLost:
            pass
        except Exception as exc:  # a bug: try again later (never in a tight loop), say why
            log.exception("job %s (%s) stopped on an internal error", job.id, job.key)
            self.queue.defer(job, self.worker_id, error=f"internal error: {exc!r}")
        finally:
            self._tasks.pop(job.id, None)
            self._job_runs.pop(job.id, None)
            if job.status in ACTIVE:  # an ended job's lease went with its last write
                self.queue.drop_lease(job.id, self.worker_id)
