"""The OpenAI-videos sandbox's job book: videos move queued → in_progress(progress) →
completed | failed by the clock (configurable queue and processing times), finished lazily on
the first read after they are due, so polling behaves like the real service without a thread."""

from __future__ import annotations

import io
import math
import random
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ._base import BookConfig, mentions
from .render import render_clip

LATE_REJECTION = "The generated video was blocked by our moderation system."


@dataclass
class Video:
    id: str
    model: str
    prompt: str
    seconds: str
    size: str
    created_at: float
    started_at: float
    due_at: float
    status: str = "queued"
    progress: int = 0
    completed_at: float | None = None
    expires_at: float | None = None
    error: dict[str, str] | None = None
    remixed_from_video_id: str | None = None
    input_image: Path | None = None
    output: Path | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def as_object(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "object": "video",
            "model": self.model,
            "status": self.status,
            "progress": self.progress,
            "created_at": int(self.created_at),
            "completed_at": int(self.completed_at) if self.completed_at else None,
            "expires_at": int(self.expires_at) if self.expires_at else None,
            "prompt": self.prompt,
            "seconds": self.seconds,
            "size": self.size,
            "remixed_from_video_id": self.remixed_from_video_id,
            "error": self.error,
        }


@dataclass
class VideoBookConfig(BookConfig):
    asset_ttl: float | None = 3600.0  # downloadable assets expire (research §2.4: ~1 h)


def aspect_of(size: str) -> str:
    w, _, h = size.partition("x")
    r = int(w) / int(h)
    return min(("16:9", "9:16", "1:1"), key=lambda a: abs(math.log(_ratio(a) / r)))


def _ratio(aspect: str) -> float:
    w, _, h = aspect.partition(":")
    return int(w) / int(h)


class VideoBook:
    def __init__(self, config: VideoBookConfig, workdir: Path) -> None:
        self.config = config
        self.videos: dict[str, Video] = {}
        self.rng = random.Random(config.seed)
        self.lock = threading.RLock()
        self.workdir = workdir

    def create(self, form: dict[str, Any], *, remixed_from: Video | None = None) -> Video:
        now = time.time()
        started = now + self.config.queue_seconds
        vid = f"video_{uuid.uuid4().hex[:24]}"
        video = Video(
            id=vid,
            model=str(form.get("model")),
            prompt=str(form.get("prompt")),
            seconds=str(form.get("seconds")),
            size=str(form.get("size")),
            created_at=now,
            started_at=started,
            due_at=started + self.config.processing_seconds,
            remixed_from_video_id=remixed_from.id if remixed_from else None,
        )
        ref = form.get("input_reference")
        if ref is not None:
            video.input_image = self.workdir / f"{vid}-input.png"
            video.input_image.write_bytes(ref.data)
        with self.lock:
            self.videos[vid] = video
        return video

    def get(self, vid: str) -> Video | None:
        with self.lock:
            video = self.videos.get(vid)
        return self.refresh(video) if video else None

    def delete(self, vid: str) -> Video | None:
        with self.lock:
            return self.videos.pop(vid, None)

    def listing(self) -> list[Video]:
        with self.lock:
            videos = list(self.videos.values())
        return [self.refresh(v) for v in videos]

    def refresh(self, video: Video) -> Video:
        now = time.time()
        with self.lock:  # one thread finishes a video; others wait and see the result
            if video.status in ("queued", "in_progress"):
                if now >= video.due_at:
                    self._finish(video)
                elif now >= video.started_at:
                    span = max(video.due_at - video.started_at, 1e-6)
                    video.status = "in_progress"
                    video.progress = min(99, int(100 * (now - video.started_at) / span))
        return video

    def _finish(self, video: Video) -> None:
        now = time.time()
        video.completed_at = now
        prompt = video.prompt.lower()
        if mentions(prompt, self.config.late_blocked_words):
            video.status = "failed"
            video.error = {"code": "moderation_blocked", "message": LATE_REJECTION}
            return
        if self.config.failure_rate and self.rng.random() < self.config.failure_rate:
            video.status = "failed"
            video.error = {"code": "video_generation_failed", "message": "Video generation failed"}
            return
        out = self.workdir / f"{video.id}.mp4"
        render_clip(
            out,
            task_id=video.id,
            model=video.model,
            mode=video.size,
            prompt=video.prompt,
            seconds=int(video.seconds),
            fps=self.config.render_fps,
            aspect=aspect_of(video.size),
            first_frame=video.input_image,
        )
        video.output = out
        video.status, video.progress = "completed", 100
        ttl = self.config.asset_ttl
        video.expires_at = now + ttl if ttl is not None else None

    def still(self, video: Video, variant: str) -> bytes:
        """A thumbnail (first frame, WebP) or a spritesheet (frames side by side, JPEG)."""
        import av
        from PIL import Image

        assert video.output is not None
        with av.open(str(video.output)) as container:
            frames = [f.to_image() for f in container.decode(video=0)]
        buf = io.BytesIO()
        if variant == "thumbnail":
            frames[0].save(buf, format="WEBP")
            return buf.getvalue()
        picks = frames[:: max(1, len(frames) // 4)][:4]
        w, h = picks[0].size
        sheet = Image.new("RGB", (w * len(picks), h))
        for i, frame in enumerate(picks):
            sheet.paste(frame, (i * w, 0))
        sheet.save(buf, format="JPEG")
        return buf.getvalue()
