"""Runway-specific options, a pydantic model with extra="forbid" so a typo fails loudly.

The keys the catalogue's remote generator passes are ``model_name``, ``mode`` and ``sound``:
``mode`` is ignored (Runway has no quality tier on these endpoints; the model id is the tier),
``sound`` becomes ``audio`` on the models that have the toggle (Veo 3.1, Seedance 2).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class AlephKeyframe(BaseModel):
    model_config = ConfigDict(extra="forbid")

    uri: str
    at: float | None = Field(default=None, ge=0, le=1)  # fraction of the input video
    seconds: float | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _one_position(self) -> AlephKeyframe:
        # The API's keyframe is either {uri, seconds} or {uri, at} (runwayml 5.24.0).
        if (self.at is None) == (self.seconds is None):
            raise ValueError("a keyframe needs exactly one of `at` (0-1) and `seconds`")
        return self


class RunwayOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    model_name: str | None = None  # overrides ShotRequest.model
    mode: str | None = None  # accepted from catalogue routes and ignored
    sound: bool | None = None  # None: on when the shot has dialogue or a sound cue
    ratio: str | None = None  # e.g. "1280:720"; None: nearest to the shot's width/height
    resolution: Literal["720p", "1080p"] | None = None  # happyhorse image_to_video only
    duration: int | None = Field(default=None, ge=1)  # None: the shot's, rounded up
    seed: int | None = Field(default=None, ge=0, le=4294967295)  # None: the shot's, if set
    negative_prompt: str | None = None  # Veo 3.1 only
    public_figure_threshold: Literal["auto", "low"] | None = None  # contentModeration
    # Inputs as URLs (https or runway:// upload URIs) instead of inline base64 data URIs.
    first_frame_url: str | None = None
    last_frame_url: str | None = None
    reference_urls: tuple[str, ...] = ()
    # video_to_video (aleph2, seedance2, gemini_omni_flash): the input video as a URL; aleph2
    # otherwise sends the shot's source_video inline.
    video_uri: str | None = None
    keyframes: tuple[AlephKeyframe, ...] = ()  # aleph2 only, at most 5
    target_aspect_ratio: str | None = None  # aleph2 outpaint, one of models.TARGET_ASPECTS
