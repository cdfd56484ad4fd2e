"""Luma-specific options, a pydantic model with extra="forbid" so a typo fails loudly.

Keyframes go as URLs (Luma fetches them; it takes no inline base64), or as earlier generation
ids: ``frame0_generation_id`` extends that clip forward, ``frame1_generation_id`` backward.
The catalogue's remote generator passes ``model_name`` (and ``mode``/``sound``, which Luma has
no use for: accepted and ignored).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict


class LumaOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    model_name: str | None = None  # overrides ShotRequest.model
    mode: str | None = None  # accepted from catalogue routes and ignored
    sound: bool | None = None  # accepted and ignored: no audio in the generation call
    frame0_url: str | None = None  # first keyframe image (https URL Luma can fetch)
    frame1_url: str | None = None  # last keyframe image
    frame0_generation_id: str | None = None  # extend forward from this generation
    frame1_generation_id: str | None = None  # extend backward into this generation
    aspect_ratio: Literal["1:1", "16:9", "9:16", "4:3", "3:4", "21:9", "9:21"] | None = (
        None  # None: nearest to the shot
    )
    resolution: Literal["540p", "720p", "1080p", "4k"] | None = None  # None: covers the shot
    duration: Literal["5s", "9s"] | None = None  # None: the shot's, rounded up
    loop: bool | None = None
    concepts: tuple[str, ...] = ()  # camera concept keys, e.g. "orbit_left", "push_in"
    callback_url: str | None = None
