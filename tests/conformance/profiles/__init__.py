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
    kling_model_path,
    luma,
    luma_agents,
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
    kling_model_path.PROFILE,
    veo.PROFILE,
    vertex.PROFILE,
    seedance.PROFILE,
    runway.PROFILE,
    minimax.PROFILE,
    luma.PROFILE,
    luma_agents.PROFILE,
    fal.PROFILE,
    replicate.PROFILE,
    aggregator.PROFILE,
    xai.PROFILE,
    openai_videos.PROFILE,
)
