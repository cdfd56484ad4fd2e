"""Seedance-specific options, a pydantic model with extra="forbid" so a typo fails loudly.

The keys the catalogue's remote generator passes are ``model_name``, ``mode`` and ``sound``:
``mode`` is read as the service tier ("default" or "flex"), ``sound`` as ``generate_audio``.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Ratio = Literal["16:9", "4:3", "1:1", "3:4", "9:16", "21:9", "adaptive"]


class SeedanceOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    model_name: str | None = None  # overrides ShotRequest.model
    mode: Literal["default", "flex"] | None = None  # alias of service_tier (catalogue routes)
    service_tier: Literal["default", "flex"] | None = None  # flex: half price, hours of latency
    sound: bool | None = None  # None: on when the shot has dialogue or a sound cue
    ratio: Ratio | None = None  # None: nearest to width/height; "adaptive" with frames
    resolution: Literal["480p", "720p", "1080p"] | None = None  # None: from the shot's height
    duration: int | None = Field(default=None, ge=-1)  # None: the shot's, rounded up
    seed: int | None = Field(default=None, ge=-1, le=2**32 - 1)  # None: the shot's seed if set
    camera_fixed: bool | None = None
    watermark: bool | None = None
    return_last_frame: bool = False
    execution_expires_after: int | None = Field(default=None, ge=3600, le=259200)
    callback_url: str | None = None
    # Frames and reference images are exclusive modes; by default a shot with both is refused.
    # "frames" keeps the frames and drops the references, "references" the other way round.
    prefer: Literal["refuse", "frames", "references"] = "refuse"
    first_frame_url: str | None = None  # send frames as URLs instead of base64 data URLs
    last_frame_url: str | None = None
