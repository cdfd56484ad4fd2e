"""What a pre-flight check hands back: the facts of the shot, refusals, adjustments, settings."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path

from reelforge._exceptions import MediaError
from reelforge.generators.base import ShotRequest
from reelforge.media.probe import probe


@functools.cache
def _seconds(path: Path, mtime_ns: int, size: int) -> float | None:
    try:
        seconds = probe(path).duration
    except MediaError:
        return None
    return seconds if seconds > 0 else None


def video_seconds(path: Path) -> float | None:
    """The length of the video at ``path``; None when it cannot be read. Probed once per file
    version: a check runs for every route when it looks for alternatives."""
    try:
        stat = path.stat()
    except OSError:
        return None
    return _seconds(path, stat.st_mtime_ns, stat.st_size)


@dataclass(frozen=True)
class ShotFacts:
    """The properties of a shot that decide whether (and how) a route can render it."""

    duration: float
    width: int
    height: int
    fps: int
    first_frame: Path | None = None
    last_frame: Path | None = None
    reference_images: int = 0
    audio_wanted: bool = False
    seed: int = 0
    source_video: Path | None = None
    source_seconds: float | None = None  # the source video's length; None: unreadable

    @classmethod
    def of(cls, request: ShotRequest) -> ShotFacts:
        # Audio is wanted when the shot speaks or names sounds: a silent render would lose them.
        source = request.source_video
        return cls(
            duration=request.duration,
            width=request.width,
            height=request.height,
            fps=request.fps,
            first_frame=request.first_frame,
            last_frame=request.last_frame,
            reference_images=sum(len(e.references) for e in request.elements),
            audio_wanted=bool(request.dialogue) or bool(request.sound.strip()),
            seed=request.seed,
            source_video=source,
            source_seconds=video_seconds(source) if source is not None else None,
        )

    @property
    def input_images(self) -> int:
        return (
            (self.first_frame is not None) + (self.last_frame is not None) + self.reference_images
        )


@dataclass(frozen=True)
class Settings:
    """What we would actually ask the provider for, after adjustments."""

    duration_s: int
    resolution: str
    width: int
    height: int
    aspect_ratio: str | None  # None: the model takes it from the input image or picks itself
    fps: int | None
    audio: bool


@dataclass(frozen=True)
class Refusal:
    field: str
    rule: str
    message: str
    alternatives: tuple[str, ...] = ()

    def __str__(self) -> str:
        if not self.alternatives:
            return f"{self.message}; no catalogued model can render this shot as written"
        shown = ", ".join(self.alternatives[:8])
        more = f" (+{len(self.alternatives) - 8} more)" if len(self.alternatives) > 8 else ""
        return f"{self.message}; models that can: {shown}{more}"


@dataclass(frozen=True)
class Adjustment:
    field: str
    before: str
    after: str
    message: str

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class CheckResult:
    route_id: str
    facts: ShotFacts
    settings: Settings | None  # None when planning itself was refused
    refusals: tuple[Refusal, ...] = ()
    adjustments: tuple[Adjustment, ...] = ()
    notes: tuple[str, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return not self.refusals
