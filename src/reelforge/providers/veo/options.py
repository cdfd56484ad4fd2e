"""Veo-specific options, a pydantic model with extra="forbid" so a typo fails loudly.

The keys a catalogue route passes (``model_name``, ``mode``, ``sound``) are accepted: Veo has no
mode and the Gemini API always generates audio, so those two only ever produce warnings.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class VeoOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    model_name: str | None = None  # overrides ShotRequest.model
    mode: str | None = None  # Veo has none; ignored with a warning
    sound: bool | None = None  # always on for Veo 3.x on the Gemini API; False only warns
    negative_prompt: str = ""
    person_generation: Literal["dont_allow", "allow_adult", "allow_all"] | None = None
    aspect_ratio: Literal["16:9", "9:16"] | None = None  # None: nearest to width/height
    resolution: Literal["720p", "1080p", "4k"] | None = None  # None: from the shot's height
    duration: int | None = Field(default=None, ge=1)  # None: the shot's, rounded up
    enhance_prompt: bool | None = None
    reference_type: Literal["ASSET", "STYLE"] = "ASSET"  # the Gemini API takes ASSET only
