"""One conformance profile per provider family: the facts the shared checks need.

A profile lists the catalogue (provider, channel) pairs it covers; a route whose pair is in no
profile fails every conformance check with a message saying to add one here.
"""

from __future__ import annotations

from ..harness import Profile
from . import (
    aggregator,
    fal,
    kling,
    luma,
    minimax,
    openai_videos,
    replicate,
    runway,
    seedance,
    veo,
    vertex,
    xai,
)

PROFILES: tuple[Profile, ...] = (
    kling.PROFILE,
    veo.PROFILE,
    vertex.PROFILE,
    seedance.PROFILE,
    runway.PROFILE,
    minimax.PROFILE,
    luma.PROFILE,
    fal.PROFILE,
    replicate.PROFILE,
    aggregator.PROFILE,
    xai.PROFILE,
    openai_videos.PROFILE,
)
