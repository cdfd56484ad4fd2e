"""The xAI sandbox's job book: jobs are ``pending`` (with rising ``progress``) until due, then
``done`` | ``failed`` | ``expired`` (providers-2 §1.5), finished lazily on the first poll after
they are due, so polling behaves like the real service without a thread."""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ._base import BookConfig, mentions
from .render import render_clip
from .xai_rules import decode_data_uri, price_ticks

ASPECT_RENDER = {"1:1": "1:1", "16:9": "16:9", "4:3": "16:9", "3:2": "16:9"}  # else portrait
EDIT_MAX_SECONDS = 8  # edit inputs are truncated to ~8 s (8.7 s cap) [3P]


@dataclass
class Job:
    request_id: str
    operation: str  # generation | edit | extension
    model: str
    prompt: str
    seconds: int
    aspect_ratio: str
    resolution: str
    images: int
    created_at: float
    started_at: float
    due_at: float
    status: str = "pending"
    progress: int = 0
    url: str = ""
    respect_moderation: bool = True
    cost_in_usd_ticks: int | None = None
    error: dict[str, str] | None = None
    input_image: Path | None = None
    output: Path | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def as_object(self) -> dict[str, Any]:
        body: dict[str, Any] = {"status": self.status, "model": self.model}
        if self.status == "pending":
            body["progress"] = self.progress
            return body
        body["progress"] = 100 if self.status == "done" else self.progress
        if self.status in ("done", "failed"):
            body["video"] = {
                "url": self.url,
                "duration": self.seconds if self.url else 0,
                "respect_moderation": self.respect_moderation,
            }
        if self.cost_in_usd_ticks is not None:
            body["usage"] = {"cost_in_usd_ticks": self.cost_in_usd_ticks}
        if self.error is not None:
            body["error"] = self.error
        return body


@dataclass
class JobBookConfig(BookConfig):  # late_blocked_words: done, respect_moderation false
    failing_words: tuple[str, ...] = ("meltdown",)  # failed, internal_error
    expiring_words: tuple[str, ...] = ("stale",)  # expired before it finished
    output_ttl: float | None = 24 * 3600.0  # vidgen URLs: "valid 24 h" [SDK docstring]


class JobBook:
    def __init__(
        self, config: JobBookConfig, publish: Callable[[Path, float | None], str], workdir: Path
    ) -> None:
        self.config = config
        self.publish = publish
        self.jobs: dict[str, Job] = {}
        self.outputs: dict[str, Job] = {}  # published URL → the job that made it
        self.rng = random.Random(config.seed)
        self.lock = threading.RLock()
        self.workdir = workdir

    def create(self, operation: str, body: dict[str, Any], *, source: Job | None = None) -> Job:
        now = time.time()
        started = now + self.config.queue_seconds
        rid = str(uuid.uuid4())
        refs = body.get("reference_images") or []
        images = len(refs) + (1 if body.get("image") else 0) + (1 if body.get("last_frame") else 0)
        if operation == "generation":
            seconds, aspect, res = body["duration"], body["aspect_ratio"], body["resolution"]
        else:  # edits and extensions ignore duration/aspect/resolution: the source's are kept
            src_seconds = source.seconds if source else 6
            aspect = source.aspect_ratio if source else "16:9"
            res = source.resolution if source else "480p"
            if operation == "edit":
                seconds = min(src_seconds, EDIT_MAX_SECONDS)
            else:
                seconds = src_seconds + int(body["duration"])
        job = Job(
            request_id=rid,
            operation=operation,
            model=str(body["model"]),
            prompt=str(body["prompt"]),
            seconds=int(seconds),
            aspect_ratio=aspect,
            resolution=res,
            images=images,
            created_at=now,
            started_at=started,
            due_at=started + self.config.processing_seconds,
        )
        frame = body.get("image") or (refs[0] if refs else None)
        data = decode_data_uri(frame.get("url")) if isinstance(frame, dict) else None
        if data is not None:
            job.input_image = self.workdir / f"{rid}-input.png"
            job.input_image.write_bytes(data)
        with self.lock:
            self.jobs[rid] = job
        return job

    def get(self, rid: str) -> Job | None:
        with self.lock:
            job = self.jobs.get(rid)
        return self.refresh(job) if job else None

    def by_url(self, url: str) -> Job | None:
        with self.lock:
            return self.outputs.get(url)

    def refresh(self, job: Job) -> Job:
        now = time.time()
        with self.lock:  # one thread finishes a job; others wait and see the result
            if job.status == "pending":
                if now >= job.due_at:
                    self._finish(job)
                elif now >= job.started_at:
                    span = max(job.due_at - job.started_at, 1e-6)
                    job.progress = max(1, min(99, int(100 * (now - job.started_at) / span)))
        return job

    def _finish(self, job: Job) -> None:
        prompt = job.prompt.lower()
        if mentions(prompt, self.config.expiring_words):
            job.status = "expired"
            return
        failing = mentions(prompt, self.config.failing_words)
        if failing or (self.config.failure_rate and self.rng.random() < self.config.failure_rate):
            job.status = "failed"
            job.error = {"code": "internal_error", "message": "Video generation failed."}
            return
        # Everything that ran is billed, moderated or not.
        job.cost_in_usd_ticks = price_ticks(job.model, job.resolution, job.seconds, job.images)
        job.status = "done"
        job.progress = 100
        if mentions(prompt, self.config.late_blocked_words):
            job.respect_moderation = False
            return
        out = self.workdir / f"{job.request_id}.mp4"
        render_clip(
            out,
            task_id=job.request_id,
            model=job.model,
            mode=f"{job.operation} {job.resolution}",
            prompt=job.prompt,
            seconds=job.seconds,
            fps=self.config.render_fps,
            aspect=ASPECT_RENDER.get(job.aspect_ratio, "9:16"),
            first_frame=job.input_image,
        )
        job.output = out
        job.url = self.publish(out, self.config.output_ttl)
        with self.lock:
            self.outputs[job.url] = job
