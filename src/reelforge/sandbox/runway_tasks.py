"""The Runway sandbox's task book: PENDING → (THROTTLED while the concurrency cap is full) →
RUNNING(progress) → SUCCEEDED | FAILED, by the clock; CANCELLED by DELETE while live. Tasks are
advanced lazily on every read, so no scheduler thread is needed. Credits: ``estimatedCost``
while live, ``cost`` once terminal (failed and cancelled tasks are refunded: 0)."""

from __future__ import annotations

import base64
import random
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .._exceptions import MediaError
from ..generators.base import ShotRequest
from ..generators.previz.generator import PrevizGenerator
from ..media.probe import probe
from ..providers.runway.models import MODELS, credits, ratio_pair
from ._base import BookConfig, iso, mentions, save_frame
from .render import SIZES, render_clip

LIVE = ("PENDING", "THROTTLED", "RUNNING")
INPUT_REJECTION = ("SAFETY.INPUT.TEXT", "The prompt was flagged by content moderation.")
LATE_REJECTION = ("SAFETY.OUTPUT.VIDEO", "The output was flagged by content moderation.")
INTERNAL = ("INTERNAL.BAD_OUTPUT.CODE01", "The output did not pass quality checks.")


@dataclass(frozen=True)
class Staged:
    """An input video decoded from its data URI, with what the sandbox needs to know of it."""

    path: Path
    seconds: float
    width: int
    height: int


@dataclass
class RunwayTask:
    id: str
    route: str
    body: dict[str, Any]
    created_at: float
    ready_at: float  # when it may leave PENDING
    status: str = "PENDING"
    started_at: float | None = None
    due_at: float | None = None
    video: Path | None = None
    failure: tuple[str, str] | None = None
    reads: int = 0
    source: Staged | None = None  # video_to_video: the decoded input video

    @property
    def model(self) -> str:
        return str(self.body["model"])

    @property
    def seconds(self) -> int:
        if self.source is not None and not MODELS[self.model].duration_sent:
            return max(1, round(self.source.seconds))  # aleph2: as long as its input
        # A URL input is not fetched (no network): its length is taken to be 5 s.
        return int(self.body.get("duration") or 5)

    @property
    def credits(self) -> int:
        spec = MODELS[self.model]
        return credits(spec, self.seconds, bool(self.body.get("audio")))

    def prompt(self) -> str:
        return str(self.body.get("promptText") or "")


@dataclass
class TaskBookConfig(BookConfig):
    max_concurrent: int | None = None  # beyond it tasks wait THROTTLED


@dataclass
class TaskBook:
    config: TaskBookConfig
    publish: Callable[[Path], str]
    workdir: Path
    tasks: dict[str, RunwayTask] = field(default_factory=dict)
    lock: threading.RLock = field(default_factory=threading.RLock)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.config.seed)

    def stage_video(self, data: bytes) -> Staged:
        """Write a data-URI video to the workdir and read its length; ValueError when it is
        not a readable video."""
        path = self.workdir / f"input-{uuid.uuid4().hex}.video"
        path.write_bytes(data)
        try:
            info = probe(path)
        except MediaError as exc:
            raise ValueError("The video could not be decoded") from exc
        if info.video_codec is None or info.duration <= 0:
            raise ValueError("The video has no frames")
        return Staged(path, info.duration, info.width, info.height)

    def create(
        self,
        route: str,
        body: dict[str, Any],
        *,
        rejected: bool = False,
        source: Staged | None = None,
    ) -> RunwayTask:
        now = time.time()
        task = RunwayTask(str(uuid.uuid4()), route, body, now, now + self.config.queue_seconds)
        task.source = source
        if rejected:  # input moderation: the task exists and fails at once, refunded
            task.status, task.failure = "FAILED", INPUT_REJECTION
        with self.lock:
            self.tasks[task.id] = task
        return task

    def get(self, task_id: str) -> RunwayTask | None:
        self.advance()
        with self.lock:
            return self.tasks.get(task_id)

    def remove(self, task_id: str) -> None:
        with self.lock:
            self.tasks.pop(task_id, None)

    def advance(self) -> None:
        """Finish due tasks first (freeing slots), then start ready ones in submit order."""
        now = time.time()
        with self.lock:
            ordered = sorted(self.tasks.values(), key=lambda t: t.created_at)
            for task in ordered:
                if task.status == "RUNNING" and task.due_at is not None and now >= task.due_at:
                    self._finish(task)
            running = sum(1 for t in ordered if t.status == "RUNNING")
            cap = self.config.max_concurrent
            for task in ordered:
                if task.status not in ("PENDING", "THROTTLED") or now < task.ready_at:
                    continue
                if cap is not None and running >= cap:
                    task.status = "THROTTLED"
                    continue
                task.status, task.started_at = "RUNNING", now
                task.due_at = now + self.config.processing_seconds
                running += 1
                if now >= task.due_at:
                    self._finish(task)
                    running -= 1

    def _finish(self, task: RunwayTask) -> None:
        prompt = task.prompt().lower()
        if mentions(prompt, self.config.late_blocked_words):
            task.status, task.failure = "FAILED", LATE_REJECTION
            return
        if self.config.failure_rate and self.rng.random() < self.config.failure_rate:
            task.status, task.failure = "FAILED", INTERNAL
            return
        out = self.workdir / f"{task.id}.mp4"
        if task.source is not None and not MODELS[task.model].duration_sent:
            task.video, task.status = self._edit(task, out), "SUCCEEDED"
            return
        w, h = ratio_pair(str(task.body.get("ratio") or "1280:720"))
        aspect = "16:9" if w > h else "9:16" if h > w else "1:1"
        render_clip(
            out,
            task_id=task.id,
            model=task.model,
            mode=str(task.body.get("ratio") or task.body.get("resolution") or task.route),
            prompt=prompt,
            seconds=task.seconds,
            fps=self.config.render_fps,
            aspect=aspect,
            first_frame=self._frame(task, "first"),
            last_frame=self._frame(task, "last"),
        )
        task.video, task.status = out, "SUCCEEDED"

    def _edit(self, task: RunwayTask, out: Path) -> Path:
        """An edit (aleph2): the input video itself, slated, frame for frame as long as it, in
        the outpainted aspect when one was asked for."""
        assert task.source is not None
        fps = self.config.render_fps
        target = task.body.get("targetAspectRatio")
        w, h = ratio_pair(str(target)) if target else (task.source.width, task.source.height)
        width, height = SIZES["16:9" if w > h else "9:16" if h > w else "1:1"]
        request = ShotRequest(
            shot_id=task.id,
            prompt=f"[{task.model} edit] {task.prompt()}"[:300],
            frames=max(1, round(task.source.seconds * fps)),
            fps=fps,
            width=width,
            height=height,
            model=task.model,
            source_video=task.source.path,
        )
        PrevizGenerator(preset="ultrafast").render(request, out)  # throwaway: speed over size
        return out

    def _frame(self, task: RunwayTask, position: str) -> Path | None:
        """Decode a data-URI frame for previz; http(s) frames are not fetched (no network)."""
        images = task.body.get("promptImage") or []
        if isinstance(images, str):
            images = [{"uri": images, "position": "first"}]
        for image in images:
            uri = str(image.get("uri", ""))
            if image.get("position", "first") == position and uri.startswith("data:"):
                raw = base64.b64decode(uri.split(",", 1)[1])
                return save_frame(raw, self.workdir / f"{task.id}-{position}.png")
        return None

    def as_data(self, task: RunwayTask) -> dict[str, Any]:
        """The task as ``GET /v1/tasks/{id}`` shows it; each read of a finished task signs
        fresh output URLs, as the real API does."""
        data: dict[str, Any] = {
            "id": task.id,
            "status": task.status,
            "createdAt": iso(task.created_at),
        }
        if task.status in LIVE:
            data["estimatedCost"] = {"credits": float(task.credits)}
        if task.status == "RUNNING" and task.started_at is not None and task.due_at is not None:
            span = max(task.due_at - task.started_at, 1e-6)
            data["progress"] = round(min(1.0, max(0.0, (time.time() - task.started_at) / span)), 3)
        if task.status == "SUCCEEDED" and task.video is not None:
            data["output"] = [self.publish(task.video)]
            data["cost"] = {"credits": task.credits}
        elif task.status in ("FAILED", "CANCELLED"):
            data["cost"] = {"credits": 0}
        if task.status == "FAILED" and task.failure is not None:
            data["failureCode"], data["failure"] = task.failure
        return data
