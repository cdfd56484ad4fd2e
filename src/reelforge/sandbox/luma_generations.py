"""The Luma sandbox's generation book: queued → dreaming → completed | failed, by the clock,
advanced lazily on every read (no scheduler thread). DELETE erases a generation. Finished clips
are previz renders stamped with the model; each read of a completed generation signs a fresh
output URL."""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ._base import BookConfig, iso, mentions
from .render import render_clip

LIVE = ("queued", "dreaming")
LATE_REJECTION = "Job failed because output video failed moderation"
INTERNAL = "Internal server error while generating the video"


@dataclass
class LumaGeneration:
    id: str
    body: dict[str, Any]
    created_at: float
    ready_at: float  # when it may leave "queued"
    state: str = "queued"
    due_at: float | None = None
    video: Path | None = None
    failure_reason: str | None = None
    reads: int = 0

    @property
    def model(self) -> str:
        return str(self.body["model"])

    @property
    def seconds(self) -> int:
        return int(str(self.body.get("duration") or "5s").removesuffix("s"))

    def prompt(self) -> str:
        return str(self.body.get("prompt") or "")


@dataclass
class GenerationBook:
    config: BookConfig
    publish: Callable[[Path], str]
    workdir: Path
    generations: dict[str, LumaGeneration] = field(default_factory=dict)
    lock: threading.RLock = field(default_factory=threading.RLock)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.config.seed)

    def create(self, body: dict[str, Any]) -> LumaGeneration:
        now = time.time()
        gen = LumaGeneration(str(uuid.uuid4()), body, now, now + self.config.queue_seconds)
        with self.lock:
            self.generations[gen.id] = gen
        return gen

    def get(self, gen_id: str) -> LumaGeneration | None:
        self.advance()
        with self.lock:
            return self.generations.get(gen_id)

    def remove(self, gen_id: str) -> bool:
        with self.lock:
            return self.generations.pop(gen_id, None) is not None

    def completed_ids(self) -> set[str]:
        self.advance()
        with self.lock:
            return {g.id for g in self.generations.values() if g.state == "completed"}

    def newest_first(self) -> list[LumaGeneration]:
        self.advance()
        with self.lock:
            return sorted(self.generations.values(), key=lambda g: g.created_at, reverse=True)

    def advance(self) -> None:
        now = time.time()
        with self.lock:
            for gen in sorted(self.generations.values(), key=lambda g: g.created_at):
                if gen.state == "queued" and now >= gen.ready_at:
                    gen.state, gen.due_at = "dreaming", now + self.config.processing_seconds
                if gen.state == "dreaming" and gen.due_at is not None and now >= gen.due_at:
                    self._finish(gen)

    def _finish(self, gen: LumaGeneration) -> None:
        prompt = gen.prompt().lower()
        if mentions(prompt, self.config.late_blocked_words):
            gen.state, gen.failure_reason = "failed", LATE_REJECTION
            return
        if self.config.failure_rate and self.rng.random() < self.config.failure_rate:
            gen.state, gen.failure_reason = "failed", INTERNAL
            return
        out = self.workdir / f"{gen.id}.mp4"
        ratio = str(gen.body.get("aspect_ratio") or "16:9")
        w, h = (int(x) for x in ratio.split(":"))
        aspect = "16:9" if w > h else "9:16" if h > w else "1:1"
        render_clip(
            out,
            task_id=gen.id,
            model=gen.model,
            mode=f"{gen.body.get('resolution') or '720p'} {ratio}",
            prompt=prompt,
            seconds=gen.seconds,
            fps=self.config.render_fps,
            aspect=aspect,
        )
        gen.video, gen.state = out, "completed"

    def as_data(self, gen: LumaGeneration) -> dict[str, Any]:
        """The generation as ``GET /generations/{id}`` shows it (lumaai ``Generation``)."""
        assets: dict[str, Any] | None = None
        if gen.state == "completed" and gen.video is not None:
            assets = {"video": self.publish(gen.video), "image": None, "progress_video": None}
        return {
            "id": gen.id,
            "generation_type": "video",
            "state": gen.state,
            "failure_reason": gen.failure_reason,
            "created_at": iso(gen.created_at),
            "assets": assets,
            "model": gen.model,
            "request": dict(gen.body),
        }
