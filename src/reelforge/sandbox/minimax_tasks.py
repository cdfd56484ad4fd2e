"""The MiniMax sandbox's task book: v1 tasks move Preparing → Queueing → Processing → Success |
Fail, v2 tasks queued → running → succeeded | failed | expired, by the clock (configurable queue
and processing times). A task is finished lazily, on the first read after it is due. v1 outputs
become files (``file_id``) fetched through ``/v1/files/retrieve``; v2 outputs carry their URL and
``usage`` seconds."""

from __future__ import annotations

import base64
import random
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..providers.minimax.models import RATIO_VALUES
from ._base import BookConfig, mentions, save_frame
from .render import SIZES, render_clip

LATE_REJECTION = (1027, "output video contains sensitive content")
INTERNAL = (1000, "internal error")


@dataclass
class MiniMaxTask:
    id: str
    version: str  # "v1" | "v2"
    body: dict[str, Any]
    created_at: float
    started_at: float
    due_at: float
    expires_at: float | None
    state: str = "queued"  # normalised: queued, running, succeeded, failed, expired
    file_id: str | None = None
    url: str | None = None
    error: tuple[int, str] | None = None
    ratio: str = "16:9"

    @property
    def model(self) -> str:
        return str(self.body["model"])

    @property
    def duration(self) -> int:
        return int(self.body.get("duration", 6 if self.version == "v1" else 5))

    @property
    def resolution(self) -> str:
        return str(self.body.get("resolution", "768P" if self.version == "v1" else "2K"))

    def v1_status(self, now: float) -> str:
        if self.state == "queued":  # Preparing for the first part of the queue, then Queueing
            return "Preparing" if now < (self.created_at + self.started_at) / 2 else "Queueing"
        return {"running": "Processing", "succeeded": "Success"}.get(self.state, "Fail")

    def as_v1(self) -> dict[str, Any]:
        code, msg = self.error or (0, "success")
        data: dict[str, Any] = {
            "task_id": self.id,
            "status": self.v1_status(time.time()),
            "file_id": self.file_id or "",
            "base_resp": {"status_code": code, "status_msg": msg},
        }
        if self.state == "succeeded":
            data["video_width"], data["video_height"] = SIZES.get(self.ratio, SIZES["16:9"])
        return data

    def as_v2(self) -> dict[str, Any]:
        task: dict[str, Any] = {
            "id": self.id,
            "model": self.model,
            "status": self.state,
            "resolution": self.resolution,
            "duration": self.duration,
            "ratio": self.ratio,
            "created_at": int(self.created_at),
        }
        if self.state == "succeeded":
            task["content"] = {"url": self.url}
            inputs = sum(1 for i in self.body["content"] if i.get("type") == "video_url")
            task["usage"] = {
                "total_seconds": self.duration + inputs,
                "input_seconds": inputs,  # [?] the sandbox counts 1 s per reference video
                "output_seconds": self.duration,
            }
        if self.error is not None:
            task["error"] = {"code": self.error[0], "message": self.error[1]}
        return {"task": task}


@dataclass
class TaskBookConfig(BookConfig):
    max_task_seconds: float | None = None  # v2: unfinished by then → expired


@dataclass
class FileRecord:
    file_id: str
    url: str
    created_at: float
    size: int
    filename: str


class TaskBook:
    def __init__(
        self, config: TaskBookConfig, publish: Callable[[Path], str], workdir: Path
    ) -> None:
        self.config = config
        self.publish = publish
        self.tasks: dict[str, MiniMaxTask] = {}
        self.files: dict[str, FileRecord] = {}
        self.rng = random.Random(config.seed)
        self.lock = threading.RLock()
        self.workdir = workdir

    def create(self, version: str, body: dict[str, Any]) -> MiniMaxTask:
        now = time.time()
        started = now + self.config.queue_seconds
        life = self.config.max_task_seconds if version == "v2" else None
        task = MiniMaxTask(
            id=str(self.rng.randrange(10**17, 10**18)) if version == "v1" else uuid.uuid4().hex,
            version=version,
            body=body,
            created_at=now,
            started_at=started,
            due_at=started + self.config.processing_seconds,
            expires_at=None if life is None else now + life,
        )
        task.ratio = self._ratio(task)
        with self.lock:
            self.tasks[task.id] = task
        return task

    def live(self) -> int:
        with self.lock:
            return sum(
                1 for t in self.tasks.values() if self.refresh(t).state in ("queued", "running")
            )

    def get(self, task_id: str, version: str) -> MiniMaxTask | None:
        with self.lock:
            task = self.tasks.get(task_id)
        if task is None or task.version != version:
            return None
        return self.refresh(task)

    def refresh(self, task: MiniMaxTask) -> MiniMaxTask:
        now = time.time()
        with self.lock:
            if task.state in ("queued", "running"):
                exp = task.expires_at
                if exp is not None and exp < task.due_at and now >= exp:
                    task.state = "expired"
                elif now >= task.due_at:
                    self._finish(task)
                elif now >= task.started_at:
                    task.state = "running"
        return task

    def _finish(self, task: MiniMaxTask) -> None:
        prompt = self._prompt(task)
        failure = None
        if mentions(prompt, self.config.late_blocked_words):
            failure = LATE_REJECTION
        elif self.config.failure_rate and self.rng.random() < self.config.failure_rate:
            failure = INTERNAL
        if failure is not None:
            task.state, task.error = "failed", failure
            return
        out = self.workdir / f"{task.id}.mp4"
        render_clip(
            out,
            task_id=task.id,
            model=task.model,
            mode=task.resolution,
            prompt=prompt,
            seconds=task.duration,
            fps=self.config.render_fps,
            aspect=task.ratio,
            first_frame=self._frame(task, "first_frame"),
            last_frame=self._frame(task, "last_frame"),
        )
        url = self.publish(out)
        if task.version == "v1":
            file_id = str(self.rng.randrange(10**14, 10**15))
            self.files[file_id] = FileRecord(
                file_id, url, time.time(), out.stat().st_size, f"output_{task.id}.mp4"
            )
            task.file_id = file_id
        else:
            task.url = url
        task.state = "succeeded"

    @staticmethod
    def _prompt(task: MiniMaxTask) -> str:
        if task.version == "v1":
            return str(task.body.get("prompt", ""))
        texts = [str(i.get("text", "")) for i in task.body["content"] if i.get("type") == "text"]
        return texts[0] if texts else ""

    def _ratio(self, task: MiniMaxTask) -> str:
        ratio = task.body.get("ratio")
        if ratio in RATIO_VALUES:
            return str(ratio)
        first = self._frame(task, "first_frame")  # frames (and "adaptive"): the image's shape
        if first is None:
            return "16:9"
        from PIL import Image

        with Image.open(first) as image:
            w, h = image.size
        return "16:9" if w / h > 1.2 else "9:16" if h / w > 1.2 else "1:1"

    def _frame(self, task: MiniMaxTask, role: str) -> Path | None:
        """Decode a data-URL frame for previz; http(s) frames are not fetched (no network)."""
        path = self.workdir / f"{task.id}-{role}.png"
        if path.exists():
            return path
        url = ""
        if task.version == "v1":
            url = str(task.body.get(f"{role}_image") or "")
        else:
            for item in task.body["content"]:
                if item.get("role") == role:
                    url = str((item.get("image_url") or {}).get("url", ""))
        if not url.startswith("data:"):
            return None
        return save_frame(base64.b64decode(url.split(",", 1)[1]), path)
