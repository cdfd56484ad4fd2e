"""Kling-specific options, a pydantic model with extra="forbid" (as simonw/llm does) so a typo in
a production's options fails loudly instead of being ignored."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class ShotPrompt(BaseModel):
    model_config = ConfigDict(extra="forbid")
    prompt: str = Field(max_length=512)
    duration: int = Field(ge=1)


class KlingOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    model_name: str | None = None  # overrides ShotRequest.model
    mode: Literal["std", "pro", "4k"] = "std"
    sound: bool | None = None  # None: on when the shot has dialogue or a sound cue
    negative_prompt: str = Field(default="", max_length=2500)
    cfg_scale: float | None = Field(default=None, ge=0.0, le=1.0)
    aspect_ratio: Literal["16:9", "9:16", "1:1"] | None = None  # None: nearest to width/height
    duration: int | None = Field(default=None, ge=1)  # None: the shot's, rounded up
    # Kling's camera_control works on few model/mode combinations, so it is opt-in; otherwise
    # the camera move is written into the prompt, which every model reads.
    camera_control: bool = False
    image_url: str | None = None  # send first/last frames as URLs instead of base64
    image_tail_url: str | None = None
    multi_prompt: list[ShotPrompt] | None = Field(default=None, max_length=6)
    watermark: bool | None = None
    callback_url: str | None = None
    # Omni models only (research §3.4). Kling element ids (created beforehand from images), and
    # one reference video by URL: "feature" to follow its style/motion or shoot the next shot,
    # "base" to edit it. A ShotRequest carries neither, so they come in as options.
    element_ids: list[int] | None = Field(default=None, max_length=7)
    video_url: str | None = None
    refer_type: Literal["feature", "base"] = "feature"
    keep_original_sound: bool = False
