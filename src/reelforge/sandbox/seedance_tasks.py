"""The Seedance sandbox's task book: tasks move queued → running → succeeded|failed by the clock
(configurable queue and processing times), are cancelled while queued, and expire when still
unfinished after ``execution_expires_after``. A task is finished lazily, on the first read after
it is due, so no scheduler thread is needed."""

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

from ..providers.seedance.models import FPS, RATIOS, dimensions, nearest_ratio, token_count
from ._base import BookConfig, mentions, save_frame
from .render import render_clip

LATE_REJECTION = (
    "OutputVideoSensitiveContentDetected",
    "The request failed because the output video may contain sensitive information.",
)
INTERNAL = ("InternalServiceError", "The service encountered an unexpected internal error.")
LIVE = ("queued", "running")


@dataclass
class SeedanceTask:
    id: str
    body: dict[str, Any]
    created_at: float
    started_at: float  # when it leaves queued
    due_at: float  # when it leaves running
    expires_at: float  # unfinished by then: expired
    status: str = "queued"
    updated_at: float = 0.0
    ratio: str = "16:9"  # resolved ("adaptive" becomes the first frame's nearest ratio)
    content: dict[str, str] = field(default_factory=dict)
    tokens: int | None = None
    error: dict[str, str] | None = None

    @property
    def model(self) -> str:
        return str(self.body["model"])

    @property
    def duration(self) -> int:
        return int(self.body.get("duration", 5))

    @property
    def resolution(self) -> str:
        return str(self.body.get("resolution", "720p"))

    def as_data(self) -> dict[str, Any]:
        b = self.body
        data: dict[str, Any] = {
            "id": self.id,
            "model": self.model,
            "status": self.status,
            "created_at": int(self.created_at),
            "updated_at": int(self.updated_at or self.created_at),
            "seed": b.get("seed", 11),
            "resolution": self.resolution,
            "ratio": self.ratio,
            "duration": self.duration,
            "framespersecond": FPS,
            "service_tier": b.get("service_tier", "default"),
            "execution_expires_after": b.get("execution_expires_after", 172800),
        }
        if "generate_audio" in b:
            data["generate_audio"] = b["generate_audio"]
        if self.status == "succeeded":
            data["content"] = dict(self.content)
        if self.tokens is not None:
            data["usage"] = {"completion_tokens": self.tokens, "total_tokens": self.tokens}
        if self.error is not None:
            data["error"] = dict(self.error)
        return data


@dataclass
class TaskBookConfig(BookConfig):
    max_execution_seconds: float | None = None  # overrides execution_expires_after (tests)


class TaskBook:
    def __init__(
        self, config: TaskBookConfig, publish: Callable[[Path], str], workdir: Path
    ) -> None:
        self.config = config
        self.publish = publish  # where finished clips (and last frames) are served
        self.tasks: dict[str, SeedanceTask] = {}
        self.rng = random.Random(config.seed)
        self.lock = threading.RLock()
        self.workdir = workdir

    def create(self, body: dict[str, Any]) -> SeedanceTask:
        now = time.time()
        started = now + self.config.queue_seconds
        life = self.config.max_execution_seconds or float(
            body.get("execution_expires_after", 172800)
        )
        stamp = time.strftime("%Y%m%d%H%M%S", time.gmtime(now))
        task = SeedanceTask(
            id=f"cgt-{stamp}-{uuid.uuid4().hex[:5]}",
            body=body,
            created_at=now,
            started_at=started,
            due_at=started + self.config.processing_seconds,
            expires_at=now + life,
        )
        task.ratio = self._ratio(task)
        with self.lock:
            self.tasks[task.id] = task
        return task

    def get(self, task_id: str) -> SeedanceTask | None:
        with self.lock:
            task = self.tasks.get(task_id)
        return None if task is None else self.refresh(task)

    def remove(self, task_id: str) -> None:
        with self.lock:
            self.tasks.pop(task_id, None)

    def refresh(self, task: SeedanceTask) -> SeedanceTask:
        now = time.time()
        with self.lock:  # one thread finishes a task; others wait and see the result
            if task.status in LIVE:
                if task.expires_at < task.due_at and now >= task.expires_at:
                    task.status, task.updated_at = "expired", now
                elif now >= task.due_at:
                    self._finish(task)
                elif now >= task.started_at and task.status == "queued":
                    task.status, task.updated_at = "running", now
        return task

    def _finish(self, task: SeedanceTask) -> None:
        prompt = self._prompt(task).lower()
        task.updated_at = time.time()
        failure = None
        if mentions(prompt, self.config.late_blocked_words):
            failure = LATE_REJECTION
        elif self.config.failure_rate and self.rng.random() < self.config.failure_rate:
            failure = INTERNAL
        if failure is not None:
            task.status, task.tokens = "failed", 0  # failed tasks are not charged
            task.error = {"code": failure[0], "message": failure[1]}
            return
        seconds = task.duration if task.duration > 0 else 5  # -1: the model chose 5 s
        out = self.workdir / f"{task.id}.mp4"
        first, last = self._frame(task, "first_frame"), self._frame(task, "last_frame")
        render_clip(
            out,
            task_id=task.id,
            model=task.model,
            mode=task.resolution,
            prompt=prompt,
            seconds=seconds,
            fps=self.config.render_fps,
            aspect=task.ratio,
            first_frame=first,
            last_frame=last,
            audio=bool(task.body.get("generate_audio")),
        )
        task.content = {"video_url": self.publish(out)}
        if task.body.get("return_last_frame"):
            task.content["last_frame_url"] = self.publish(self._last_frame(task, last or first))
        width, height = dimensions(task.resolution, task.ratio)
        task.tokens = token_count(width, height, seconds)
        task.status = "succeeded"

    @staticmethod
    def _prompt(task: SeedanceTask) -> str:
        for item in task.body.get("content", []):
            if item.get("type") == "text":
                return str(item.get("text", ""))
        return ""

    def _ratio(self, task: SeedanceTask) -> str:
        ratio = str(task.body.get("ratio", "16:9"))
        if ratio in RATIOS:
            return ratio
        first = self._frame(task, "first_frame")  # adaptive: the first frame's shape
        if first is None:
            return "16:9"
        from PIL import Image

        with Image.open(first) as image:
            return nearest_ratio(*image.size)

    def _frame(self, task: SeedanceTask, role: str) -> Path | None:
        """Decode a data-URL frame for previz; http(s) frames are not fetched (no network)."""
        path = self.workdir / f"{task.id}-{role}.png"
        if path.exists():
            return path
        for item in task.body.get("content", []):
            url = str((item.get("image_url") or {}).get("url", ""))
            if item.get("role") == role and url.startswith("data:"):
                return save_frame(base64.b64decode(url.split(",", 1)[1]), path)
        return None

    def _last_frame(self, task: SeedanceTask, source: Path | None) -> Path:
        from PIL import Image

        path = self.workdir / f"{task.id}-out-last.png"
        if source is not None:
            Image.open(source).convert("RGB").save(path)
        else:
            Image.new("RGB", dimensions("480p", task.ratio), (40, 40, 40)).save(path)
        return path
