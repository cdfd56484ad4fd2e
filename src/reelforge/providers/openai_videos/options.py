"""Options for the OpenAI videos contract, a pydantic model with extra="forbid" so a typo in a
production's options fails loudly instead of being ignored."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class OpenAIVideosOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    model_name: str | None = None  # overrides ShotRequest.model
    # The contract has no mode; accepted (and reported as dropped) so catalogue routes that carry
    # one still build a request.
    mode: str | None = None
    # Audio is always generated; False is reported as a warning (strip it in the edit instead).
    sound: bool | None = None
    seconds: int | None = Field(default=None, ge=1)  # None: the shot's, rounded up to an allowed
    size: str | None = Field(default=None, pattern=r"^\d+x\d+$")  # None: nearest to width x height
    # Remix an existing video (POST /videos/{id}/remix) instead of creating one: the new prompt
    # describes the change; length and size are inherited from the source video.
    remix_video_id: str | None = None
