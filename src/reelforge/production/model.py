"""The production file's data model.

These pydantic models are the single source of truth for the file format: the loader validates
against them and the JSON Schema (``reel schema``) is generated from them. Cross-field rules that
need the file system or other shots (references exist, speakers are elements, transitions fit)
live in :mod:`reelforge.production.checks`, so that every problem is reported at once.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

MAX_REFERENCES = 4
MIN_SHOT_SECONDS = 0.5
MAX_SHOT_SECONDS = 60.0
MAX_TRANSITION_SECONDS = 5.0


class Camera(StrEnum):
    static = "static"
    dolly_in = "dolly_in"
    dolly_out = "dolly_out"
    pan_left = "pan_left"
    pan_right = "pan_right"
    tilt_up = "tilt_up"
    tilt_down = "tilt_down"
    truck_left = "truck_left"
    truck_right = "truck_right"
    orbit_left = "orbit_left"
    orbit_right = "orbit_right"
    crane_up = "crane_up"
    crane_down = "crane_down"
    zoom_in = "zoom_in"
    zoom_out = "zoom_out"
    rack_focus = "rack_focus"
    handheld = "handheld"


class ShotSize(StrEnum):
    extreme_wide = "extreme_wide"
    wide = "wide"
    medium = "medium"
    close_up = "close_up"
    extreme_close_up = "extreme_close_up"


class AudioSource(StrEnum):
    auto = "auto"  # the model's own audio where the model makes it, ours elsewhere
    ours = "ours"  # always reelforge's TTS + ambience; the model is not asked for audio


class TransitionKind(StrEnum):
    cut = "cut"
    crossfade = "crossfade"
    dip_to_black = "dip_to_black"


class SubtitleMode(StrEnum):
    burn = "burn"
    sidecar = "sidecar"
    off = "off"


class _Strict(BaseModel):
    # Unknown keys are mistakes (a typo such as `duraton`), never silently ignored.
    model_config = ConfigDict(extra="forbid", frozen=True)


Resolution = Annotated[str, Field(pattern=r"^\d{2,5}x\d{2,5}$", examples=["1280x720"])]


class Delivery(_Strict):
    resolution: Resolution = "1280x720"
    fps: Literal[24, 25, 30, 60] = 24
    loudness: float = Field(
        default=-14.0, ge=-40.0, le=-5.0, description="Integrated loudness, LUFS"
    )
    subtitles: SubtitleMode = SubtitleMode.sidecar
    max_budget_usd: float | None = Field(default=None, ge=0)

    @property
    def size(self) -> tuple[int, int]:
        w, h = self.resolution.split("x")
        return int(w), int(h)

    @field_validator("resolution")
    @classmethod
    def _even_size(cls, value: str) -> str:
        w, h = (int(v) for v in value.split("x"))
        if w % 2 or h % 2:
            raise ValueError(f"width and height must be even for yuv420p video, got {value}")
        if not (64 <= w <= 7680 and 64 <= h <= 7680):
            raise ValueError(f"each side must be between 64 and 7680 pixels, got {value}")
        return value


class Element(_Strict):
    description: str = ""
    references: list[str] = Field(default_factory=list, max_length=MAX_REFERENCES)
    voice: str | None = Field(
        default=None, description="A TTS voice name, or a path to a reference audio clip"
    )


class DialogueLine(_Strict):
    speaker: str
    line: str = Field(min_length=1)
    at: float | None = Field(default=None, ge=0, description="Seconds from the start of the shot")


class Transition(_Strict):
    kind: TransitionKind = TransitionKind.cut
    duration: float = Field(default=0.0, ge=0, le=MAX_TRANSITION_SECONDS)


class Shot(_Strict):
    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    prompt: str = Field(min_length=1)
    duration: float = Field(ge=MIN_SHOT_SECONDS, le=MAX_SHOT_SECONDS)
    camera: Camera = Camera.static
    size: ShotSize = ShotSize.medium
    elements: list[str] = Field(default_factory=list)
    dialogue: list[DialogueLine] = Field(default_factory=list)
    sound: str = ""
    first_frame: str | None = None
    last_frame: str | None = None
    source_video: str | None = None
    audio: AudioSource = AudioSource.auto
    transition: Transition = Field(default_factory=Transition)
    seed: int = Field(default=0, ge=0, lt=2**32)
    model: str = "previz"

    @field_validator("transition", mode="before")
    @classmethod
    def _transition_shorthand(cls, value: object) -> object:
        # `transition: cut` is the common case; a mapping gives kind and duration.
        if isinstance(value, str):
            return {"kind": value}
        return value


class Production(_Strict):
    title: str = Field(min_length=1)
    delivery: Delivery = Field(default_factory=Delivery)
    elements: dict[str, Element] = Field(default_factory=dict)
    shots: list[Shot] = Field(min_length=1)


class LoadedProduction(BaseModel):
    """A validated production plus where it came from (paths resolve relative to it)."""

    model_config = ConfigDict(arbitrary_types_allowed=True, frozen=True)

    production: Production
    source: Path

    @property
    def base_dir(self) -> Path:
        return self.source.parent

    def resolve(self, relative: str) -> Path:
        return (self.base_dir / relative).resolve()
