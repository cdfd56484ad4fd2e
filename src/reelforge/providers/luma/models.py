"""Luma Dream Machine models and their wire vocabularies (research §7; lumaai 1.21.0 types).

Durations are strings (``"5s"``, ``"9s"``); resolution and aspect ratio are enums shared by
every model. ``ray-1-6`` appears in research but not in the SDK's model literal, so it is not
offered here.
"""

from __future__ import annotations

import math

MODELS: tuple[str, ...] = ("ray-2", "ray-flash-2")
DEFAULT_MODEL = "ray-2"
DURATIONS: tuple[int, ...] = (5, 9)
RESOLUTIONS: tuple[str, ...] = ("540p", "720p", "1080p", "4k")
ASPECT_RATIOS: tuple[str, ...] = ("1:1", "16:9", "9:16", "4:3", "3:4", "21:9", "9:21")
SHORT_SIDE = {"540p": 540, "720p": 720, "1080p": 1080, "4k": 2160}


def ratio_pair(ratio: str) -> tuple[int, int]:
    w, h = ratio.split(":")
    return int(w), int(h)


def nearest_ratio(width: int, height: int) -> str:
    """The aspect ratio closest to the shot's shape (log distance)."""
    want = width / height
    return min(
        ASPECT_RATIOS, key=lambda r: abs(math.log(ratio_pair(r)[0] / ratio_pair(r)[1] / want))
    )


def resolution_for(width: int, height: int) -> str:
    """The smallest resolution whose short side covers the shot's short side."""
    short = min(width, height)
    for name in RESOLUTIONS:
        if SHORT_SIDE[name] >= short:
            return name
    return RESOLUTIONS[-1]


def wire_duration(seconds: float) -> str | None:
    """The shortest allowed length covering ``seconds`` (the editor trims), or None."""
    fits = [d for d in DURATIONS if d >= math.ceil(seconds - 1e-9)]
    return f"{fits[0]}s" if fits else None
