"""What each MiniMax model accepts (research §6.1, §6.2). Shared by the adapter (validate before
spending) and the sandbox (refuse what the service refuses).

v1 (Hailuo) resolutions are labels with a capital P and durations depend on the resolution
(Hailuo 2.3: 6 or 10 s at 768P, 6 s only at 1080P). v2 (MiniMax-H3) takes 5-15 s at "2K" per
vercel/ai; other sources say 4-15 s and 768P/2K, or 512p/768p on resale [?].
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

V1_RESOLUTIONS = {"512P": 512, "720P": 720, "768P": 768, "1080P": 1080}


@dataclass(frozen=True)
class HailuoSpec:
    """A v1 model: ``resolutions`` maps a label to the durations allowed at it."""

    resolutions: Mapping[str, tuple[int, ...]]
    t2v: bool = True
    i2v: bool = True
    last_frame: bool = False  # last_frame_image [?]: only Hailuo-02 in the sources seen
    subject_reference: bool = False  # S2V-01 only, one image


_23 = {"768P": (6, 10), "1080P": (6,)}
_01 = {"720P": (6,)}  # the 01 series: 720P, 6 s fixed
V1_MODELS: dict[str, HailuoSpec] = {
    "MiniMax-Hailuo-2.3": HailuoSpec(_23),
    "MiniMax-Hailuo-2.3-Fast": HailuoSpec(_23),
    "MiniMax-Hailuo-02": HailuoSpec({"512P": (6, 10), **_23}, last_frame=True),
    "T2V-01": HailuoSpec(_01, i2v=False),
    "T2V-01-Director": HailuoSpec(_01, i2v=False),
    "I2V-01": HailuoSpec(_01, t2v=False),
    "I2V-01-Director": HailuoSpec(_01, t2v=False),
    "I2V-01-live": HailuoSpec(_01, t2v=False),
    "S2V-01": HailuoSpec(_01, i2v=False, subject_reference=True),
}
V1_DEFAULT = "MiniMax-Hailuo-2.3"


@dataclass(frozen=True)
class H3Spec:
    durations: tuple[int, int] = (5, 15)
    resolutions: tuple[str, ...] = ("2K",)
    ratios: tuple[str, ...] = ("21:9", "16:9", "4:3", "1:1", "3:4", "9:16")
    max_reference_images: int = 9
    max_reference_videos: int = 3
    max_reference_audios: int = 3


V2_MODELS: dict[str, H3Spec] = {"MiniMax-H3": H3Spec()}
V2_DEFAULT = "MiniMax-H3"
RATIO_VALUES = {
    "21:9": 21 / 9,
    "16:9": 16 / 9,
    "4:3": 4 / 3,
    "1:1": 1.0,
    "3:4": 3 / 4,
    "9:16": 9 / 16,
}
# v1 statuses (exact spellings) and v2 statuses.
V1_STATES = ("Preparing", "Queueing", "Processing", "Success", "Fail")
V2_STATES = ("queued", "running", "succeeded", "failed", "cancelled", "expired")
OUTPUT_LIFETIME = 9 * 3600  # download URLs last ~9 h (32,400 s) [?]


def api_version(model: str) -> str:
    return "v2" if model in V2_MODELS or model.startswith("MiniMax-H3") else "v1"


def nearest_ratio(width: int, height: int) -> str:
    r = width / height
    return min(RATIO_VALUES, key=lambda k: abs(math.log(RATIO_VALUES[k] / r)))
