"""The contract every shot generator implements: previz now, provider adapters later.

A generator receives a :class:`ShotRequest` — the normalised vocabulary shared by all models, in
the way diffusers pipelines share argument names — and writes one video clip. Capabilities are
class attributes (as in simonw/llm) so the planner can reason about them without rendering.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol


@dataclass(frozen=True)
class ElementRef:
    """An element in frame: its name, description and resolved reference image paths."""

    name: str
    description: str = ""
    references: tuple[Path, ...] = ()


@dataclass(frozen=True)
class TimedLine:
    """A dialogue line with its speech already timed, in seconds from the start of the shot."""

    speaker: str
    text: str
    start: float
    end: float


@dataclass(frozen=True)
class ShotRequest:
    shot_id: str
    prompt: str
    frames: int  # exact frame count to produce (duration * fps, rounded once, by the planner)
    fps: int
    width: int
    height: int
    camera: str = "static"
    size: str = "medium"
    elements: tuple[ElementRef, ...] = ()
    dialogue: tuple[TimedLine, ...] = ()
    sound: str = ""
    first_frame: Path | None = None
    last_frame: Path | None = None
    seed: int = 0
    model: str = "previz"
    # The clip to edit (video-to-video). Left out of cache keys while unset, so shots without
    # one keep the keys (and the paid renders) they had before the field existed.
    source_video: Path | None = field(default=None, metadata={"key_omit_default": True})

    @property
    def duration(self) -> float:
        return self.frames / self.fps


@dataclass
class GeneratedClip:
    path: Path
    frames: int
    has_audio: bool = False
    meta: dict[str, Any] = field(default_factory=dict)


class Generator(Protocol):
    """What the planner and the job runner need from any generator.

    Read-only members, so a generator may declare them on the class (previz) or set them per
    instance (one remote generator per catalogue route).
    """

    @property
    def name(self) -> str: ...

    @property
    def version(self) -> str:  # part of the cache key: bump it when output pixels change
        ...

    @property
    def burns_dialogue(self) -> bool:  # draws dialogue subtitles into its own frames
        ...

    @property
    def native_audio(self) -> bool: ...

    def render(self, request: ShotRequest, out: Path) -> GeneratedClip: ...
