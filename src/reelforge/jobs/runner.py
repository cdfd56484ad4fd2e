"""Rendering a plan's shots: cache lookups, generations in worker processes, asset recording.

Generations run in a process pool because previz is CPU-bound Python; provider generators will
mostly wait on HTTP and get a durable engine of their own (issue 4). A failed shot does not stop
the others: every shot that can be rendered is, and cached, so a fixed production resumes cheaply.
"""

from __future__ import annotations

import multiprocessing
import os
import tempfile
import time
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from reelforge._exceptions import GeneratorError, ReelforgeError
from reelforge.generators.base import ShotRequest
from reelforge.jobs.events import EventSink, ShotEvent
from reelforge.plan.cache_key import canonical
from reelforge.plan.plan import Plan, PlannedShot
from reelforge.store import Store


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


def _render_one(generator: str, request: ShotRequest, out: str) -> tuple[dict[str, Any], float]:
    """Runs in a worker process: render one clip, return its meta and wall seconds."""
    from reelforge.generators.registry import get_generator

    started = time.perf_counter()
    clip = get_generator(generator).render(request, Path(out))
    meta = {"frames": clip.frames, "has_audio": clip.has_audio, **clip.meta}
    return meta, time.perf_counter() - started


def default_workers() -> int:
    return max(1, min(os.cpu_count() or 1, 4))


def render_shots(
    plan: Plan, store: Store, on_event: EventSink, *, workers: int | None = None
) -> list[ShotOutcome]:
    outcomes: dict[int, ShotOutcome] = {}
    misses: list[PlannedShot] = []
    for shot in plan.shots:
        hit = store.cached(shot.cache_key)
        if hit is not None:
            outcomes[shot.index] = ShotOutcome(
                shot.index, "done", True, 0.0, hit.sha256, hit.path, hit.generation_id
            )
            on_event(ShotEvent(shot.index, shot.shot.id, "cached"))
        else:
            misses.append(shot)
            on_event(ShotEvent(shot.index, shot.shot.id, "queued"))

    scratch = Path(tempfile.mkdtemp(prefix="render-", dir=store.cache_dir))
    n = min(workers or default_workers(), len(misses))
    if n > 1:
        ctx = multiprocessing.get_context("spawn")  # never fork a process holding threads/DB
        with ProcessPoolExecutor(max_workers=n, mp_context=ctx) as pool:
            futures: list[tuple[PlannedShot, Future[tuple[dict[str, Any], float]], datetime]] = []
            # Longest first, so the pool's tail is short.
            for shot in sorted(misses, key=lambda s: -s.request.frames):
                out = str(scratch / f"{shot.cache_key}.mp4")
                futures.append(
                    (shot, pool.submit(_render_one, shot.generator, shot.request, out), _utcnow())
                )
                on_event(ShotEvent(shot.index, shot.shot.id, "rendering"))
            for shot, future, started_at in futures:
                outcomes[shot.index] = _finish(shot, future, started_at, scratch, store, on_event)
    else:
        for shot in misses:
            on_event(ShotEvent(shot.index, shot.shot.id, "rendering"))
            future: Future[tuple[dict[str, Any], float]] = Future()
            started_at = _utcnow()
            try:
                out = str(scratch / f"{shot.cache_key}.mp4")
                future.set_result(_render_one(shot.generator, shot.request, out))
            except Exception as exc:
                future.set_exception(exc)
            outcomes[shot.index] = _finish(shot, future, started_at, scratch, store, on_event)
    try:
        scratch.rmdir()
    except OSError:
        pass
    return [outcomes[i] for i in range(len(plan.shots))]


def _utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _finish(
    shot: PlannedShot,
    future: Future[tuple[dict[str, Any], float]],
    started_at: datetime,
    scratch: Path,
    store: Store,
    on_event: EventSink,
) -> ShotOutcome:
    try:
        meta, seconds = future.result()
    except ReelforgeError as exc:
        on_event(ShotEvent(shot.index, shot.shot.id, "failed", message=str(exc)))
        return ShotOutcome(shot.index, "failed", False, 0.0, error=str(exc))
    except Exception as exc:  # a generator bug: keep the type so it can be reported
        message = str(GeneratorError(f"{type(exc).__name__}: {exc}", shot_id=shot.shot.id,
                                     generator=shot.generator))
        on_event(ShotEvent(shot.index, shot.shot.id, "failed", message=message))
        return ShotOutcome(shot.index, "failed", False, 0.0, error=message)
    clip = scratch / f"{shot.cache_key}.mp4"
    sha = store.assets.put(clip, "video", {"frames": meta.get("frames")})
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
    on_event(ShotEvent(shot.index, shot.shot.id, "done", seconds=seconds))
    return ShotOutcome(
        shot.index,
        "done",
        False,
        seconds,
        sha,
        store.assets.path_of(sha),
        generation_id,
        bool(meta.get("has_audio")),
    )
