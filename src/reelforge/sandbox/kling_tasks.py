"""The Kling sandbox's task book: tasks move submitted → processing → succeed|failed by the clock
(configurable queue and processing times), so polling behaves like the real service without a
scheduler thread. A task is finished lazily, on the first query after it is due."""

from __future__ import annotations

import base64
import random
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol, TypeVar

from ._base import BookConfig, mentions, save_frame
from .kling_omni import ClipSpec, lipsync_spec, omni_spec
from .render import render_clip

LATE_REJECTION = "Failure to pass the risk control system"
LIVE = ("submitted", "processing")
# Kling 3.0 units per second (research §3.9); older models are approximated per second too.
UNITS_PER_SECOND = {
    ("kling-v3", "std", False): Decimal("0.6"),
    ("kling-v3", "std", True): Decimal("0.9"),
    ("kling-v3", "pro", False): Decimal("0.8"),
    ("kling-v3", "pro", True): Decimal("1.2"),
}
FALLBACK_UNITS = {"std": Decimal("0.2"), "pro": Decimal("0.7"), "4k": Decimal("3.0")}


def units_for(model: str, mode: str, sound: bool, seconds: int) -> Decimal:
    rate = UNITS_PER_SECOND.get((model, mode, sound)) or FALLBACK_UNITS.get(mode, Decimal("1"))
    return rate * seconds


class Clocked(Protocol):
    """A Kling task as the clock sees it (v1 and model-path tasks alike)."""

    status: str
    started_at: float  # when it leaves submitted
    due_at: float  # when it leaves processing
    updated_at: float


TaskT = TypeVar("TaskT", bound=Clocked)


def step(task: TaskT, now: float, finish: Callable[[TaskT], None]) -> TaskT:
    """Move a live task on by the clock (the caller holds the lock): processing once started,
    finished once due."""
    if task.status in LIVE:
        if now >= task.due_at:
            finish(task)
        elif now >= task.started_at and task.status != "processing":
            task.status, task.updated_at = "processing", now
    return task


def holding_slots(tasks: Iterable[Clocked], now: float) -> int:
    """Tasks holding a concurrency slot: from submit until their due time."""
    return sum(1 for t in tasks if t.status in LIVE and now < t.due_at)


@dataclass
class KlingTask:
    task_id: str
    route: str
    body: dict[str, Any]
    created_at: float
    due_at: float  # when it leaves processing
    started_at: float  # when it leaves submitted
    status: str = "submitted"
    status_msg: str = ""
    videos: list[dict[str, Any]] = field(default_factory=list)
    units: Decimal | None = None
    updated_at: float = 0.0
    source_seconds: int | None = None  # lip sync: the length of the Kling video it re-times

    @property
    def external_task_id(self) -> str | None:
        ext = self.body.get("external_task_id")
        return str(ext) if ext else None

    def as_data(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "task_id": self.task_id,
            "task_status": self.status,
            "task_status_msg": self.status_msg,
            "task_info": {"external_task_id": self.external_task_id or ""},
            "watermark_info": {"enabled": bool(self.body.get("watermark_info", {}).get("enabled"))},
            "created_at": int(self.created_at * 1000),
            "updated_at": int((self.updated_at or self.created_at) * 1000),
        }
        if self.status == "succeed":
            data["task_result"] = {"videos": self.videos}
        if self.units is not None:
            data["final_unit_deduction"] = str(self.units)  # Kling sends a string
        return data


class TaskBook:
    def __init__(self, config: BookConfig, publish: Callable[[Path], str], workdir: Path) -> None:
        self.config = config
        self.publish = publish  # where finished clips are served
        self.tasks: dict[str, KlingTask] = {}
        self.rng = random.Random(config.seed)
        self.lock = threading.RLock()
        self.workdir = workdir

    def create(self, route: str, body: dict[str, Any]) -> KlingTask:
        now = time.time()
        started = now + self.config.queue_seconds
        task = KlingTask(
            task_id=f"sbx{uuid.uuid4().hex[:16]}",
            route=route,
            body=body,
            created_at=now,
            started_at=started,
            due_at=started + self.config.processing_seconds,
        )
        with self.lock:
            self.tasks[task.task_id] = task
        return task

    def find(self, route: str, ident: str) -> KlingTask | None:
        """The query path takes the task id or the caller's external_task_id."""
        with self.lock:
            for t in self.tasks.values():
                if t.route == route and ident in (t.task_id, t.external_task_id):
                    return t
        return None

    def video_seconds(self, video_id: str) -> int | None:
        """The length of a video this sandbox made, by its video id (None: no such video)."""
        with self.lock:
            for t in self.tasks.values():
                for v in t.videos:
                    if v.get("id") == video_id:
                        return int(float(v.get("duration", 0)))
        return None

    def external_ids(self) -> set[str]:
        with self.lock:
            return {t.external_task_id for t in self.tasks.values() if t.external_task_id}

    def active(self, now: float | None = None) -> int:
        with self.lock:
            return holding_slots(self.tasks.values(), time.time() if now is None else now)

    def refresh(self, task: KlingTask) -> KlingTask:
        now = time.time()
        with self.lock:  # one thread finishes a task; others wait and see the result
            return step(task, now, self._finish)

    def _finish(self, task: KlingTask) -> None:
        spec = clip_spec(task)
        task.updated_at = time.time()
        if mentions(spec.prompt, self.config.late_blocked_words):
            task.status, task.status_msg, task.units = "failed", LATE_REJECTION, Decimal(0)
            return
        if self.config.failure_rate and self.rng.random() < self.config.failure_rate:
            task.status, task.status_msg = "failed", "Internal error, please try again later"
            task.units = Decimal(0)  # failed tasks are not charged
            return
        out = self.workdir / f"{task.task_id}.mp4"
        render_clip(
            out,
            task_id=task.task_id,
            model=spec.model,
            mode=spec.mode,
            prompt=spec.prompt,
            seconds=spec.seconds,
            fps=self.config.render_fps,
            aspect=spec.aspect,
            first_frame=self._frame(task, spec.first_frame, "first"),
            last_frame=self._frame(task, spec.last_frame, "last"),
            audio=spec.sound,
        )
        url = self.publish(out)
        task.videos = [{"id": f"v{task.task_id}", "url": url, "duration": f"{spec.seconds}.0"}]
        task.status = "succeed"
        task.units = spec.units

    def _frame(self, task: KlingTask, value: str | None, key: str) -> Path | None:
        """Decode a base64 frame for previz; URL frames are not fetched (no network)."""
        if not value or str(value).startswith(("http://", "https://")):
            return None
        return save_frame(base64.b64decode(value), self.workdir / f"{task.task_id}-{key}.png")


def clip_spec(task: KlingTask) -> ClipSpec:
    """What a task's output shows and costs, by endpoint."""
    body = task.body
    if task.route == "omni-video":
        return omni_spec(body)
    if task.route == "lip-sync":
        return lipsync_spec(body, task.source_seconds)
    seconds = int(body.get("duration", "5"))
    model, mode = str(body.get("model_name", "kling-v1")), str(body.get("mode", "std"))
    return ClipSpec(
        model=model,
        mode=mode,
        prompt=str(body.get("prompt", "")),
        seconds=seconds,
        aspect=str(body.get("aspect_ratio", "16:9")),
        first_frame=body.get("image"),
        last_frame=body.get("image_tail"),
        units=units_for(model, mode, body.get("sound") == "on", seconds),
        sound=body.get("sound") == "on",
    )
