"""Rendering a plan's shots: cache lookups, generations in worker processes, asset recording.

Generations run in a process pool because previz is CPU-bound Python; provider generators will
mostly wait on HTTP and get a durable engine of their own (issue 4). Shots can be submitted in
waves (those without dialogue first, while speech is still being synthesised). A failed shot
does not stop the others: every shot that can be rendered is, and cached.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import tempfile
import time
from collections.abc import Iterable
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from reelforge._exceptions import GeneratorError, ReelforgeError
from reelforge.generators.base import ShotRequest
from reelforge.jobs.events import EventSink, ShotEvent
from reelforge.plan.cache_key import canonical
from reelforge.plan.plan import PlannedShot
from reelforge.store import Store

RenderFuture = Future[tuple[dict[str, Any], float]]


@dataclass(frozen=True)
class ShotOutcome:
    index: int
    status: str  # done or failed
    cache_hit: bool
    seconds: float
    asset_sha256: str | None = None
    path: Path | None = None
    generation_id: int | None = None
    has_audio: bool = False
    error: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)  # provider task id, charge, adjustments


def _render_one(generator: str, request: ShotRequest, out: str) -> tuple[dict[str, Any], float]:
    """Runs in a worker process: render one clip, return its meta and wall seconds."""
    from reelforge.generators.registry import get_generator

    started = time.perf_counter()
    clip = get_generator(generator).render(request, Path(out))
    meta = {"frames": clip.frames, "has_audio": clip.has_audio, **clip.meta}
    return meta, time.perf_counter() - started


class _InlineExecutor(Executor):
    """One worker: render in this process, which avoids a pool's start-up cost."""

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:
            future.set_exception(exc)
        return future


def _die_with_parent(parent: int) -> None:
    """Runs in each worker: if the render process is killed (kill -9), its workers follow at
    once instead of lingering as orphans holding its pipes (Linux: PR_SET_PDEATHSIG)."""
    import ctypes
    import signal

    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # 1 = PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # the parent died before the call above took effect
        os._exit(1)


def default_workers() -> int:
    return max(1, min(os.cpu_count() or 1, 4))


def make_pool(workers: int | None, generators: Iterable[str]) -> Executor:
    """The executor for generations; on Linux its workers are forked now, at once.

    Fork it before starting any thread that spawns subprocesses: a worker forked while another
    thread is inside `subprocess` inherits that thread's pipes (even subprocess's internal
    exec-status pipe) and the thread then waits forever for their end.
    """
    workers = workers or default_workers()
    if workers <= 1:
        return _InlineExecutor()
    if sys.platform == "linux":
        # fork: workers inherit the already-imported generator (no re-import per worker) and
        # scripts calling the Python API need no `if __name__ == "__main__"` guard. Workers only
        # render into files; they never touch the store, the console or other threads' locks.
        from reelforge.generators.registry import get_generator

        for name in generators:
            get_generator(name)
        pool = ProcessPoolExecutor(
            max_workers=workers,
            mp_context=multiprocessing.get_context("fork"),
            initializer=_die_with_parent,
            initargs=(os.getpid(),),
        )
        # Fork every worker now, before the caller starts other threads (speech synthesis).
        for warm in [pool.submit(int) for _ in range(workers)]:
            warm.result()
        return pool
    return ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"))


class ShotRunner:
    """Submit planned shots (possibly in waves), then collect their outcomes in order."""

    def __init__(
        self,
        store: Store,
        on_event: EventSink,
        *,
        workers: int | None = None,
        generators: Iterable[str] = (),
        pool: Executor | None = None,
        run_id: str | None = None,
        local_worker: bool | None = None,
    ) -> None:
        from reelforge.jobs.remote_shots import RemoteShots

        self.store = store
        # Paid provider shots are durable jobs, not pool tasks: they survive this process.
        self.remote = RemoteShots(store, run_id or "adhoc", on_event, local_worker=local_worker)
        self.on_event = on_event
        self.scratch = Path(tempfile.mkdtemp(prefix="render-", dir=store.cache_dir))
        self.pool = pool or make_pool(workers, generators)
        self.outcomes: dict[int, ShotOutcome] = {}
        self.pending: list[tuple[PlannedShot, RenderFuture, datetime]] = []

    def __enter__(self) -> ShotRunner:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)
        for leftover in self.scratch.glob("*"):
            leftover.unlink(missing_ok=True)
        self.scratch.rmdir()

    def submit(self, shots: Iterable[PlannedShot]) -> None:
        misses = []
        for shot in shots:
            hit = self.store.cached(shot.cache_key)
            if hit is not None:
                # The generation that made it: what the shot cost, not this lookup.
                took, meta = (
                    self.store.generation_info(hit.generation_id) if hit.generation_id else (0, {})
                )
                self.outcomes[shot.index] = ShotOutcome(
                    shot.index,
                    "done",
                    True,
                    took,
                    hit.sha256,
                    hit.path,
                    hit.generation_id,
                    bool(meta.get("has_audio")),  # the mix needs it for cached clips too
                    meta=meta,
                )
                self.on_event(ShotEvent(shot.index, shot.shot.id, "cached"))
            else:
                misses.append(shot)
        local = []
        for shot in misses:
            if _durable(shot.generator):
                self.remote.submit(shot)
            else:
                local.append(shot)
        self.remote.start()
        for shot in sorted(local, key=lambda s: -s.request.frames):  # longest first
            out = str(self.scratch / f"{shot.cache_key}.mp4")
            self.on_event(ShotEvent(shot.index, shot.shot.id, "rendering"))
            future = self.pool.submit(_render_one, shot.generator, shot.request, out)
            self.pending.append((shot, future, _utcnow()))

    def collect(self) -> list[ShotOutcome]:
        """Wait for every submitted shot; outcomes in shot order."""
        for shot, future, started_at in self.pending:
            self.outcomes[shot.index] = self._finish(shot, future, started_at)
        self.pending = []
        if self.remote.jobs:
            for index, row in self.remote.wait().items():
                self.outcomes[index] = self._remote_outcome(index, row)
        return [self.outcomes[i] for i in sorted(self.outcomes)]

    def _remote_outcome(self, index: int, row: Any) -> ShotOutcome:
        seconds = (
            (row.finished_at - row.created_at).total_seconds()
            if row.finished_at is not None
            else 0.0
        )
        if row.status != "done" or row.asset_sha256 is None:
            where = f" (task {row.handle['task_id']})" if row.handle else ""
            error = f"{row.error_type or row.status}{where}: {row.error or row.status}"
            if row.status == "needs_attention":
                error = f"needs attention{where}: {row.error} (then `reel resolve {row.id}`)"
            return ShotOutcome(index, "failed", False, seconds, error=error)
        _, meta = self.store.generation_info(row.generation_id) if row.generation_id else (0, {})
        return ShotOutcome(
            index,
            "done",
            False,
            seconds,
            row.asset_sha256,
            self.store.assets.path_of(row.asset_sha256),
            row.generation_id,
            bool(meta.get("has_audio")),
            meta={**meta, "ledger_charge": row.charge_micros, "charge_source": row.charge_source},
        )

    def _finish(self, shot: PlannedShot, future: RenderFuture, started_at: datetime) -> ShotOutcome:
        try:
            meta, seconds = future.result()
        except ReelforgeError as exc:
            self.on_event(ShotEvent(shot.index, shot.shot.id, "failed", message=str(exc)))
            return ShotOutcome(shot.index, "failed", False, 0.0, error=str(exc))
        except Exception as exc:  # a generator bug: keep its type so it can be reported
            message = str(
                GeneratorError(
                    f"{type(exc).__name__}: {exc}", shot_id=shot.shot.id, generator=shot.generator
                )
            )
            self.on_event(ShotEvent(shot.index, shot.shot.id, "failed", message=message))
            return ShotOutcome(shot.index, "failed", False, 0.0, error=message)
        store = self.store
        sha = store.assets.put(
            self.scratch / f"{shot.cache_key}.mp4", "video", {"frames": meta.get("frames")}
        )
        generation_id = store.record_generation(
            generator=shot.generator,
            version=shot.generator_version,
            cache_key=shot.cache_key,
            request=canonical(asdict(shot.request)),
            started_at=started_at,
            seconds=seconds,
            asset_sha256=sha,
            kind="video",
            meta=meta,
        )
        self.on_event(ShotEvent(shot.index, shot.shot.id, "done", seconds=seconds))
        return ShotOutcome(
            shot.index,
            "done",
            False,
            seconds,
            sha,
            store.assets.path_of(sha),
            generation_id,
            bool(meta.get("has_audio")),
            meta=meta,
        )


def _durable(generator: str) -> bool:
    from reelforge.generators.registry import get_generator

    return bool(getattr(get_generator(generator), "durable", False))


def _utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)
