"""MiniMax-specific options, a pydantic model with extra="forbid" so a typo fails loudly.

The catalogue's remote generator passes ``model_name``, ``mode`` and ``sound``. MiniMax has no
modes (``mode`` is accepted and ignored with a warning); v1 makes no sound and H3 exposes no
audio switch (sound always on per resale docs [?]), so ``sound`` only produces warnings.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class MiniMaxOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    model_name: str | None = None  # overrides ShotRequest.model
    mode: str | None = None  # no MiniMax equivalent; ignored
    sound: bool | None = None  # v1: no audio; H3: no switch
    duration: int | None = Field(default=None, ge=1)  # None: the shot's, rounded up
    resolution: str | None = None  # v1 "512P/720P/768P/1080P"; v2 "2K"; None: from the shot
    prompt_optimizer: bool | None = None  # v1; the service defaults to true
    ratio: Literal["adaptive", "21:9", "16:9", "4:3", "1:1", "3:4", "9:16"] | None = None  # v2
    aigc_watermark: bool | None = None  # v2
    callback_url: str | None = None  # v1
    # v2: frames and references are exclusive; "refuse" fails, else one side is dropped.
    prefer: Literal["refuse", "frames", "references"] = "refuse"
    first_frame_url: str | None = None  # send frames as URLs instead of base64 data URLs
    last_frame_url: str | None = None
    reference_video_urls: tuple[str, ...] = ()  # v2, ≤3
    reference_audio_urls: tuple[str, ...] = ()  # v2, ≤3, need an image or video reference
