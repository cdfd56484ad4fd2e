"""Options for the xAI Grok Imagine video API, a pydantic model with extra="forbid" so a typo in
a production's options fails loudly instead of being ignored."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class XaiOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    model_name: str | None = None  # overrides ShotRequest.model
    # The API has no mode; accepted (and reported as dropped) so catalogue routes build.
    mode: str | None = None
    sound: bool | None = None  # → generate_audio (server default true; not priced apart)
    # generate (T2V / I2V / R2V), edit a video, or extend one (providers-2 §1.3).
    operation: Literal["generate", "edit", "extend"] = "generate"
    video_url: str | None = None  # source of an edit / extension (public URL the host can fetch)
    video_file_id: str | None = None  # ... or a Files-API id instead of a URL
    image_file_id: str | None = None  # first frame as a Files-API id instead of the shot's frame
    duration: int | None = Field(default=None, ge=1, le=15)  # None: the shot's, rounded up
    aspect_ratio: str | None = None  # None: nearest allowed to width x height
    resolution: Literal["480p", "720p", "1080p"] | None = None  # None: nearest to the shot
    voices: list[str] = Field(default_factory=list, max_length=3)  # reference_audios voice ids
    user: str | None = None  # end-user id for xAI's abuse monitoring
    storage_options: dict[str, Any] | None = None  # persist to Files / public CDN URL, as sent

    @model_validator(mode="after")
    def _sources(self) -> XaiOptions:
        if self.video_url and self.video_file_id:
            raise ValueError("video_url and video_file_id are exclusive")
        if self.operation != "generate" and not (self.video_url or self.video_file_id):
            raise ValueError(f"operation {self.operation!r} needs video_url or video_file_id")
        return self
